"""SIB-200: the `data/annotated/` folder of the official repository at a pinned commit, every file
of our layout pinned by SHA-256 (taken from the verified offline copy)."""

from tasks.datasource import DataSource, Download, Layout, load_pins

COMMIT = "593cea88519930f776c1a4a1980b6a35b39dca57"
"""dadelani/sib-200 HEAD of the verified snapshot; its data files date from e7a1721 (2024-01-27)."""

SIB200_SHA256 = load_pins(__file__, "sib200")
"""Per-file SHA-256 pins, read from `sib200.sha256` beside this file."""

SIB200 = DataSource(
    name="sib200",
    description="SIB-200 topic classification (7 topics) of FLORES-200 sentences: train 701, dev 99, "
    "test 204 rows per language",
    licence="Apache-2.0 repository; texts CC BY-SA 4.0 (FLORES-200)",
    homepage="https://github.com/dadelani/sib-200",
    downloads=(
        Download(
            kind="github",
            repo="dadelani/sib-200",
            version=COMMIT,
            into="sib200",
            files=(("data/annotated/", ""), ("data/eng/labels.txt", "labels.txt"), ("LICENSE", "LICENSE")),
            note="the same files as the hub dataset Davlan/sib200 (data/<lang>/)",
        ),
    ),
    layout=Layout(any_of="*/test.tsv"),  # labels.txt is checked when present (task.check_labels)
    tasks=("sib200_<lang_Script> (every language folder)", "sib200_lin and the other language groups"),
    file_sha256=SIB200_SHA256,
    not_fetched=frozenset({"sib200/SOURCE.md"}),
    note=(
        "content pinned per file for all 205 language folders of the repository (dzo_Tibt, nqo_Nkoo and "
        "tzm_Tfng from SHA256SUMS.unseen: the offline copy lacks them, a fetch verifies and places them); "
        "SOURCE.md is the offline copy's own note (verified when present)"
    ),
)

SOURCES = (SIB200,)
