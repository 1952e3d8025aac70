"""IF-MT (hub, no offline copy: revision only) and the terminology-constrained EN->DE set (Dinu et
al. 2019 on WMT17 newstest2017), pinned per file."""

from tasks.datasource import DataSource, Download, Layout, load_pins

TERMINOLOGY_SHA256 = load_pins(__file__, "terminology_en_de")
"""Per-file SHA-256 pins, read from `terminology_en_de.sha256` beside this file."""

IFMT = DataSource(
    name="ifmt",
    description="IF-MT: Tower+'s instruction-following EN->ZH translation set",
    licence="as published on the hub (Unbabel/IF-MT-en-zh)",
    homepage="https://huggingface.co/datasets/Unbabel/IF-MT-en-zh",
    downloads=(
        Download(
            kind="hf",
            repo="Unbabel/IF-MT-en-zh",
            version="refs/convert/parquet",
            version_pinned=False,
            into="ifmt",
            files=(("default/train/0000.parquet", "default/train.jsonl"),),
        ),
    ),
    layout=Layout(required=("default/train.jsonl",)),
    tasks=("ifmt",),
    note="UNPINNED: no offline copy to take file checksums from, and the revision is a branch",
)

TERMINOLOGY_EN_DE = DataSource(
    name="terminology_en_de",
    description="Terminology-constrained EN->DE: IATE and Wiktionary term lists over WMT17 newstest2017",
    licence="Apache-2.0; Wiktionary part CC BY-NC-SA 3.0; newstest2017 as WMT17",
    homepage="https://github.com/mtresearcher/terminology_dataset",
    downloads=(
        Download(
            kind="github",
            repo="mtresearcher/terminology_dataset",
            version="master",
            version_pinned=False,
            into="terminology_en_de",
            files=(
                ("iate/", "terminology/"),
                ("wiktionary/", "terminology/"),
                ("LICENSE", "terminology/LICENSE"),
            ),
        ),
        Download(
            kind="tarball",
            url="http://data.statmt.org/wmt17/translation-task/test.tgz",
            version="WMT17 test sets",
            version_pinned=True,
            into="terminology_en_de",
            files=(
                ("test/newstest2017-ende-src.en.sgm", "newstest2017_en-de/newstest2017.en"),
                ("test/newstest2017-ende-ref.de.sgm", "newstest2017_en-de/newstest2017.de"),
            ),
        ),
    ),
    layout=Layout(
        required=(
            "terminology/iate.414.terminology.tsv",
            "terminology/wikt.727.terminology.tsv",
            "newstest2017_en-de/newstest2017.en",
            "newstest2017_en-de/newstest2017.de",
        )
    ),
    tasks=("ifmt_terms_iate", "ifmt_terms_wikt"),
    file_sha256=TERMINOLOGY_SHA256,
    not_fetched=frozenset({"terminology_en_de/terminology/LICENSE.wiktionary"}),
    note=(
        "GitHub branch master, commit not pinned yet; the WMT17 archive's own hash is unknown here: "
        "content pinned per file (the newstest files after the sgm conversion); LICENSE.wiktionary has "
        "no known official file path and is not fetched"
    ),
)

SOURCES = (IFMT, TERMINOLOGY_EN_DE)
