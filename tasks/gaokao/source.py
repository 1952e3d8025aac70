"""GAOKAO-Bench 2010-2022 and its 2023 update (an optional second part, `gaokao_bench_updates/`),
from the official GitHub repositories, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, load_pins

GAOKAO_SHA256 = load_pins(__file__, "gaokao_bench")
"""Per-file SHA-256 pins, read from `gaokao_bench.sha256` beside this file."""

GAOKAO_BENCH = DataSource(
    name="gaokao_bench",
    description="GAOKAO-Bench 2010-2022 (1781 objective, 1030 subjective questions) + the 2023 update",
    licence="Apache-2.0",
    homepage="https://github.com/OpenLMLab/GAOKAO-Bench",
    downloads=(
        Download(
            kind="github",
            repo="OpenLMLab/GAOKAO-Bench",
            version="main",
            version_pinned=False,
            into="gaokao_bench",
            files=(("Data/", ""), ("Bench/", ""), ("LICENSE", "LICENSE")),
        ),
        Download(
            kind="github",
            repo="OpenLMLab/GAOKAO-Bench-2023",
            version="main",
            version_pinned=False,
            into="gaokao_bench_updates",
            files=(("Data/", "GAOKAO-Bench-2023/"), ("Bench/", "")),
            optional=True,
            note="the yearly update, read beside gaokao_bench/ when present",
        ),
    ),
    layout=Layout(required=("Obj_Prompt.json", "Objective_Questions/2010-2022_Biology_MCQs.json")),
    tasks=("gaokao_<years>_<subject> (objective)", "gaokao_2023_<subject> (from the update)"),
    file_sha256=GAOKAO_SHA256,
    note="branch main of both repositories, commits not pinned yet: content pinned per file",
)

SOURCES = (GAOKAO_BENCH,)
