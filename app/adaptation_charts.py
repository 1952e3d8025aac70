"""The Adaptation page's data and charts: each checkpoint of a lineage against its base
(`harness.analysis.adaptation.checkpoint_series`), drawn as a language x checkpoint heatmap of the
gain, the gain-on-targets against change-on-the-rest trade-off, and bits per byte over steps.

Every change is gain-signed (`TaskChange.gain`: positive is better, so a fall in bits per byte is a
gain), so one colour and one direction always mean better. Values on the metric's display scale
(`core.scale`)."""

from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from core.languages import language_info
from core.scale import fmt, fmt_delta, fmt_delta_interval, scale_of, shown
from harness.analysis.adaptation import Comparison, SeriesPoint, TaskChange

BPB = "bits_per_byte"
ENGLISH = "eng_Latn"
BASE = "base"
SIGNIFICANT = "●"
"""Drawn in a heatmap cell whose change is significant (Holm-adjusted)."""
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3]]
COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2", "#9d755d", "#72b7b2", "#ff9da6"]
"""One distinct hue per recipe (Vega's tableau10; Streamlit's theme would give shades of one blue)."""
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]


@dataclass(frozen=True)
class Checkpoint:
    """One adapted checkpoint on the page: its recipe line and its comparison against the base."""

    line: str
    """The recipe's name as the legends show it (with its model when two branches share a recipe)."""
    point: SeriesPoint
    comparison: Comparison

    @property
    def column(self) -> str:
        return f"{self.line} @{self.point.step}" if self.point.step is not None else self.line


def direction(metric: str, higher_is_better: bool) -> str:
    """How a gain reads for the metric, for axis and legend titles."""
    return f"{metric}, {'higher' if higher_is_better else 'lower'} is better"


def metrics_of(checkpoints: Sequence[Checkpoint]) -> list[str]:
    """The primary metrics compared, the one with the most tasks first (bits per byte on ties)."""
    counts: dict[str, int] = {}
    for c in checkpoints:
        for change in c.comparison.changes:
            counts[change.metric] = counts.get(change.metric, 0) + 1
    return sorted(counts, key=lambda m: (-counts[m], m != BPB, m))


def targets_of(checkpoints: Sequence[Checkpoint]) -> list[str]:
    """Every checkpoint's target languages, in order of first appearance."""
    return list(dict.fromkeys(code for c in checkpoints for code in c.comparison.targets))


def _row_label(change: TaskChange, several: bool) -> str:
    code = change.language
    label = f"{language_info(code).name} · {code}" if code else "(no language)"
    return f"{label} · {change.task}" if several else label


def change_frame(checkpoints: Sequence[Checkpoint], metric: str) -> pd.DataFrame:
    """One row per checkpoint and task of `metric`: the gain (display scale), the formatted base,
    checkpoint, delta, interval and Holm p for the tooltip, and whether the change is significant.
    A row is labelled by its language, and also by its task where the language has several."""
    changes = [(c, ch) for c in checkpoints for ch in c.comparison.changes if ch.metric == metric]
    tasks_per_language: dict[str | None, set[str]] = {}
    for _, ch in changes:
        tasks_per_language.setdefault(ch.language, set()).add(ch.task)
    targets = set(targets_of(checkpoints))
    rows = []
    for c, ch in changes:
        target = ch.language in targets
        rows.append(
            {
                "row": _row_label(ch, len(tasks_per_language[ch.language]) > 1),
                "group": "targets" if target else "the rest",
                "language": ch.language or "",
                "task": ch.task,
                "checkpoint": c.column,
                "recipe": c.line,
                "gain": shown(metric, ch.gain),
                "base": fmt(metric, ch.base),
                "value": fmt(metric, ch.candidate),
                "delta": fmt_delta(metric, ch.delta),
                "interval": fmt_delta_interval(metric, ch.low, ch.high),
                "p_holm": ch.p_holm,
                "verdict": ch.verdict,
                "n": ch.n,
                "significant": ch.significant,
                "mark": SIGNIFICANT if ch.significant else "",
            }
        )
    return pd.DataFrame(rows)


def _row_order(frame: pd.DataFrame) -> list[str]:
    """Targets first, then the rest, each by language name (then task)."""
    first = frame.sort_values(["group", "row"], key=lambda s: s != "targets" if s.name == "group" else s)
    return list(dict.fromkeys(first["row"]))


def change_heatmap(checkpoints: Sequence[Checkpoint], metric: str) -> alt.VConcatChart:
    """Rows: languages (targets first, in their own block); columns: checkpoints by recipe and step;
    colour: the gain against the base, diverging around zero (blue better, red worse, whatever the
    metric's direction); a dot marks a change significant after Holm's adjustment."""
    frame = change_frame(checkpoints, metric)
    higher = next(
        ch.higher_is_better for c in checkpoints for ch in c.comparison.changes if ch.metric == metric
    )
    bound = float(frame["gain"].abs().max() or 1.0)
    frame["dark"] = frame["gain"].abs() > 0.55 * bound
    columns = list(dict.fromkeys(c.column for c in checkpoints))
    digits = f"+.{scale_of(metric).digits}f"
    tooltip = [
        alt.Tooltip("row:N", title="language"),
        alt.Tooltip("task:N"),
        alt.Tooltip("checkpoint:N"),
        alt.Tooltip("base:N", title=f"base {metric}"),
        alt.Tooltip("value:N", title=f"checkpoint {metric}"),
        alt.Tooltip("delta:N", title="change (checkpoint minus base)"),
        alt.Tooltip("interval:N", title="95% interval of the change"),
        alt.Tooltip("gain:Q", title="gain (positive is better)", format=digits),
        alt.Tooltip("p_holm:Q", title="p (Holm)", format=".4f"),
        alt.Tooltip("verdict:N"),
        alt.Tooltip("n:Q", title="n (documents)"),
    ]
    colour = alt.Color(
        "gain:Q",
        scale=alt.Scale(scheme="redblue", domain=[-bound, bound], domainMid=0),
        title=f"gain against the base, positive is better ({direction(metric, higher)})",
        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=260, titleLimit=600),
    )
    order = _row_order(frame)
    groups = [g for g in ("targets", "the rest") if (frame["group"] == g).any()]
    blocks = []
    for index, group in enumerate(groups):
        x = alt.X(
            "checkpoint:N",
            scale=alt.Scale(domain=columns),
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-30, labelLimit=240) if index == 0 else None,
        )
        y = alt.Y(
            "row:N",
            sort=[r for r in order if r in set(frame[frame.group == group]["row"])],
            title=None,
            axis=alt.Axis(labelLimit=300, minExtent=220, maxExtent=300),
        )
        base = alt.Chart(frame).transform_filter(alt.datum.group == group).encode(x=x, y=y)
        cells = base.mark_rect(stroke="white", strokeWidth=0.5).encode(color=colour, tooltip=tooltip)
        marks = base.mark_text(fontSize=14).encode(
            text=alt.Text("mark:N"),
            color=alt.condition("datum.dark", alt.value("white"), alt.value("black")),
            tooltip=tooltip,
        )
        blocks.append(
            (cells + marks).properties(
                width=alt.Step(max(40, min(90, 720 // max(1, len(columns))))),
                height=alt.Step(20),
                title=alt.Title(group, anchor="start", fontSize=13),
            )
        )
    return alt.vconcat(*blocks, spacing=8).resolve_scale(color="shared")


def tradeoff_frame(checkpoints: Sequence[Checkpoint], metric: str) -> pd.DataFrame:
    """Per recipe line: the base at the origin, then each checkpoint with a summary of `metric`
    that has tasks on both sides: x the mean gain on the targets, y the mean gain on the rest
    (display scale), in step order (`order`)."""
    rows: list[dict[str, object]] = []
    for line in dict.fromkeys(c.line for c in checkpoints):
        rows.append(_origin(line))
        for c in (c for c in checkpoints if c.line == line):
            summary = next((s for s in c.comparison.summaries if s.metric == metric), None)
            if summary is None or summary.mean_gain_targets is None or summary.mean_change_rest is None:
                continue
            rows.append(
                {
                    "recipe": line,
                    "kind": "checkpoint",
                    "checkpoint": c.point.label,
                    "step": c.point.step,
                    "tokens_seen": c.point.tokens_seen,
                    "order": len(rows),
                    "x": shown(metric, summary.mean_gain_targets),
                    "y": shown(metric, summary.mean_change_rest),
                    "target_tasks": summary.targets,
                    "rest_tasks": summary.rest,
                    "targets": ", ".join(c.comparison.targets),
                    "gained": ", ".join(c.comparison.gains) or "none",
                    "forgot": ", ".join(c.comparison.forgetting) or "none",
                }
            )
    frame = pd.DataFrame(rows)
    counted = frame[frame.kind == "checkpoint"].groupby("recipe").size()
    return frame[frame.recipe.isin(counted.index)].reset_index(drop=True)


def _origin(line: str) -> dict[str, object]:
    return {"recipe": line, "kind": BASE, "checkpoint": BASE, "step": 0, "order": -1, "x": 0.0, "y": 0.0}


def tradeoff_chart(
    frame: pd.DataFrame, metric: str, higher_is_better: bool
) -> alt.LayerChart | alt.FacetChart:
    """One point per checkpoint, x = mean gain on the targets, y = mean change on the rest (both
    gain-signed: up and right are better), the base at the origin, each recipe's points joined in
    step order from the base."""
    lines = list(dict.fromkeys(frame["recipe"]))
    digits = f"+.{scale_of(metric).digits}f"
    said = direction(metric, higher_is_better)
    x = alt.X("x:Q", title=f"mean gain on the targets ({said})")
    y = alt.Y("y:Q", title=f"mean gain on the rest ({said})")
    legend = alt.Legend(title="recipe", orient="right", labelLimit=320, symbolStrokeWidth=2)
    colour = alt.Color("recipe:N", scale=alt.Scale(domain=lines, range=COLOURS), legend=legend)
    zero = pd.DataFrame({"zero": [0.0]})
    axes = alt.layer(
        alt.Chart(zero).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="zero:Q"),
        alt.Chart(zero).mark_rule(color="gray", strokeDash=[4, 4]).encode(y="zero:Q"),
    )
    paths = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2, opacity=0.8)
        .encode(
            x=x,
            y=y,
            order=alt.Order("order:Q"),
            color=colour,
            strokeDash=alt.StrokeDash("recipe:N", scale=alt.Scale(domain=lines, range=DASHES), legend=legend),
        )
    )
    points = (
        alt.Chart(frame)
        .transform_filter(alt.datum.kind != BASE)
        .mark_point(size=110, filled=True, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=colour,
            shape=alt.Shape("recipe:N", scale=alt.Scale(domain=lines, range=SHAPES), legend=legend),
            tooltip=[
                alt.Tooltip("recipe:N"),
                alt.Tooltip("checkpoint:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("tokens_seen:Q", title="tokens seen", format=","),
                alt.Tooltip("x:Q", title="mean gain, targets", format=digits),
                alt.Tooltip("y:Q", title="mean change, rest", format=digits),
                alt.Tooltip("target_tasks:Q", title="target tasks"),
                alt.Tooltip("rest_tasks:Q", title="other tasks"),
                alt.Tooltip("targets:N"),
                alt.Tooltip("gained:N", title="significant gains"),
                alt.Tooltip("forgot:N", title="significantly worse"),
            ],
        )
    )
    origin = alt.Chart(pd.DataFrame({"x": [0.0], "y": [0.0], "label": [BASE]}))
    base = origin.mark_point(size=160, shape="cross", filled=True, color="black").encode(
        x=x, y=y, tooltip=[alt.Tooltip("label:N", title="the base model")]
    ) + origin.mark_text(align="left", dx=8, dy=-8, fontWeight="bold").encode(x=x, y=y, text="label:N")
    return alt.layer(axes, paths, points, base).properties(width=560, height=400)


def bpb_frame(checkpoints: Sequence[Checkpoint], languages: Sequence[str]) -> pd.DataFrame:
    """Bits per byte per recipe line and language at each step: the base at step 0 (from the
    comparisons' base side), then each checkpoint."""
    rows: list[dict[str, object]] = []
    for c in checkpoints:
        for ch in c.comparison.changes:
            if ch.metric != BPB or ch.language is None or ch.language not in languages:
                continue
            label = f"{language_info(ch.language).name} · {ch.language}"
            common = {"recipe": c.line, "language": label, "task": ch.task}
            rows.append({**common, "checkpoint": BASE, "step": 0, "value": ch.base})
            rows.append({**common, "checkpoint": c.point.label, "step": c.point.step, "value": ch.candidate})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.dropna(subset=["step"]).drop_duplicates(["recipe", "language", "task", "step"])


def bpb_chart(frame: pd.DataFrame, languages: Sequence[str]) -> alt.FacetChart:
    """One panel per language (targets, then English): bits per byte against the training step,
    a line per recipe from the base at step 0; lower is better."""
    lines = list(dict.fromkeys(frame["recipe"]))
    order = [f"{language_info(code).name} · {code}" for code in languages]
    legend = alt.Legend(title="recipe", labelLimit=320, symbolStrokeWidth=2)
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=False), strokeWidth=2, opacity=0.85)
        .encode(
            x=alt.X("step:Q", title="training step (0 = the base)"),
            y=alt.Y("value:Q", title="bits per byte (lower is better)", scale=alt.Scale(zero=False)),
            color=alt.Color("recipe:N", scale=alt.Scale(domain=lines, range=COLOURS), legend=legend),
            strokeDash=alt.StrokeDash("recipe:N", scale=alt.Scale(domain=lines, range=DASHES), legend=legend),
            tooltip=[
                alt.Tooltip("recipe:N"),
                alt.Tooltip("language:N"),
                alt.Tooltip("checkpoint:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("value:Q", title="bits per byte", format=".4f"),
            ],
        )
        .properties(width=300, height=240)
        .facet(
            column=alt.Column("language:N", sort=order, title=None, header=alt.Header(labelFontWeight="bold"))
        )
    )
