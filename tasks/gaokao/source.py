"""GAOKAO-Bench 2010-2022 and its yearly updates (optional parts, `gaokao_bench_updates/`), from
the official GitHub repositories, pinned per file (the 2024 files from `SHA256SUMS.unseen`: the
offline copy lacks them, so a fetch verifies them against their pins before placing them)."""

from tasks.datasource import DataSource, Download, Layout, load_pins

GAOKAO_SHA256 = load_pins(__file__, "gaokao_bench")
"""Per-file SHA-256 pins, read from `gaokao_bench.sha256` beside this file."""

GAOKAO_BENCH = DataSource(
    name="gaokao_bench",
    description="GAOKAO-Bench 2010-2022 (1781 objective, 1030 subjective questions), 2023 and 2024 updates",
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
            files=(("Data/", "GAOKAO-Bench-2023/"), ("Bench/2023_Obj_Prompt.json", "2023_Obj_Prompt.json")),
            optional=True,
            note="the 2023 update, read beside gaokao_bench/ when present",
        ),
        Download(
            kind="github",
            repo="OpenLMLab/GAOKAO-Bench-Updates",
            version="main",
            version_pinned=False,
            into="gaokao_bench_updates",
            files=(
                ("Data/GAOKAO-Bench-2024/", "GAOKAO-Bench-2024/"),
                ("Bench/2024_Obj_Prompt.json", "2024_Obj_Prompt.json"),
                ("2024_Obj_Prompt.json", "2024_Obj_Prompt.json"),
            ),
            optional=True,
            note=(
                "the 2024 update; its repository layout is taken as Data/GAOKAO-Bench-2024/ and "
                "2024_Obj_Prompt.json (no offline copy to check it against): every file is verified "
                "by its pin, so another layout fails verification and places nothing"
            ),
        ),
    ),
    layout=Layout(required=("Obj_Prompt.json", "Objective_Questions/2010-2022_Biology_MCQs.json")),
    tasks=("gaokao_<years>_<subject> (objective)", "gaokao_2023_<subject>, gaokao_2024_<subject> (updates)"),
    file_sha256=GAOKAO_SHA256,
    note="branch main of both repositories, commits not pinned yet: content pinned per file",
)

SOURCES = (GAOKAO_BENCH,)
