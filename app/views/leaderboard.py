"""Leaderboard: models ranked by their average over the shown columns (task families, or tasks),
with each column's score and 95% interval, coverage, colour scales, links to each model's
checkpoints and to the runs behind each cell."""

import streamlit as st

from app.common import engine, keep, multiselect, selectbox, stop_if_empty
from app.leaderboard_table import (
    board_frame,
    column_config,
    numbers_csv,
    run_link,
    shown_csv,
    styled,
)
from db import app_queries as q
from db import leaderboard as lb

st.title("Leaderboard")
options = q.filter_options(engine())
stop_if_empty(bool(options.models))

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
board = lb.leaderboard(engine(), by="task" if by == "task" else "family", metric=metric, filters=filters)
if not board.rows:
    st.warning("No results match the filters.")
    st.stop()

scale = (
    "on a 0-100 scale (chrF++ and BLEU as sacrebleu reports them, accuracies and rates x100)"
    if metric == q.PRIMARY
    else f"in {metric}'s own unit"
)
st.caption(
    f"Each score column: the mean over the column's tasks the model has, {scale}; beside it (±) the "
    "half-width of its 95% interval (the tasks' standard errors, assumed independent). "
    "**average**: the mean of the row's columns; a missing column is left out, never counted as "
    "zero. **rank**: by average "
    "among models with exactly the same tasks (see *coverage*); full coverage comes first. "
    "Each model's newest complete result per task (highest step) is used. Click a model for its "
    "checkpoints, a cell for the runs behind it; click a header to sort."
)
frame = board_frame(board)
event = st.dataframe(
    styled(board, frame),
    column_config=column_config(board),
    hide_index=True,
    width="content",
    on_select="rerun",
    selection_mode="single-cell",
    key="leaderboard",
)

flagged = [row for row in board.rows if row.contamination and row.contamination.contaminated]
for row in flagged:
    assert row.contamination is not None
    st.warning(f"**{row.model}**: {row.contamination.describe()}", icon="⚠️")

cells = event.selection.cells if event is not None else []
if cells:
    position, chosen = cells[0]
    name = str(chosen).removesuffix(" ±")  # an interval's column stands for its score's
    row = board.rows[int(position)]
    cell = row.cells.get(name)
    runs = cell.runs if cell is not None else row.runs
    if runs:
        links = ", ".join(f"[{run_id[:8]}]({run_link(run_id)})" for run_id in runs)
        st.markdown(f"Runs behind **{row.model}** · {name}: {links}")

with st.expander("Protocol of each column"):
    st.markdown(
        "\n".join(
            f"- **{c.name}** ({c.unit}, {len(c.tasks)} task{'s' if len(c.tasks) != 1 else ''}): "
            f"{c.protocol or 'no protocol note stored'}"
            for c in board.columns
        )
    )
with st.expander("Runs behind each cell"):
    st.markdown(
        "\n".join(
            f"- **{row.model}**: "
            + "; ".join(
                f"{name} " + ", ".join(f"[{r[:8]}]({run_link(r)})" for r in cell.runs)
                for name, cell in row.cells.items()
            )
            for row in board.rows
        )
    )

left, right = st.columns(2)
left.download_button(
    "Download CSV (as shown)",
    shown_csv(board).to_csv(index=False).encode("utf-8"),
    "leaderboard.csv",
    "text/csv",
)
right.download_button(
    "Download CSV (numbers)",
    numbers_csv(board).to_csv(index=False).encode("utf-8"),
    "leaderboard-numbers.csv",
    "text/csv",
    help="One row per model and column (and its average), unrounded, with the 95% interval, "
    "coverage, unit, runs and protocol.",
)
