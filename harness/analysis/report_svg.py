"""The report's per-language chart as plain SVG, written here so the report needs no chart library,
no script and no network: one horizontal bar per task (its primary score), grouped under its
language (ordered by resource level), the 95% interval as a whisker, the baseline as a tick, and
every number in a hover title. Values are on the metric's shown scale (`core.scale`), so the axis
of an accuracy runs 0-100."""

import html
import math
from collections.abc import Callable, Sequence
from itertools import groupby

from core.scale import FRACTIONS, fmt_shown, scale_of
from harness.analysis.report_model import Bar
from harness.output import printable

WIDTH, LABEL, VALUE = 760, 270, 70
ROW, HEAD, TOP, AXIS = 20, 22, 46, 30
BAR, WHISKER, BASE = "#2171b5", "#08306b", "#d94801"


def escape(value: str) -> str:
    """`value` for SVG text and attributes: XML-escaped, control characters (not allowed in XML 1.0)
    written out by `printable`."""
    return html.escape(printable(value))


def _axis_max(bars: Sequence[Bar], metric: str) -> float:
    """The axis's upper end: the metric's top (100 for accuracies, rates and sacrebleu's scores on
    their shown 0-100 scale), else a round number that covers every value, interval and baseline."""
    high = scale_of(metric).high
    if high is not None:
        return high
    top = max(
        [b.value for b in bars]
        + [b.ci[1] for b in bars if b.ci]
        + [b.baseline for b in bars if b.baseline is not None]
    )
    if top <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top:
            return float(step * magnitude)
    return float(10 * magnitude)


def language_chart(bars: Sequence[Bar], metric: str, standalone: bool = False) -> str:
    """One chart for bars of one metric. `standalone` adds the XML namespace a separate .svg file
    needs (inline in HTML it is not needed)."""
    if not bars:
        raise ValueError("no bars to draw")
    top = _axis_max(bars, metric)
    span = WIDTH - LABEL - VALUE
    groups = [(key, list(rows)) for key, rows in groupby(bars, key=lambda b: b.language)]
    height = TOP + sum(HEAD + ROW * len(rows) for _, rows in groups) + AXIS

    def x(value: float) -> float:
        return LABEL + span * max(0.0, min(value, top)) / top

    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    has_baseline = any(b.baseline is not None for b in bars)
    out = [
        f'<svg{namespace} width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(metric)} by language" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">',
        f"<title>{escape(metric)} by language</title>",
        f'<text x="0" y="16" font-size="14" font-weight="600">{escape(metric)}'
        + (" ×100" if metric in FRACTIONS else "")
        + " by language</text>",
        '<text x="0" y="34" fill="#555">bar: this run; whisker: 95% interval'
        + (f'; <tspan fill="{BASE}">tick: baseline</tspan>' if has_baseline else "")
        + "</text>",
    ]
    y = TOP
    for language, rows in groups:
        first = rows[0]
        out.append(
            f'<text x="0" y="{y + 15}" font-weight="600">{escape(first.language_name)} '
            f'<tspan fill="#555" font-weight="400">{escape(language)} · {escape(first.resource)} resource'
            "</tspan></text>"
        )
        y += HEAD
        for bar in rows:
            out.extend(_bar(bar, y, x))
            y += ROW
    out.extend(_axis(y, top, x))
    out.append("</svg>")
    return "\n".join(out)


def _bar(bar: Bar, y: int, x: Callable[[float], float]) -> list[str]:
    label = bar.task if len(bar.task) <= 40 else bar.task[:39] + "…"
    m = bar.metric
    hover = f"{bar.task}: {bar.metric} {fmt_shown(m, bar.value)}"
    if bar.ci:
        hover += f", 95% interval [{fmt_shown(m, bar.ci[0])}, {fmt_shown(m, bar.ci[1])}]"
    hover += f", n={bar.n}"
    if bar.baseline is not None:
        hover += f", baseline {fmt_shown(m, bar.baseline)}"
    mid = y + ROW / 2
    parts = [
        f'<g data-task="{escape(bar.task)}" data-value="{bar.value!r}"><title>{escape(hover)}</title>',
        f'<text x="12" y="{mid + 4}" fill="#333">{escape(label)}</text>',
        f'<rect x="{x(0):.1f}" y="{y + 4}" width="{x(bar.value) - x(0):.1f}" height="{ROW - 8}" '
        f'fill="{BAR}"/>',
    ]
    if bar.ci:
        low, high = x(bar.ci[0]), x(bar.ci[1])
        parts.append(
            f'<path d="M{low:.1f} {mid}H{high:.1f}M{low:.1f} {mid - 4}V{mid + 4}'
            f'M{high:.1f} {mid - 4}V{mid + 4}" '
            f'stroke="{WHISKER}" stroke-width="1.5" fill="none"/>'
        )
    if bar.baseline is not None:
        base = x(bar.baseline)
        parts.append(
            f'<path d="M{base:.1f} {y + 1}V{y + ROW - 1}" stroke="{BASE}" stroke-width="3" fill="none"/>'
        )
    parts.append(f'<text x="{WIDTH - VALUE + 8}" y="{mid + 4}">{fmt_shown(m, bar.value)}</text></g>')
    return parts


def _axis(y: int, top: float, x: Callable[[float], float]) -> list[str]:
    parts = [f'<path d="M{x(0):.1f} {y + 2}H{x(top):.1f}" stroke="#999" fill="none"/>']
    for i in range(6):
        value = top * i / 5
        parts.append(
            f'<path d="M{x(value):.1f} {y + 2}V{y + 6}" stroke="#999" fill="none"/>'
            f'<text x="{x(value):.1f}" y="{y + 18}" text-anchor="middle" fill="#555">{value:g}</text>'
        )
    return parts
