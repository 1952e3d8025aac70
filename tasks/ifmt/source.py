"""IF-MT (hub, no offline copy: revision only) and the terminology-constrained EN->DE set (Dinu et
al. 2019 on WMT17 newstest2017), pinned per file."""

from tasks.datasource import DataSource, Download, Layout, parse_sha256sums

# BEGIN PINS terminology_en_de
TERMINOLOGY_SHA256 = parse_sha256sums("""
675e4f7e6045dacf56507e29b24106d771a571e0eb58d822806b086cdcf892f4  terminology_en_de/newstest2017_en-de/newstest2017.de
11adaec47477928dab9cb3fc9279d99dbbbfec7161f3abf6fddd759668fcd703  terminology_en_de/newstest2017_en-de/newstest2017.en
4e615ef5492e2039e8b365b1497f6ae2ddc13dcbf7733e2fa9f4e62ddfb77015  terminology_en_de/terminology/LICENSE
c6648565ca4a7b22b2cd06e739dfec031313d2f5ce5f31c5c994f6aec9f3fe5e  terminology_en_de/terminology/LICENSE.wiktionary
01120a0f245050f2e4571a1dab5a182266850d78d5f75597ad0ef163da31805c  terminology_en_de/terminology/iate.414.terminology.tsv
d850cbc632eb29a397aa8fe71e558bc680cd716b97ca75d11ea5e2d33b3a74b4  terminology_en_de/terminology/iate.581.terminology.tsv
12624af7dbf9a92d241f0dfe8a47c8bda1bcaaab0fcfe1f0c9b5c8253f5f7777  terminology_en_de/terminology/wikt.727.terminology.tsv
aec74d93eba33c35db934d5c2534033fd3ea5beac8d8901ed3366c18e0a1142a  terminology_en_de/terminology/wikt.975.terminology.tsv
""")  # noqa: E501
# END PINS terminology_en_de

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
