"""The report as Markdown (charts as sibling .svg files, since GitHub strips `data:` images) or as
one HTML file (charts inline, CSS inline, no script and no external resource: it works offline).

Every number is on its metric's display scale (`core.scale`), every missing value is one dash, and
every stored string passes `harness.analysis.report.public` (no local path); the comparison's words follow
the gate's verdict: a direction is "significant" only where the Holm-adjusted test supports it.
"""

import html
import re
from collections.abc import Callable, Iterable
from itertools import groupby

from core.coverage import coverage_flag
from core.languages import placed_language
from core.scale import BLANK, FRACTIONS, fmt, fmt_shown, scale_of, text
from harness import __version__
from harness.analysis.gate import GateReport
from harness.analysis.report_compare import (  # noqa: F401
    COMPARE_HEADER,
    _compare_rows,
    compare_rule,
    compare_summary,
    verdict_text,
)
from harness.analysis.report_model import (
    DAGGER,
    DIRECTIONAL_N,
    MIN_INTERVAL_N,
    Bar,
    Report,
    flatten,
    interval,
    notes,
    public,
    run_facts,
)
from harness.analysis.report_svg import language_chart
from harness.output import md_text, printable


def escape(value: str) -> str:
    """`value` for HTML: escaped, with its control characters written out (`printable`), so that the
    file shown in a terminal sends no escape sequence and stays well-formed."""
    return html.escape(printable(value, multiline=True))


Z95_NOTE = (
    "95% interval: value ± 1.96 × the stored bootstrap standard error, clipped to the metric's range; "
    f"{BLANK} where it would mislead (fewer than {MIN_INTERVAL_N} documents, or a zero standard error "
    f"from fewer than {DIRECTIONAL_N}); {DAGGER}: from fewer than {DIRECTIONAL_N} documents, directional only"
)
SCALE_NOTE = (
    "Accuracies and rates are shown ×100 (0-100), as on the leaderboard; chrF++ and BLEU as sacrebleu "
    "gives them."
)


def banner(report: Report) -> str | None:
    """The warning at the top when any reported task has fewer than `DIRECTIONAL_N` documents."""
    small = report.small_tasks
    if not small:
        return None
    sizes = report.sizes
    smallest = min(sizes[t] for t in small)
    limit = report.run.fingerprint.get("limit")
    cause = f"; the run used --limit {limit}" if limit is not None else ""
    return (
        f"Directional only: {len(small)} of {len(sizes)} tasks have fewer than {DIRECTIONAL_N} documents "
        f"(smallest n = {smallest}{cause}). Scores, intervals, ranks and differences from so few documents "
        "are indications, not results to quote; evaluate the full test sets before publishing them."
    )


def _ci(metric: str, ci: tuple[float, float] | None, n: int) -> str:
    if ci is None:
        return BLANK
    mark = DAGGER if n < DIRECTIONAL_N else ""
    return f"[{fmt_shown(metric, ci[0])}, {fmt_shown(metric, ci[1])}]{mark}"


def _task_rows(report: Report, stored: Callable[[str], str] = str) -> list[list[str]]:
    """The results table's rows; `stored` escapes the stored strings (task, language, metric) for
    the medium (`md_text` for Markdown; HTML escapes every cell)."""
    numbered = notes(report)
    rows = []
    for r in report.results:
        language = placed_language(r.language, r.source_language)  # into English: under its source
        refs = ",".join(str(numbered.index(public(t)) + 1) for t in (r.protocol, r.note) if t)
        outside = coverage_flag(r.note)  # a neural metric reading a language its encoder never saw
        refs += f" ⚠ outside coverage: {stored(outside)}" if outside else ""
        metric = stored(r.metric) + ("*" if r.metric == r.primary_metric else "")
        ci = _ci(r.metric, interval(r.metric, r.value, r.stderr, r.n), r.n)
        rows.append(
            [stored(r.task), stored(text(language)), metric, fmt(r.metric, r.value), ci, str(r.n), refs]
        )
    return rows


TASK_HEADER = ["task", "language", "metric", "value", "95% CI", "n", "notes"]


def rank_text(report: Report) -> str:
    """`2 of 5`, `2-3 of 5` (a shared or uncertain rank), or a dash: a rank among fewer than two
    ranked models says nothing."""
    row = report.row
    if row is None or row.rank is None or row.group_size < 2:
        return BLANK
    worst = getattr(row, "rank_worst", None)
    best = str(row.rank) if worst in (None, row.rank) else f"{row.rank}–{worst}"
    return f"{best} of {row.group_size}"


def _board_rows(report: Report) -> tuple[list[str], list[str]]:
    """The leaderboard header and this model's row (the average and each family, with its interval,
    under the same rule as the results: none from fewer than `MIN_INTERVAL_N` documents)."""
    board, row = report.board, report.row
    header = ["rank", "coverage", "average", *(f"{c.name} ({c.unit})" for c in board.columns)]
    if row is None:
        return header, []
    sizes = report.sizes

    def cell(value: float | None, ci: tuple[float, float] | None, tasks: Iterable[str], ranged: bool) -> str:
        if value is None:
            return BLANK
        n = min((sizes[t] for t in tasks if t in sizes), default=0)
        if ci is None or n < MIN_INTERVAL_N or (ci[0] == ci[1] and n < DIRECTIONAL_N):
            return f"{value:.1f}"
        low, high = (max(ci[0], 0.0), min(ci[1], 100.0)) if ranged else ci
        return f"{value:.1f} [{low:.1f}, {high:.1f}]" + (DAGGER if n < DIRECTIONAL_N else "")

    cells = [
        rank_text(report),
        f"{row.group} ({row.group_size} model{'s' if row.group_size != 1 else ''})",
        cell(row.average, row.average_ci, row.tasks, True),
    ]
    for column in board.columns:
        c = row.cells.get(column.name)
        cells.append(cell(c.value, c.ci, column.tasks, column.averaged) if c else BLANK)
    return header, [public(c) for c in cells]


def _board_note(report: Report) -> str:
    models = len(report.board.rows)
    note = (
        f"Leaderboard on this report's {len(report.tasks)} task(s), {models} model(s) with any of them: "
        "each family's primary metric on a 0-100 scale (accuracies and rates ×100), the average over "
        "families with its 95% interval, ranked among the models with all of these tasks (a rank r–s "
        "is a range: the models whose intervals overlap this one's could be above or below it)."
    )
    row = report.row
    if row is not None and (row.rank is None or row.group_size < 2):
        note += (
            " Not ranked: fewer than two models have results on all of these tasks, so there is "
            "nothing to rank against."
        )
    if row is not None and not report.standing:
        runs = ", ".join(r[:8] for r in row.runs)
        note += (
            f" The leaderboard stands for {report.run.model} by its newest results per task (runs {runs}),"
            f" not only this run."
        )
    return public(note)


_BARE_PIPE = re.compile(r"(?<!\\)\|")
"""A `|` not yet escaped (by `md_text`): it would end the table cell."""


def _md_table(header: list[str], rows: list[list[str]], stored: Iterable[int] = ()) -> list[str]:
    """A Markdown table. The header and the `stored` columns are stored strings (names, fingerprint
    values), escaped by `md_text`; the other cells are the report's own text (numbers, intervals)
    or already escaped, and only kept from breaking the row."""
    columns = set(stored)

    def literal(value: str) -> str:
        return _BARE_PIPE.sub("\\\\|", value).replace("\n", " ")

    def cell(value: str, k: int = -1) -> str:
        return md_text(value) if k in columns else literal(value)

    lines = [
        "| " + " | ".join(md_text(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(c, k) for k, c in enumerate(row)) + " |" for row in rows]
    return lines


def _charts(bars: list[Bar]) -> list[tuple[str, list[Bar]]]:
    ordered = sorted(bars, key=lambda b: b.metric)
    by_metric = [(metric, list(rows)) for metric, rows in groupby(ordered, key=lambda b: b.metric)]
    # Keep each chart's bars in the resource-level order `_bars` gave them.
    return [(metric, [b for b in bars if b.metric == metric]) for metric, _ in by_metric]


def _slug(value: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in value).strip("-") or "metric"


def _unit(metric: str) -> str:
    return f"{metric} ×100" if metric in FRACTIONS else metric


def to_markdown(report: Report, stem: str) -> tuple[str, dict[str, str]]:
    """The Markdown text and the charts it links to: file name -> SVG (written beside it)."""
    lines = [f"# Evaluation report: {md_text(public(report.title))}", ""]
    warning = banner(report)
    if warning:
        lines += [f"> ⚠ **{warning}**", ""]
    if report.contamination is not None and report.contamination.contaminated:
        lines += [f"> ⚠ **Contaminated checkpoint**: {md_text(public(report.contamination.describe()))}", ""]
    lines += ["## Run", "", *_md_table(["field", "value"], [list(f) for f in run_facts(report)], [1]), ""]
    lines += ["## Results", "", *_md_table(TASK_HEADER, _task_rows(report, md_text)), ""]
    lines.append(f"\\* primary metric of the task, as its family declares it. {SCALE_NOTE} {Z95_NOTE}.")
    lines += ["", *[f"{i}. {md_text(note)}" for i, note in enumerate(notes(report), 1)], ""]
    lines += ["## Leaderboard row", "", md_text(_board_note(report)), ""]
    header, cells = _board_rows(report)
    lines += [*_md_table(header, [cells]), ""] if cells else ["(no leaderboard row)", ""]
    charts: dict[str, str] = {}
    if report.bars:
        lines += ["## By language", ""]
        for metric, bars in _charts(report.bars):
            name = f"{stem}-{_slug(metric)}.svg"
            charts[name] = language_chart(bars, metric, standalone=True)
            lines += [f"![{md_text(metric)} by language]({name})", ""]
            rows = [
                [b.language, b.task, fmt_shown(metric, b.value), _ci(metric, b.ci, b.n), str(b.n)]
                + [fmt_shown(metric, b.baseline)]
                for b in bars
            ]
            header = ["language", "task", _unit(metric), "95% CI", "n", "baseline"]
            lines += [*_md_table(header, rows, [0, 1]), ""]
    if report.gate is not None:
        gate = report.gate
        lines += [f"## Against the baseline {md_text(public(report.baseline_ref or gate.baseline))}", ""]
        lines += [f"**{md_text(compare_summary(gate))}**", ""]
        lines += [
            f"Baseline {md_text(public(gate.baseline))}, this run {md_text(public(gate.candidate))}.",
            "",
        ]
        lines += [*_md_table(COMPARE_HEADER, _compare_rows(gate), [0, 1]), "", compare_rule(gate), ""]
    lines += [
        "## Fingerprint",
        "",
        *_md_table(["field", "value"], [list(f) for f in flatten(report.run.fingerprint)], [0, 1]),
    ]
    lines += ["", f"Written by `harness report` (harness {__version__})."]
    return "\n".join(lines) + "\n", charts


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
    for r, cells_shown in zip(report.results, _task_rows(report), strict=True):
        cells = [escape(c) for c in cells_shown]
        exact = scale_of(r.metric).factor * r.value if r.value is not None else None
        value = "" if exact is None else f' data-value="{exact!r}"'
        cells[3] = (
            f'<span data-task="{escape(r.task)}" data-metric="{escape(r.metric)}"{value}>{cells[3]}</span>'
        )
        rows.append(cells)
    return _html_table(TASK_HEADER, rows, numeric={3, 4, 5}, raw=True)


def _html_gate(gate: GateReport) -> str:
    rows = []
    for v, shown_cells in zip(gate.verdicts, _compare_rows(gate), strict=True):
        cells = [escape(c) for c in shown_cells]
        if getattr(v, "verdict", None) == "regression" or v.failed:
            cells[-1] = f'<span class="fail">{cells[-1]}</span>'
        rows.append(cells)
    css = (
        "fail" if any(getattr(v, "verdict", None) == "regression" or v.failed for v in gate.verdicts) else ""
    )
    return "\n".join(
        [
            f'<p class="{css}"><strong>{escape(compare_summary(gate))}</strong></p>',
            f"<p>Baseline <strong>{escape(public(gate.baseline))}</strong>, this run <strong>"
            f"{escape(public(gate.candidate))}</strong>.</p>",
            _html_table(COMPARE_HEADER, rows, numeric=set(range(2, len(COMPARE_HEADER) - 1)), raw=True),
            f'<p class="note">{escape(compare_rule(gate))}</p>',
        ]
    )


def to_html(report: Report) -> str:
    section: Callable[[str], str] = lambda title: f"<h2>{escape(title)}</h2>"  # noqa: E731
    title = public(report.title)
    body = [f"<h1>Evaluation report: {escape(title)}</h1>"]
    warning = banner(report)
    if warning:
        body.append(f'<p class="warn">⚠ <strong>{escape(warning)}</strong></p>')
    if report.contamination is not None and report.contamination.contaminated:
        body.append(
            '<p class="warn">⚠ <strong>Contaminated checkpoint</strong>: '
            f"{escape(report.contamination.describe())}</p>"
        )
    body += [section("Run"), _html_table(["field", "value"], [list(f) for f in run_facts(report)])]
    body += [section("Results"), _html_results(report)]
    body.append(
        f'<p class="note">* primary metric of the task, as its family declares it. {escape(SCALE_NOTE)} '
        f"{escape(Z95_NOTE)}.</p>"
    )
    body.append("<ol>" + "".join(f"<li>{escape(t)}</li>" for t in notes(report)) + "</ol>")
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
        ref = public(report.baseline_ref or report.gate.baseline)
        body += [section(f"Against the baseline {ref}"), _html_gate(report.gate)]
    body += [
        section("Fingerprint"),
        _html_table(["field", "value"], [list(f) for f in flatten(report.run.fingerprint)]),
    ]
    body.append(
        f'<p class="note">Written by <code>harness report</code> (harness {escape(__version__)}).</p>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
