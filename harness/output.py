"""Terminal tables and machine-readable output."""

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from core.records import MetricResult


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def results_table(results: Sequence[MetricResult], title: str) -> tuple[Table, list[str]]:
    """The scores, with each distinct signature or note as a numbered footnote below the table."""
    table = Table(title=title)
    table.add_column("task", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    for column in ("value", "± stderr", "n", "ref"):
        table.add_column(column, justify="right", no_wrap=True)
    footnotes: list[str] = []
    for r in results:
        text = r.note or r.signature
        if text not in footnotes:
            footnotes.append(text)
        table.add_row(
            r.task, r.metric, _fmt(r.value), _fmt(r.stderr), str(r.n), f"[{footnotes.index(text) + 1}]"
        )
    return table, [f"[{i}] {text}" for i, text in enumerate(footnotes, start=1)]


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
