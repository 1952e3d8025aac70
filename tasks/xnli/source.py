"""XNLI and AfriXNLI: hub datasets at a pinned revision, exported to `<lang>/<split>.jsonl`;
every file of our layout is pinned by SHA-256 (taken from the verified offline copy)."""

from tasks.datasource import DataSource, Download, Layout, load_pins

AFRIXNLI_LANGUAGES = (
    "amh", "eng", "ewe", "fra", "hau", "ibo", "kin", "lin", "lug",
    "orm", "sna", "sot", "swa", "twi", "wol", "xho", "yor", "zul",
)  # fmt: skip
SPLITS = ("validation", "test")
PARQUET = "refs/convert/parquet"
"""The hub's parquet export: `<config>/<split>/0000.parquet` for every config of the dataset."""


def _hub_files(languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{lang}/{split}/0000.parquet", f"{lang}/{split}.jsonl") for lang in languages for split in SPLITS
    )


XNLI_SHA256 = load_pins(__file__, "xnli")
"""Per-file SHA-256 pins, read from `xnli.sha256` beside this file."""

AFRIXNLI_SHA256 = load_pins(__file__, "afrixnli")
"""Per-file SHA-256 pins, read from `afrixnli.sha256` beside this file."""

XNLI_LANGUAGES = tuple(sorted({p.split("/")[1] for p in XNLI_SHA256} - {"ko"}))
"""The 15 languages of facebook/xnli (ko, KorNLI, comes from elsewhere)."""

XNLI = DataSource(
    name="xnli",
    description="XNLI validation (2490) and test (5010) rows in 15 languages, plus KorNLI's Korean (ko)",
    licence="CC BY-NC 4.0 (ko: CC BY-SA 4.0)",
    homepage="https://github.com/facebookresearch/XNLI",
    downloads=(
        Download(
            kind="hf",
            repo="facebook/xnli",
            version=PARQUET,
            version_pinned=False,
            into="xnli",
            files=_hub_files(XNLI_LANGUAGES),
        ),
    ),
    layout=Layout(required=("en/test.jsonl", "en/validation.jsonl")),
    tasks=tuple(f"xnli_{lang}" for lang in (*XNLI_LANGUAGES, "ko")),
    file_sha256=XNLI_SHA256,
    not_fetched=frozenset(p for p in XNLI_SHA256 if p.startswith("xnli/ko/")),
    note=(
        "revision is the hub's parquet branch, not a commit: content pinned per file; ko (KorNLI) is "
        "not on facebook/xnli and is not fetched (verified when present)"
    ),
)

AFRIXNLI = DataSource(
    name="afrixnli",
    description="AfriXNLI (IrokoBench): XNLI translated into African languages, 450 / 600 rows each",
    licence="as published with IrokoBench (masakhane/afrixnli)",
    homepage="https://huggingface.co/datasets/masakhane/afrixnli",
    downloads=(
        Download(
            kind="hf",
            repo="masakhane/afrixnli",
            version=PARQUET,
            version_pinned=False,
            into="afrixnli",
            files=_hub_files(AFRIXNLI_LANGUAGES),
        ),
    ),
    layout=Layout(any_of="*/test.jsonl"),
    tasks=tuple(f"afrixnli_{lang}" for lang in AFRIXNLI_LANGUAGES),
    file_sha256=AFRIXNLI_SHA256,
    note=(
        "revision is the hub's parquet branch, not a commit: content pinned per file; amh, eng and ibo "
        "(test) from SHA256SUMS.unseen, which the offline copy lacks: a fetch verifies and places them"
    ),
)

SOURCES = (XNLI, AFRIXNLI)
