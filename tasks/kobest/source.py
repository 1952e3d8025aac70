"""KoBEST: the hub dataset `skt/kobest_v1`, exported to `<task>/<split>.jsonl`, pinned per file."""

from tasks.datasource import DataSource, Download, Layout, load_pins

KOBEST_SHA256 = load_pins(__file__, "kobest")
"""Per-file SHA-256 pins, read from `kobest.sha256` beside this file."""

LAYOUT = tuple(p.removeprefix("kobest/") for p in KOBEST_SHA256)
"""`<task>/<split>.jsonl`; the hub has the same rows as `<task>/<split>/0000.parquet`."""

KOBEST = DataSource(
    name="kobest",
    description="KoBEST: Korean BoolQ, COPA, HellaSwag, SentiNeg and WiC",
    licence="CC BY-SA 4.0",
    homepage="https://huggingface.co/datasets/skt/kobest_v1",
    downloads=(
        Download(
            kind="hf",
            repo="skt/kobest_v1",
            version="refs/convert/parquet",
            version_pinned=False,
            into="kobest",
            files=tuple((p.replace(".jsonl", "/0000.parquet"), p) for p in LAYOUT),
        ),
    ),
    layout=Layout(required=LAYOUT),
    tasks=tuple(sorted({f"kobest_{p.split('/')[0]}" for p in LAYOUT})),
    file_sha256=KOBEST_SHA256,
    note="revision is the hub's parquet branch, not a commit: content pinned per file",
)

SOURCES = (KOBEST,)
