"""Languages: a language x model heatmap of one metric, languages grouped by resource level,
script or benchmark family with each group's mean first; or every model minus a base model."""

import streamlit as st

from app.charts import heatmap_chart, heatmap_frame
from app.common import engine, md_escape, multiselect, selectbox, stop_if_empty
from app.tables import dataframe, styled
from core.scale import FRACTIONS, fmt_shown
from db import app_queries as q
from db.heatmap import heatmap

GROUPS = {"resource": "resource level", "script": "script", "family": "benchmark family"}
MODES = {"score": "scores", "difference": "difference to a base model"}
ORDERS = {"name": "name", "mean": "mean score"}

st.title("Languages")
options = q.filter_options(engine())
metrics = [m for m in options.metrics if m != q.PRIMARY]  # one scale per chart: no mixed primaries
stop_if_empty(bool(metrics))

metric = selectbox("Metric", "metric", metrics, default="chrf++" if "chrf++" in metrics else None)
group_by = selectbox("Group languages by", "group", list(GROUPS), format_func=GROUPS.__getitem__)
order = selectbox("Order languages by", "order", list(ORDERS), format_func=ORDERS.__getitem__)
mode = selectbox("Show", "mode", list(MODES), format_func=MODES.__getitem__)
base = selectbox("Base model", "base", options.models) if mode == "difference" else None
filters = q.Filters(
    families=multiselect("Family", "family", options.families),
    models=multiselect("Model", "model", options.models),
)
hm = heatmap(engine(), metric, group_by, filters, base=base, order=order)  # type: ignore[arg-type]
if not hm.cells:
    if base is not None:
        st.warning(
            f"No other model shares a task with {md_escape(base)} on {md_escape(metric)} under these filters."
        )
    else:
        st.warning(f"No results for {md_escape(metric)} match the filters.")
    st.stop()

languages = sum(len(codes) for codes in hm.languages.values())
models = len({c.model for c in hm.cells})
unit = "x100, on 0-100 as the leaderboard shows it" if metric in FRACTIONS else "in its own unit"
st.caption(
    f"{languages} languages x {models} models. Each cell: the model's mean {md_escape(metric)} ({unit}) over "
    "the language's tasks (its newest complete result per task); each group starts with each "
    "model's mean over the group's languages it has, starred (*) when that is fewer than all of "
    "them (the tooltip and the table of group means say how many, e.g. 1 of 13). "
    + (
        f"Difference mode: each cell is the model minus {md_escape(base)} over the tasks both were scored on "
        "(red: below the base, blue: above). "
        if base is not None
        else ""
    )
    + "Hover a cell for the value and n (documents). Resource levels: core/languages.py."
)
st.altair_chart(heatmap_chart(hm, metric, GROUPS[group_by]), width="content")

frame = heatmap_frame(hm, metric)
numbers = frame[frame.language != ""][["group", "language", "row", "model", "value", "n", "tasks"]]
table = numbers.pivot_table(index=["group", "row"], columns="model", values="value", sort=False)
table = table[sorted(table.columns)]
dataframe(styled(table, metric), width="stretch")

means = frame[frame.language == ""]
st.caption("Group means: each model's mean over the group's languages it has, and how many that is.")
cells = [f"{fmt_shown(metric, v)} ({c})" for v, c in zip(means.value, means.languages, strict=True)]
by_group = means.assign(cell=cells).pivot(index="group", columns="model", values="cell").reindex(hm.groups)
dataframe(styled(by_group[sorted(by_group.columns)]), width="stretch")
st.download_button(
    "Download CSV (numbers)",
    numbers.rename(columns={"row": "name", "value": "difference" if base else metric})
    .to_csv(index=False)
    .encode("utf-8"),
    "languages.csv",
    "text/csv",
    help="One row per cell, unrounded, with n (documents) and the number of tasks behind it.",
)

from app.tokenizer_panel import render_tokenizer_panel  # noqa: E402  (the tokenizer statistics panel)

render_tokenizer_panel(engine())
