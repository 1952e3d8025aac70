"""Languages: a language x model heatmap, grouped by script, family or resource level."""

import altair as alt
import pandas as pd
import streamlit as st

from app.common import engine, multiselect, selectbox
from db import app_queries as q

st.title("Languages")
options = q.filter_options(engine())
metrics = [m for m in options.metrics if m != q.PRIMARY]
if not metrics:
    st.info("No complete runs in the database yet.")
    st.stop()

metric = selectbox("Metric", "metric", metrics, default="chrf++" if "chrf++" in metrics else None)
group_by = selectbox("Group languages by", "group", ["script", "family", "resource"])
filters = q.Filters(
    families=multiselect("Family", "family", options.families),
    models=multiselect("Model", "model", options.models),
)
cells = q.language_matrix(engine(), metric=metric, group_by=group_by, filters=filters)  # type: ignore[arg-type]
if not cells:
    st.warning(f"No results for {metric} match the filters.")
    st.stop()

frame = pd.DataFrame(
    [
        {
            "group": c.group,
            "language": f"{c.name} ({c.language})",
            "model": c.model,
            metric: c.value,
            "tasks": c.tasks,
        }
        for c in cells
    ]
)
chart = (
    alt.Chart(frame)
    .mark_rect()
    .encode(
        x=alt.X("model:N", title="model"),
        y=alt.Y("language:N", title=None),
        color=alt.Color(f"{metric}:Q", scale=alt.Scale(scheme="viridis")),
        tooltip=["model", "language", "group", alt.Tooltip(f"{metric}:Q", format=".3f"), "tasks"],
    )
    .properties(width=alt.Step(60))
    .facet(row=alt.Row("group:N", title=group_by))
    .resolve_scale(y="independent")
)
st.altair_chart(chart)
table = frame.pivot_table(index=["group", "language"], columns="model", values=metric)
st.dataframe(table, width="stretch")
