"""Leaderboard: models x task families (or tasks), with coverage and 95% intervals."""

import streamlit as st

from app.common import engine, keep, multiselect, selectbox
from app.tables import numbers_table, shown_table
from db import app_queries as q

st.title("Leaderboard")
options = q.filter_options(engine())
if not options.models:
    st.info("No complete runs in the database yet: run `harness eval` first.")
    st.stop()

by = selectbox("Columns", "by", ["family", "task"])
metric = selectbox("Metric", "metric", options.metrics, help="primary: chrF++ for FLORES, accuracy otherwise")
filters = q.Filters(
    families=multiselect("Family", "family", options.families),
    languages=multiselect("Language", "language", options.languages),
    scripts=multiselect("Script", "script", options.scripts),
    resources=multiselect("Resource level", "resource", options.resources),
    models=multiselect("Model", "model", options.models),
)
keep("by", by)
cells = q.leaderboard(engine(), by="task" if by == "task" else "family", metric=metric, filters=filters)
if not cells:
    st.warning("No results match the filters.")
    st.stop()

table = shown_table(cells, by)
st.caption(
    "Each cell: mean over the tasks the model has, its 95% interval, and how many of the column's "
    "tasks that mean covers. A model without any of a column's tasks shows `missing`; it is never "
    "averaged as zero. Each model's newest complete result per task (highest step) is used."
)
st.dataframe(table, width="stretch")
left, right = st.columns(2)
left.download_button("Download CSV (as shown)", table.to_csv().encode("utf-8"), "leaderboard.csv", "text/csv")
numbers = numbers_table(cells, by)
right.download_button(
    "Download CSV (numbers)",
    numbers.to_csv(index=False).encode("utf-8"),
    "leaderboard-numbers.csv",
    "text/csv",
    help="One row per shown cell, unrounded, with the interval and coverage as separate columns.",
)
