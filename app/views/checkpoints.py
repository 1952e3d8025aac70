"""Checkpoints: score against training step (or tokens seen) per task, and what each language
gained or lost against the base model."""

import altair as alt
import pandas as pd
import streamlit as st

from app.common import engine, multiselect, selectbox, stop_if_empty
from app.tables import fmt
from db import app_queries as q

st.title("Checkpoints")
options = q.filter_options(engine())
metrics = [m for m in options.metrics if m != q.PRIMARY]
stop_if_empty(bool(options.models))

model = selectbox("Model", "model", options.models)
metric = selectbox("Metric", "metric", metrics, default="chrf++" if "chrf++" in metrics else None)
axis = selectbox("Horizontal axis", "x", ["step", "tokens_seen"])
filters = q.Filters(
    tasks=multiselect("Task", "task", options.tasks),
    languages=multiselect("Language", "language", options.languages),
)
points = [
    p for p in q.checkpoint_curve(engine(), model, metric=metric, filters=filters) if p.value is not None
]
st.subheader(f"{metric} by {axis.replace('_', ' ')}")
if not points:
    st.warning(f"{model} has no {metric} results matching the filters.")
else:
    frame = pd.DataFrame([p.__dict__ for p in points])
    if frame[axis].isna().all():
        st.info(f"No checkpoint of {model} records its {axis.replace('_', ' ')}.")
    else:
        chart = (
            alt.Chart(frame.dropna(subset=[axis]))
            .mark_line(point=True)
            .encode(
                x=alt.X(f"{axis}:Q"),
                y=alt.Y("value:Q", title=metric),
                color="task:N",
                tooltip=["task", "language", "step", "tokens_seen", alt.Tooltip("value:Q", format=".3f")],
            )
        )
        st.altair_chart(chart, width="stretch")
    st.dataframe(frame.pivot_table(index="task", columns="step", values="value"), width="stretch")

st.subheader("Forgetting: change per language against the base")
base, rows = q.forgetting(engine(), model, metric=metric)
if base is None or not rows:
    st.info(f"Nothing to compare: {model} needs a base checkpoint and later checkpoints scored on its tasks.")
else:
    st.caption(
        f"Base: {base.model} {base.source}"
        + (f" (step {base.step})" if base.step is not None else "")
        + f". Mean of {metric} over the tasks both were scored on; negative is forgotten."
    )
    frame = pd.DataFrame([r.__dict__ for r in rows])
    frame["checkpoint"] = frame["step"].map(lambda s: "no step" if pd.isna(s) else f"step {int(s)}")
    chart = (
        alt.Chart(frame)
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
                title=f"{metric} change against the base",
                scale=alt.Scale(scheme="redblue", domainMid=0),
                legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=240),
            ),
            tooltip=[
                "language",
                "checkpoint",
                alt.Tooltip("base_value:Q", title="base", format=".3f"),
                alt.Tooltip("value:Q", format=".3f"),
                alt.Tooltip("delta:Q", title="change", format=".3f"),
                "tasks",
            ],
        )
        .properties(width=alt.Step(90), height=alt.Step(22))
    )
    st.altair_chart(chart, width="content")
    table = frame.pivot_table(index="language", columns="checkpoint", values="delta", sort=False)
    st.dataframe(table.map(fmt), width="stretch")
