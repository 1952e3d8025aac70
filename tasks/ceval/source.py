"""C-Eval: the official `ceval-exam.zip` on the hub (val and dev CSVs) and `subject_mapping.json`
from the GitHub repository; every file pinned by SHA-256."""

from tasks.datasource import DataSource, Download, Layout, load_pins

CEVAL_SHA256 = load_pins(__file__, "ceval")
"""Per-file SHA-256 pins, read from `ceval.sha256` beside this file."""

CEVAL = DataSource(
    name="ceval",
    description="C-Eval, 52 subjects: val (1346) and dev (260, 5 per subject, with explanations)",
    licence="CC BY-NC-SA 4.0",
    homepage="https://cevalbenchmark.com",
    downloads=(
        Download(
            kind="zip",
            url="https://huggingface.co/datasets/ceval/ceval-exam/resolve/main/ceval-exam.zip",
            version="main",
            version_pinned=False,
            into="ceval",
            files=(("val/", "val/"), ("dev/", "dev/")),
        ),
        Download(
            kind="github",
            repo="hkust-nlp/ceval",
            version="main",
            version_pinned=False,
            into="ceval",
            files=(("subject_mapping.json", "subject_mapping.json"),),
        ),
    ),
    layout=Layout(required=("subject_mapping.json", "val/accountant_val.csv", "dev/accountant_dev.csv")),
    tasks=("ceval_<subject> (52)", "ceval_stem", "ceval_humanities", "ceval_social_science", "ceval_other"),
    file_sha256=CEVAL_SHA256,
    not_fetched=frozenset({"ceval/LICENSE-DATA"}),
    note=(
        "hub zip and GitHub file at branch main, commits not pinned yet: content pinned per file; "
        "LICENSE-DATA has no known official file path and is not fetched"
    ),
)

SOURCES = (CEVAL,)
