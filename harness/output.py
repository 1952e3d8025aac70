"""Terminal tables and machine-readable output.

Every stored string (model, checkpoint, task, recipe, output, note, signature) is data: before it
reaches a terminal it goes through `printable` (control characters made visible, so no escape
sequence reaches the terminal) and, where Rich reads markup, `plain` (also markup-escaped)."""

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from core.records import MetricResult
from core.scale import LARGE
from core.text import md_text, printable

__all__ = ["md_text", "printable"]


def plain(value: object, multiline: bool = False) -> str:
    """A stored string for a Rich markup context (table cell, title, `print`): `printable`, then
    markup-escaped, so that `bad[/]name[bold]` shows as written."""
    return escape(printable(value, multiline))


def plain_text(value: object, multiline: bool = False) -> Text:
    """A stored string as a Rich `Text` (never parsed as markup), for titles and captions."""
    return Text(printable(value, multiline))


def _fmt(value: float | None) -> str:
    """Two decimals; scientific notation from `core.scale.LARGE` on (a perplexity can be 1e40)."""
    if value is None:
        return "—"
    return f"{value:.3g}" if math.isfinite(value) and abs(value) >= LARGE else f"{value:.2f}"


LARGE_TABLE = 200
"""Rows above which a results table is laid out as plain aligned text: rich measures every cell of a
`Table`, about 1.5 ms a row (3 s for the 408 FLORES directions' 2,000 rows)."""


def results_table(results: Sequence[MetricResult], title: str) -> tuple[Table | Text, list[str]]:
    """The scores, with each distinct signature or note as a numbered footnote below the table.
    `title` is plain text (a model name in it is shown as written); the footnotes are Rich markup,
    their stored text escaped (print them with markup on)."""
    footnotes: list[str] = []
    index: dict[str, int] = {}
    rows = []
    for r in results:
        text = r.note or r.signature
        if text not in index:
            index[text] = len(footnotes) + 1
            footnotes.append(text)
        rows.append((r.task, r.metric, _fmt(r.value), _fmt(r.stderr), str(r.n), f"[{index[text]}]"))
    notes = [f"[{i}] {plain(text)}" for i, text in enumerate(footnotes, start=1)]
    header = ("task", "metric", "value", "± stderr", "n", "ref")
    if len(rows) > LARGE_TABLE:
        return plain_table(title, header, rows), notes
    table = Table(title=plain_text(title))
    table.add_column("task", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    for column in header[2:]:
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(plain(cell) for cell in row))
    return table, notes


def print_results(results: Sequence[MetricResult], title: str) -> None:
    """`results_table` on stdout, its footnotes below it."""
    out = console()
    table, footnotes = results_table(results, title)
    out.print(table)
    for line in footnotes:
        out.print(line, soft_wrap=True)


def plain_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Text:
    """Rows as aligned plain text under a title (first two columns left, the rest right-aligned);
    a `Text`, never parsed as markup."""
    title = printable(title)
    header = [printable(c) for c in header]
    rows = [[printable(c) for c in row] for row in rows]
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
    """Rows (dicts or dataclasses) as a table of `columns`; every cell and the title shown as
    plain text."""
    table = Table(title=plain_text(title))
    for column in columns:
        table.add_column(column, no_wrap=column in ("task", "metric"))
    for row in rows:
        values = _values(row)
        if "run_id" in values:
            values["run_id"] = values["run_id"][:8]
        if values.get("primary_metric") and values.get("metric") == values["primary_metric"]:
            values["metric"] = f"{values['metric']} *"
        table.add_row(
            *(_fmt(v) if isinstance(v, float) or v is None else plain(v) for v in map(values.get, columns))
        )
    return table


def to_csv(rows: Sequence[Any], columns: Sequence[str]) -> str:
    """Rows as CSV; control characters other than tab and newline (which CSV quotes) written out as
    escapes, so that the CSV can be shown in a terminal."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = _values(row)
        writer.writerow({c: _csv_cell(values[c]) for c in columns})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    return printable(value, multiline=True) if isinstance(value, str) else value


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def to_json(payload: Any) -> str:
    """JSON (non-ASCII text as itself); DEL, C1 controls and bidirectional overrides written as
    `\\uXXXX` escapes like the C0 controls, so no escape sequence reaches a terminal raw."""
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def console(stderr: bool = False) -> Console:
    """A console; when output goes to a file or pipe, wide enough that tables are never cut."""
    out = Console(stderr=stderr, highlight=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, width=240)
    return out
