"""Leaderboard: models x task families (or tasks), with coverage and 95% intervals."""

import pandas as pd
import streamlit as st

from app.common import engine, fmt, keep, multiselect, selectbox
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

columns = sorted({c.column for c in cells})
models = sorted({c.model for c in cells})
table = pd.DataFrame("missing", index=pd.Index(models, name="model"), columns=columns)
for c in cells:
    if c.mean is None:
        continue
    interval = f" [{fmt(c.ci_low)}, {fmt(c.ci_high)}]" if c.ci_low is not None else ""
    coverage = f" ({c.covered}/{c.total} tasks)" if by == "family" else ""
    table.loc[c.model, c.column] = f"{fmt(c.mean)}{interval}{coverage}"
st.caption(
    "Each cell: mean over the tasks the model has, its 95% interval, and how many of the column's "
    "tasks that mean covers. A model without any of a column's tasks shows `missing`; it is never "
    "averaged as zero. Each model's newest complete result per task (highest step) is used."
)
st.dataframe(table, width="stretch")
st.download_button("Download CSV", table.to_csv().encode("utf-8"), "leaderboard.csv", "text/csv")
