"""Checkpoints: score against training step (or tokens seen), the base model at step 0, one line
per benchmark family (the mean over its tasks) or, for one family, per task; and what each
language gained or lost against the base model."""

import altair as alt
import pandas as pd
import streamlit as st

from app.common import engine, md_escape, multiselect, selectbox, stop_if_empty
from app.tables import dataframe, styled
from core.languages import language_info
from core.scale import FRACTIONS, scale_of, shown
from db import app_queries as q

ALL = "all families"
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]

st.title("Checkpoints")
options = q.filter_options(engine())
metrics = [m for m in options.metrics if m != q.PRIMARY]
stop_if_empty(bool(options.models))

stepped = q.checkpointed_models(engine())
model = selectbox("Model", "model", options.models, default=stepped[0] if stepped else None)
metric = selectbox("Metric", "metric", metrics, default="chrf++" if "chrf++" in metrics else None)
axis = selectbox("Horizontal axis", "x", ["step", "tokens_seen"])
filters = q.Filters(
    tasks=multiselect("Task", "task", options.tasks),
    languages=multiselect("Language", "language", options.languages),
)
if model not in stepped:
    others = ", ".join(md_escape(m) for m in stepped[:5]) or "none"
    st.info(f"{md_escape(model)} has no checkpoint with a training step. Models with checkpoints: {others}.")

points = [
    p for p in q.checkpoint_curve(engine(), model, metric=metric, filters=filters) if p.value is not None
]
base = q.base_checkpoint(engine(), model)
at_zero = []  # the base model as the curve's step 0, on the tasks the checkpoints were scored on
if base is not None and points and base.id not in {p.checkpoint_id for p in points if p.step is not None}:
    tasks = {p.task for p in points}
    only = q.Filters(**{**filters.__dict__, "models": [base.model]})
    at_zero = [
        p
        for p in q.checkpoint_results(engine(), base.id, metric=metric, filters=only)
        if p.value is not None and p.task in tasks
    ]
    if at_zero:  # the base is then drawn once, at step 0
        points = [p for p in points if p.checkpoint_id != base.id]
frame = pd.DataFrame([p.__dict__ for p in points])
if at_zero:
    zero = pd.DataFrame([p.__dict__ for p in at_zero]).assign(step=0, tokens_seen=0)
    frame = pd.concat([zero, frame], ignore_index=True)
if not frame.empty:
    frame["family"] = frame["family"].fillna("unknown")
    frame["value"] = [shown(metric, v) for v in frame["value"]]
    frame["checkpoint"] = [
        "base" if i < len(at_zero) else ("no step" if pd.isna(s) else f"step {int(s)}")
        for i, s in enumerate(frame["step"])
    ]

families = sorted(frame["family"].unique()) if not frame.empty else []
family = selectbox("Lines", "family", [ALL, *families], help="One line per family, or per task of one")
unit = " (x100)" if metric in FRACTIONS else ""
st.subheader(f"{md_escape(metric)}{unit} by {axis.replace('_', ' ')}")
if frame.empty:
    st.warning(f"{md_escape(model)} has no {md_escape(metric)} results matching the filters.")
    series = frame
else:
    if family == ALL:  # one line per family: the mean over its tasks at each checkpoint
        series = (
            frame.groupby(["family", "checkpoint", "step", "tokens_seen"], dropna=False, sort=False)
            .agg(value=("value", "mean"), tasks=("task", "nunique"))
            .reset_index()
            .rename(columns={"family": "line"})
        )
    else:
        series = frame[frame.family == family].assign(line=lambda f: f.task, tasks=1)
    lines = sorted(series["line"].unique())
    if series[axis].isna().all():
        st.info(f"No checkpoint of {md_escape(model)} records its {axis.replace('_', ' ')}.")
    else:
        digits = f".{scale_of(metric).digits}f"
        legend = alt.Legend(title="family" if family == ALL else "task", symbolStrokeWidth=2)
        chart = (
            alt.Chart(series.dropna(subset=[axis]))
            .mark_line(point=alt.OverlayMarkDef(size=70, filled=False), strokeWidth=2, opacity=0.85)
            .encode(
                x=alt.X(f"{axis}:Q"),
                y=alt.Y("value:Q", title=f"{metric}{unit}"),
                color=alt.Color("line:N", scale=alt.Scale(domain=lines), legend=legend),
                # Distinct dashes and markers: curves with the same values stay visible.
                strokeDash=alt.StrokeDash(
                    "line:N", scale=alt.Scale(domain=lines, range=DASHES), legend=legend
                ),
                shape=alt.Shape("line:N", scale=alt.Scale(domain=lines, range=SHAPES), legend=legend),
                tooltip=[
                    alt.Tooltip("line:N", title="family" if family == ALL else "task"),
                    "checkpoint:N",
                    "step:Q",
                    "tokens_seen:Q",
                    alt.Tooltip("value:Q", title=metric, format=digits),
                    "tasks:Q",
                ],
            )
        )
        st.altair_chart(chart, width="stretch")
        curves: dict[tuple[object, ...], list[str]] = {}
        for line, rows in series.sort_values("checkpoint").groupby("line"):
            curves.setdefault(tuple(rows["value"].round(9)), []).append(str(line))
        same = [names for names in curves.values() if len(names) > 1]
        notes = [
            "Step 0 is the base model"
            + (f", {md_escape(base.model)} {md_escape(base.source)}" if base is not None else "")
            + "."
            if at_zero
            else "No base model result on these tasks: the curve starts at the first checkpoint."
        ]
        if family == ALL:
            notes.append("Each line: the mean over a family's tasks (choose a family under *Lines*).")
        notes += [f"Identical curves (drawn over each other): {', '.join(map(md_escape, n))}." for n in same]
        st.caption(" ".join(notes))
    table = series.pivot_table(index="line", columns="checkpoint", values="value", sort=False)
    table = table.rename_axis(index="family" if family == ALL else "task")
    dataframe(styled(table, metric), width="stretch")

st.subheader("Forgetting: change per language against the base")
base, rows = q.forgetting(engine(), model, metric=metric)
if base is None or not rows:
    st.info(f"Nothing to compare: {md_escape(model)} needs a base and later checkpoints scored on its tasks.")
else:
    st.caption(
        f"Base: {md_escape(base.model)} {md_escape(base.source)}"
        + (f" (step {base.step})" if base.step is not None else "")
        + f". Mean of {md_escape(metric)}{unit} over the tasks both were scored on; negative is forgotten."
    )
    forgot = pd.DataFrame([r.__dict__ for r in rows])
    forgot["checkpoint"] = forgot["step"].map(lambda s: "no step" if pd.isna(s) else f"step {int(s)}")
    forgot["language"] = [f"{language_info(c).name} · {c}" for c in forgot["language"]]
    for column in ("base_value", "value", "delta"):
        forgot[column] = [shown(metric, v) for v in forgot[column]]
    digits = f".{scale_of(metric).digits}f"
    chart = (
        alt.Chart(forgot)
        .mark_rect()
        .encode(
            # Horizontal labels, never cut: a fixed step per column and a generous label limit.
            x=alt.X(
                "checkpoint:N",
                sort=None,
                title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=200, orient="top"),
            ),
            y=alt.Y("language:N", title=None, axis=alt.Axis(labelLimit=300, labelPadding=6)),
            color=alt.Color(
                "delta:Q",
                title=f"{metric}{unit} change against the base",
                scale=alt.Scale(scheme="redblue", domainMid=0),
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", gradientLength=240, titleLimit=400
                ),
            ),
            tooltip=[
                "language",
                "checkpoint",
                alt.Tooltip("base_value:Q", title="base", format=digits),
                alt.Tooltip("value:Q", format=digits),
                alt.Tooltip("delta:Q", title="change", format=digits),
                "tasks",
            ],
        )
        .properties(width=alt.Step(90), height=alt.Step(22))
    )
    st.altair_chart(chart, width="content")
    table = forgot.pivot_table(index="language", columns="checkpoint", values="delta", sort=False)
    dataframe(styled(table, metric), width="stretch")
