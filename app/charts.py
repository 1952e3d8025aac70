"""The app's Altair charts, built from `db/` rows: the Languages heatmap and the Compare scatter."""

from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.scale import scale_of, shown
from db.app_queries import TaskDelta
from db.heatmap import Heatmap

MEAN_PREFIX = "mean · "
"""Row label of a group's mean, drawn first in its group and in bold."""
TEXT_CELLS = 600
"""Write each cell's number in it up to this many cells; beyond, the colour and tooltip tell."""
CELLS_WIDTH = 620
"""Pixels for the heatmap's columns: the page's width less the language labels and the legend."""


def natural(name: str) -> list[object]:
    """Sort key that puts `model-2` before `model-10`."""
    import re

    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def language_label(name: str, code: str) -> str:
    return f"{name} · {code}"


def mean_label(count: int) -> str:
    """Row label of a group's mean: the group's size; each model's own coverage is in its cell."""
    return f"{MEAN_PREFIX}of {count} language{'s' if count != 1 else ''}"


def coverage(covered: int, total: int) -> str:
    return f"{covered} of {total}"


def heatmap_frame(hm: Heatmap, metric: str) -> pd.DataFrame:
    """One row per drawn cell: every language cell, then each group's mean per model. Values on
    the metric's display scale (`core.scale`: accuracies x100, as the leaderboard); `languages`
    says how many of the group's languages a model's mean covers ("1 of 13")."""
    diff = hm.base is not None
    rows = [
        {
            "group": c.group,
            "row": language_label(c.name, c.language),
            "language": c.language,
            "model": c.model,
            "value": shown(metric, c.value),
            "n": c.n,
            "tasks": c.tasks,
            "languages": coverage(1, 1),
            "partial": False,
            metric: shown(metric, c.model_value),
            f"base {metric}": shown(metric, c.base_value),
        }
        for c in hm.cells
    ]
    for m in hm.means:
        count = len(hm.languages[m.group])
        rows.append(
            {
                "group": m.group,
                "row": mean_label(count),
                "language": "",
                "model": m.model,
                "value": shown(metric, m.value),
                "n": m.n,
                "tasks": m.tasks,
                "languages": coverage(m.languages, count),
                "partial": m.languages < count,
                metric: None if diff else shown(metric, m.value),
                f"base {metric}": None,
            }
        )
    return pd.DataFrame(rows)


def heatmap_chart(hm: Heatmap, metric: str, group_title: str) -> alt.VConcatChart:
    """Language x model rectangles, one block per group (its mean first), hover for the value and
    n. Scores: a sequential scale; a difference to a base: diverging, white at zero. (One chart
    per group stacked, not a facet: Streamlit's Vega build fails on facets with independent
    row scales.)"""
    frame = heatmap_frame(hm, metric)
    diff = hm.base is not None
    names = {c.language: c.name for c in hm.cells}
    models = sorted(frame.model.unique(), key=natural)
    if diff:
        bound = float(frame["value"].abs().max() or 1.0)
        scale = alt.Scale(scheme="redblue", domain=[-bound, bound], domainMid=0)
        frame["dark"] = frame["value"].abs() > 0.55 * bound
    else:
        low, high = float(frame["value"].min()), float(frame["value"].max())
        scale = alt.Scale(scheme="viridis", domain=[low, high])
        frame["dark"] = frame["value"] < low + 0.5 * (high - low)
    digits = f".{scale_of(metric).digits}f"
    tooltip = [
        alt.Tooltip("model:N"),
        alt.Tooltip("row:N", title="language"),
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("value:Q", title="model minus base" if diff else metric, format=digits),
        alt.Tooltip("n:Q", title="n (documents)"),
        alt.Tooltip("tasks:Q"),
        alt.Tooltip("languages:N"),
    ]
    if diff:
        tooltip[4:4] = [
            alt.Tooltip(f"{metric}:Q", format=digits),
            alt.Tooltip(f"base {metric}:Q", title=f"{hm.base} {metric}", format=digits),
        ]
    legend_title = f"{metric}, model minus {hm.base}" if diff else metric
    text = len(frame) <= TEXT_CELLS
    # The number in a cell; a group mean over fewer than all of the group's languages is starred.
    frame["label"] = [
        (f"{v:{digits}}" if pd.notna(v) else "") + ("*" if partial else "")
        for v, partial in zip(frame["value"], frame["partial"], strict=True)
    ]
    step = max(24, min(64, CELLS_WIDTH // max(1, len(models))))  # 20 models still fit the page
    blocks = []
    for index, group in enumerate(hm.groups):
        rows = [
            *frame[(frame.group == group) & (frame.language == "")]["row"].unique(),
            *(language_label(names[code], code) for code in hm.languages[group]),
        ]
        last = index == len(hm.groups) - 1
        axis = alt.Axis(
            orient="top" if index == 0 else "bottom", labelAngle=-45, labelLimit=220, labelOverlap=False
        )
        x = alt.X(
            "model:N",
            scale=alt.Scale(domain=models),  # every block the same columns, a model missing or not
            title=None,
            axis=axis if index == 0 or last else None,
        )
        y = alt.Y(
            "row:N",
            sort=rows,
            title=None,
            axis=alt.Axis(
                labelLimit=250,
                minExtent=260,  # every block's labels the same width: the columns line up
                maxExtent=260,
                labelOverlap=False,
                labelFontWeight={
                    "condition": {"test": f"indexof(datum.label, '{MEAN_PREFIX}') === 0", "value": "bold"},
                    "value": "normal",
                },
            ),
        )
        base = alt.Chart(frame).transform_filter(alt.datum.group == group).encode(x=x, y=y)
        cells = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
            color=alt.Color("value:Q", scale=scale, title=legend_title), tooltip=tooltip
        )
        layer: alt.Chart | alt.LayerChart = cells
        if text:
            layer = cells + base.mark_text(fontSize=10).encode(
                text=alt.Text("label:N"),
                color=alt.condition("datum.dark", alt.value("white"), alt.value("black")),
                tooltip=tooltip,
            )
        blocks.append(
            layer.properties(
                width=alt.Step(step),
                height=alt.Step(18),
                title=alt.Title(f"{group_title}: {group}", anchor="start", fontSize=13),
            )
        )
    return alt.vconcat(*blocks, spacing=10).resolve_scale(color="shared")


SIDES = ["B better", "A better", "no significant difference", "not enough evidence"]
SIDE_OF = {"better": SIDES[0], "worse": SIDES[1]}
COLOURS = ["#1a9850", "#d73027", "#9e9e9e", "#9e9e9e"]


def scatter_frame(deltas: Sequence[TaskDelta]) -> pd.DataFrame:
    """One row per task (kind `task`), and per metric the two ends of its y = x diagonal; scores
    on each metric's display scale (`core.scale`), the delta's interval as `core.stats` clipped it."""
    rows: list[dict[str, object]] = [
        {
            "kind": "task",
            "task": d.task,
            "metric": d.metric,
            "n": d.n,
            "differing": d.differing,
            "A": shown(d.metric, d.a),
            "B": shown(d.metric, d.b),
            "delta": shown(d.metric, d.delta),
            "ci_low": shown(d.metric, d.ci_low),
            "ci_high": shown(d.metric, d.ci_high),
            "p": d.p_value,
            "p_holm": d.p_holm,
            "difference": SIDE_OF.get(d.verdict, d.verdict),
        }
        for d in deltas
    ]
    for metric in sorted({d.metric for d in deltas}):
        values = [shown(metric, v) or 0.0 for d in deltas if d.metric == metric for v in (d.a, d.b)]
        top = scale_of(metric).high
        high = top if top is not None and max(values) <= top else max(values) * 1.1
        low = min(0.0, min(values))
        rows += [{"kind": "diagonal", "metric": metric, "A": v, "B": v} for v in (low, high)]
    return pd.DataFrame(rows)


def scatter_chart(deltas: Sequence[TaskDelta], label_a: str, label_b: str) -> alt.FacetChart:
    """Per metric, one point per task, A's score across and B's up, with the y = x diagonal:
    above it B scored higher. Tasks where B is better or worse (paired permutation test, Holm-
    adjusted p < 0.05) are coloured and point up (B better) or down (A better); tasks with too few
    differing documents for any verdict are grey squares."""
    frame = scatter_frame(deltas)
    legend = "B against A (Holm-adjusted p < 0.05)"
    digits = {d.metric: f".{scale_of(d.metric).digits}f" for d in deltas}
    fmt = digits[next(iter(digits))] if len(set(digits.values())) == 1 else ".3f"
    base = alt.Chart().encode(
        x=alt.X("A:Q", title=f"A: {label_a}", scale=alt.Scale(zero=False)),
        y=alt.Y("B:Q", title=f"B: {label_b}", scale=alt.Scale(zero=False)),
    )
    diagonal = base.transform_filter("datum.kind === 'diagonal'").mark_line(color="gray", strokeDash=[4, 4])
    points = (
        base.transform_filter("datum.kind === 'task'")
        .mark_point(size=110, opacity=0.85, filled=False, strokeWidth=2)
        .encode(
            color=alt.Color(
                "difference:N",
                scale=alt.Scale(domain=SIDES, range=COLOURS),
                title=legend,
            ),
            shape=alt.Shape(
                "difference:N",
                scale=alt.Scale(domain=SIDES, range=["triangle-up", "triangle-down", "circle", "square"]),
                title=legend,
            ),
            tooltip=[
                "task:N",
                "metric:N",
                "n:Q",
                alt.Tooltip("differing:Q", title="documents that differ"),
                alt.Tooltip("A:Q", format=fmt),
                alt.Tooltip("B:Q", format=fmt),
                alt.Tooltip("delta:Q", title="B - A", format=fmt),
                alt.Tooltip("ci_low:Q", title="95% CI low", format=fmt),
                alt.Tooltip("ci_high:Q", title="95% CI high", format=fmt),
                alt.Tooltip("p:Q", title="p-value", format=".4f"),
                alt.Tooltip("p_holm:Q", title="p (Holm)", format=".4f"),
                alt.Tooltip("difference:N", title="verdict"),
            ],
        )
    )
    return (
        alt.layer(diagonal, points, data=frame)
        .properties(width=330, height=330)
        .facet(column=alt.Column("metric:N", title=None, header=alt.Header(labelFontWeight="bold")))
        .resolve_scale(x="independent", y="independent")
        .configure_legend(orient="bottom", titleLimit=300)
    )
