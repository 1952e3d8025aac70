"""FLORES-200: the official tarball, pinned by its SHA-256 (204 languages x 2 splits are too many
files to pin one by one; the archive pin covers them all)."""

from tasks.datasource import DataSource, Download, Layout, load_pins

FLORES200 = DataSource(
    name="flores200",
    description="FLORES-200 dev (997) and devtest (1012) sentences, aligned across 204 languages",
    licence="CC BY-SA 4.0",
    homepage="https://github.com/facebookresearch/flores/tree/main/flores200",
    downloads=(
        Download(
            kind="tarball",
            url="https://dl.fbaipublicfiles.com/nllb/flores200_dataset.tar.gz",
            version="flores200_dataset (NLLB release)",
            sha256="b8b0b76783024b85797e5cc75064eb83fc5288b41e9654dabc7be6ae944011f6",
            into="flores200",
            files=(("flores200_dataset/", ""),),
        ),
    ),
    layout=Layout(required=("dev/eng_Latn.dev", "devtest/eng_Latn.devtest")),
    tasks=("flores_<src>-<tgt> (every direction)", "flores_lin and the other language groups"),
)

SOURCES = (FLORES200,)

FLORES_PLUS_REVISION = "5fec6c13f9e5a4db2f745d4ec0d7c9721ddc4f06"
"""The hub dataset's commit we pin. Taken from a public evaluation report that cites it as the
dataset card's commit; not checked against the hub from the development machine (no hub access).
`harness data fetch flores_plus` records the revision it fetched in `flores_plus/REVISION`."""

FLORES_PLUS_PINS = load_pins(__file__, "flores_plus", required=False)
"""Per-file SHA-256 of the converted files (`flores_plus.sha256` beside this file, written from the
`SHA256SUMS` a first fetch leaves in `flores_plus/`); until it exists, each downloaded parquet file is
verified against the SHA-256 the hub lists for it (its LFS object id) at the pinned revision."""

FLORES_PLUS = DataSource(
    name="flores_plus",
    description="FLORES+ (OLDI's maintained FLORES-200): dev (997) and devtest (1012) sentences, with "
    "corrected files and relabelled codes (cmn_Hans, ekk_Latn, zgh_Tfng, ...)",
    licence="CC BY-SA 4.0",
    homepage="https://huggingface.co/datasets/openlanguagedata/flores_plus",
    downloads=(
        Download(
            kind="hf",
            repo="openlanguagedata/flores_plus",
            version=FLORES_PLUS_REVISION,
            into="flores_plus",
            files=(("dev/", "dev/"), ("devtest/", "devtest/")),
            text_column="text",
            gated=True,
            note="gated: accept the terms on the hub, then set HF_TOKEN (or HARNESS_HF_TOKEN)",
        ),
    ),
    layout=Layout(required=("dev/eng_Latn.dev", "devtest/eng_Latn.devtest")),
    tasks=("flores+_<src>-<tgt> (every direction in the data)", "flores+_lin and the other groups"),
    file_sha256=FLORES_PLUS_PINS,
    note="per-file pins: the hub's SHA-256 of each parquet file until tasks/flores/flores_plus.sha256 is "
    "written from a first fetch",
)

PLUS_SOURCES = (FLORES_PLUS,)
