"""Terminal tables and machine-readable output."""

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.records import MetricResult


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


LARGE_TABLE = 200
"""Rows above which a results table is laid out as plain aligned text: rich measures every cell of a
`Table`, about 1.5 ms a row (3 s for the 408 FLORES directions' 2,000 rows)."""


def results_table(results: Sequence[MetricResult], title: str) -> tuple[Table | Text, list[str]]:
    """The scores, with each distinct signature or note as a numbered footnote below the table."""
    footnotes: list[str] = []
    index: dict[str, int] = {}
    rows = []
    for r in results:
        text = r.note or r.signature
        if text not in index:
            index[text] = len(footnotes) + 1
            footnotes.append(text)
        rows.append((r.task, r.metric, _fmt(r.value), _fmt(r.stderr), str(r.n), f"[{index[text]}]"))
    notes = [f"[{i}] {text}" for i, text in enumerate(footnotes, start=1)]
    header = ("task", "metric", "value", "± stderr", "n", "ref")
    if len(rows) > LARGE_TABLE:
        return plain_table(title, header, rows), notes
    table = Table(title=title)
    table.add_column("task", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    for column in header[2:]:
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table, notes


def plain_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Text:
    """Rows as aligned plain text under a title (first two columns left, the rest right-aligned)."""
    widths = [max(len(str(row[k])) for row in [header, *rows]) for k in range(len(header))]

    def line(row: Sequence[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    rule = "  ".join("─" * w for w in widths)
    text = Text("\n".join([title, line(header), rule, *(line(r) for r in rows)]), no_wrap=True)
    text.stylize("bold", 0, len(title))
    return text


def _values(row: Any) -> dict[str, Any]:
    """A row's fields: a dict as it is, a dataclass as a dict."""
    return dict(row) if isinstance(row, dict) else asdict(row)


def rows_table(rows: Sequence[Any], columns: Sequence[str], title: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, no_wrap=column in ("task", "metric"))
    for row in rows:
        values = _values(row)
        if "run_id" in values:
            values["run_id"] = values["run_id"][:8]
        if values.get("primary_metric") and values.get("metric") == values["primary_metric"]:
            values["metric"] = f"{values['metric']} *"
        table.add_row(
            *(_fmt(v) if isinstance(v, float) or v is None else str(v) for v in (values[c] for c in columns))
        )
    return table


def to_csv(rows: Sequence[Any], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = _values(row)
        writer.writerow({c: values[c] for c in columns})
    return buffer.getvalue()


def to_json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str)


def console(stderr: bool = False) -> Console:
    """A console; when output goes to a file or pipe, wide enough that tables are never cut."""
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, width=240)
    return out
