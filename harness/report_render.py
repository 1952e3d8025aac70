"""The report as Markdown (charts as sibling .svg files, since GitHub strips `data:` images) or as
one HTML file (charts inline, CSS inline, no script and no external resource: it works offline)."""

from collections.abc import Callable
from html import escape
from itertools import groupby
from typing import Any

from harness import __version__
from harness.gate_report import HEADER, _cells, rule, summary
from harness.report import Bar, Report
from harness.report_svg import language_chart

Z95 = 1.959963984540054
Z95_NOTE = "95% interval: value ± 1.96 × the stored bootstrap standard error, cut at 0 below"


def fmt(value: float | None) -> str:
    """A score as the report prints it (the HTML also carries the exact value in `data-value`)."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"


def _ci(value: float | None, stderr: float | None) -> str:
    """value ± 1.96 se; scores are never negative, so a non-negative score's interval stops at 0."""
    if value is None or stderr is None:
        return "—"
    low, high = value - Z95 * stderr, value + Z95 * stderr
    return f"[{fmt(max(low, 0.0) if value >= 0 else low)}, {fmt(high)}]"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), str(value))]


def _notes(report: Report) -> list[str]:
    """Protocols and notes, numbered in order of first use."""
    notes: list[str] = []
    for r in report.results:
        for text in (r.protocol, r.note):
            if text and text not in notes:
                notes.append(text)
    return notes


def _task_rows(report: Report) -> list[list[str]]:
    notes = _notes(report)
    rows = []
    for r in report.results:
        refs = ",".join(str(notes.index(t) + 1) for t in (r.protocol, r.note) if t)
        metric = f"{r.metric}*" if r.metric == r.primary_metric else r.metric
        rows.append([r.task, r.language or "—", metric, fmt(r.value), _ci(r.value, r.stderr), str(r.n), refs])
    return rows


TASK_HEADER = ["task", "language", "metric", "value", "95% CI", "n", "notes"]


def _run_facts(report: Report) -> list[tuple[str, str]]:
    run = report.run
    facts = [
        ("model", run.model),
        ("checkpoint", run.checkpoint),
        ("kind", run.kind),
        ("step", "—" if run.step is None else str(run.step)),
        ("tokens seen", "—" if run.tokens_seen is None else f"{run.tokens_seen:,}"),
        ("parent", run.parent or "—"),
        ("run", run.run_id),
        ("status", run.status),
        ("started", str(run.started_at)),
        ("finished", str(run.finished_at or "—")),
    ]
    if report.contamination is not None:
        facts.append(
            (
                "contamination",
                ("⚠ " if report.contamination.contaminated else "") + report.contamination.describe(),
            )
        )
    return facts


def _board_rows(report: Report) -> tuple[list[str], list[str]]:
    """The leaderboard header and this model's row (the average and each family, ± half-width)."""
    board, row = report.board, report.row
    header = ["rank", "coverage", "average", *(f"{c.name} ({c.unit})" for c in board.columns)]
    if row is None:
        return header, []

    def shown(value: float | None, interval: tuple[float, float] | None) -> str:
        if value is None:
            return "—"
        return f"{value:.2f}" + (f" ± {(interval[1] - interval[0]) / 2:.2f}" if interval else "")

    cells = [
        "—" if row.rank is None else str(row.rank),
        f"{row.group} ({row.group_size} model{'s' if row.group_size != 1 else ''})",
        shown(row.average, row.average_ci),
    ]
    for column in board.columns:
        cell = row.cells.get(column.name)
        cells.append(shown(cell.value, cell.ci) if cell else "missing")
    return header, cells


def _board_note(report: Report) -> str:
    models = len(report.board.rows)
    text = (
        f"Leaderboard on this report's {len(report.tasks)} task(s), {models} model(s) with any of them: "
        "each family's primary metric on a 0-100 scale (accuracies and rates x100), the average over "
        "families with its 95% interval, ranked among models with the same coverage."
    )
    if report.row is not None and not report.standing:
        runs = ", ".join(r[:8] for r in report.row.runs)
        text += (
            f" The leaderboard stands for {report.run.model} by its newest results per task (runs {runs}),"
            f" not only this run."
        )
    return text


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def _charts(bars: list[Bar]) -> list[tuple[str, list[Bar]]]:
    ordered = sorted(bars, key=lambda b: b.metric)
    by_metric = [(metric, list(rows)) for metric, rows in groupby(ordered, key=lambda b: b.metric)]
    # Keep each chart's bars in the resource-level order `_bars` gave them.
    return [(metric, [b for b in bars if b.metric == metric]) for metric, _ in by_metric]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-") or "metric"


def to_markdown(report: Report, stem: str) -> tuple[str, dict[str, str]]:
    """The Markdown text and the charts it links to: file name -> SVG (written beside it)."""
    lines = [f"# Evaluation report: {report.title}", ""]
    if report.contamination is not None and report.contamination.contaminated:
        lines += [f"> ⚠ **Contaminated checkpoint**: {report.contamination.describe()}", ""]
    lines += ["## Run", "", *_md_table(["field", "value"], [list(f) for f in _run_facts(report)]), ""]
    lines += ["## Results", "", *_md_table(TASK_HEADER, _task_rows(report)), ""]
    lines.append(f"\\* primary metric of the task, as its family declares it. {Z95_NOTE}.")
    lines += ["", *[f"{i}. {text}" for i, text in enumerate(_notes(report), 1)], ""]
    lines += ["## Leaderboard row", "", _board_note(report), ""]
    header, cells = _board_rows(report)
    lines += [*_md_table(header, [cells]), ""] if cells else ["(no leaderboard row)", ""]
    charts: dict[str, str] = {}
    if report.bars:
        lines += ["## By language", ""]
        for metric, bars in _charts(report.bars):
            name = f"{stem}-{_slug(metric)}.svg"
            charts[name] = language_chart(bars, metric, standalone=True)
            lines += [f"![{metric} by language]({name})", ""]
            rows = [[b.language, b.task, fmt(b.value), _ci_bar(b), str(b.n), fmt(b.baseline)] for b in bars]
            lines += [*_md_table(["language", "task", metric, "95% CI", "n", "baseline"], rows), ""]
    if report.gate is not None:
        from harness.gate_report import to_markdown as gate_markdown

        lines += [f"## Against the baseline `{report.baseline_ref}`", "", gate_markdown(report.gate)]
    lines += [
        "## Fingerprint",
        "",
        *_md_table(["field", "value"], [list(f) for f in flatten(report.run.fingerprint)]),
    ]
    lines += ["", f"Written by `harness report` (harness {__version__})."]
    return "\n".join(lines) + "\n", charts


def _ci_bar(bar: Bar) -> str:
    return "—" if bar.ci is None else f"[{fmt(bar.ci[0])}, {fmt(bar.ci[1])}]"


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f4f6f8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.warn { background: #fff4e5; border-left: 4px solid #d94801; padding: .5rem 1rem; }
.fail { color: #b00020; font-weight: 600; } .note { color: #555; }
code { background: #f4f6f8; padding: 0 3px; }
"""


def _html_table(
    header: list[str], rows: list[list[str]], numeric: set[int] | None = None, raw: bool = False
) -> str:
    """`raw`: cells are already HTML."""
    numeric = numeric or set()
    out = ["<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            css = ' class="num"' if i in numeric else ""
            cells.append(f"<td{css}>{c if raw else escape(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _html_results(report: Report) -> str:
    rows = []
    for r, shown in zip(report.results, _task_rows(report), strict=True):
        cells = [escape(c) for c in shown]
        value = "" if r.value is None else f' data-value="{r.value!r}"'
        cells[3] = (
            f'<span data-task="{escape(r.task)}" data-metric="{escape(r.metric)}"{value}>{cells[3]}</span>'
        )
        rows.append(cells)
    return _html_table(TASK_HEADER, rows, numeric={3, 4, 5}, raw=True)


def _html_gate(report: Report) -> str:
    gate = report.gate
    assert gate is not None
    rows = []
    for v in gate.verdicts:
        cells = [escape(c) for c in _cells(v, gate.strict)]
        if cells[-1] != "ok":
            cells[-1] = f'<span class="fail">{cells[-1]}</span>'
        rows.append(cells)
    css = "fail" if gate.regressed else ""
    return "\n".join(
        [
            f'<p class="{css}"><strong>{escape(summary(gate))}</strong></p>',
            f"<p>Baseline <strong>{escape(gate.baseline)}</strong>, candidate <strong>"
            f"{escape(gate.candidate)}</strong>, metric: {escape(gate.metric_note)}.</p>",
            _html_table(list(HEADER), rows, numeric=set(range(2, len(HEADER))), raw=True),
            f'<p class="note">{escape(rule(gate))}</p>',
        ]
    )


def to_html(report: Report) -> str:
    section: Callable[[str], str] = lambda title: f"<h2>{escape(title)}</h2>"  # noqa: E731
    body = [f"<h1>Evaluation report: {escape(report.title)}</h1>"]
    if report.contamination is not None and report.contamination.contaminated:
        body.append(
            '<p class="warn">⚠ <strong>Contaminated checkpoint</strong>: '
            f"{escape(report.contamination.describe())}</p>"
        )
    body += [section("Run"), _html_table(["field", "value"], [list(f) for f in _run_facts(report)])]
    body += [section("Results"), _html_results(report)]
    body.append(
        f'<p class="note">* primary metric of the task, as its family declares it. {escape(Z95_NOTE)}.</p>'
    )
    body.append("<ol>" + "".join(f"<li>{escape(t)}</li>" for t in _notes(report)) + "</ol>")
    body += [section("Leaderboard row"), f'<p class="note">{escape(_board_note(report))}</p>']
    header, cells = _board_rows(report)
    body.append(
        _html_table(header, [cells], numeric=set(range(2, len(header))))
        if cells
        else "<p>(no leaderboard row)</p>"
    )
    if report.bars:
        body.append(section("By language"))
        body += [language_chart(bars, metric) for metric, bars in _charts(report.bars)]
    if report.gate is not None:
        body += [section(f"Against the baseline {report.baseline_ref}"), _html_gate(report)]
    body += [
        section("Fingerprint"),
        _html_table(["field", "value"], [list(f) for f in flatten(report.run.fingerprint)]),
    ]
    body.append(
        f'<p class="note">Written by <code>harness report</code> (harness {escape(__version__)}).</p>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
