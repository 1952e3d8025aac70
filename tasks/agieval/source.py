"""AGIEval v1: the `data/` folder of the official repository, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, load_pins

AGIEVAL_SHA256 = load_pins(__file__, "agieval")
"""Per-file SHA-256 pins, read from `agieval.sha256` beside this file."""

AGIEVAL = DataSource(
    name="agieval",
    description="AGIEval v1, incl. the nine gaokao-* sets (english 306, chinese 246, mathqa 351, ...)",
    licence="MIT + per-source terms (v1/LICENSE)",
    homepage="https://github.com/ruixiangcui/AGIEval",
    downloads=(
        Download(
            kind="github",
            repo="ruixiangcui/AGIEval",
            version="main",
            version_pinned=False,
            into="agieval",
            files=(("data/", ""), ("LICENSE", "LICENSE")),
        ),
    ),
    # The nine Gaokao sets the family reads, every one of them required.
    layout=Layout(required=tuple(p.removeprefix("agieval/") for p in AGIEVAL_SHA256 if "/v1/gaokao-" in p)),
    tasks=("agieval_gaokao_<subject> (9)",),
    file_sha256=AGIEVAL_SHA256,
    note="branch main, commit not pinned yet: content pinned per file",
)

SOURCES = (AGIEVAL,)
