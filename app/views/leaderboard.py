"""Leaderboard: models ranked by their average over task families (the same in the per-family and
per-task views), with each column's score and 95% interval, coverage, colour scales, links to each
model's checkpoints and to the runs behind each cell. Only models with every shown task are ranked;
a rank is a range where the others are not significantly better or worse (`db.leaderboard`).

What the page computes is cached per database state (`db.leaderboard.data_version`), so a reload
only reads that key: the per-task view of 424 tasks x 20 models loads in under 2 s warm
(`bench/app_scale.py`)."""

from collections import defaultdict

import pandas as pd
import streamlit as st

from app.common import database_url, engine, keep, md_escape, multiselect, selectbox, stop_if_empty
from app.leaderboard_table import (
    STYLED_MAX_COLUMNS,
    board_frame,
    column_config,
    csv_bytes,
    numbers_csv,
    run_link,
    shown_csv,
    styled_or_plain,
)
from core.scale import BLANK
from db import app_queries as q
from db import leaderboard as lb


@st.cache_data(max_entries=8, show_spinner=False)
def _options(url: str, version: tuple[object, ...]) -> q.FilterOptions:
    return q.filter_options(engine())


@st.cache_data(max_entries=32, show_spinner=False)
def _board(
    url: str, version: tuple[object, ...], by: lb.By, metric: str, filters: q.Filters
) -> tuple[lb.Leaderboard, pd.DataFrame]:
    """The board and its grid, computed once per database state and view."""
    board = lb.leaderboard(engine(), by=by, metric=metric, filters=filters)
    return board, board_frame(board)


st.title("Leaderboard")
version = lb.data_version(engine())
options = _options(database_url(), version)
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
board, frame = _board(database_url(), version, "task" if by == "task" else "family", metric, filters)
if not board.rows:
    st.warning("No results match the filters.")
    st.stop()

scale = (
    "on a 0-100 scale (chrF++ and BLEU as sacrebleu reports them, accuracies and rates x100)"
    if metric == q.PRIMARY
    else f"as {md_escape(metric)} is shown everywhere (accuracies and rates x100)"
)
st.caption(
    f"Each score column: the mean over the column's tasks the model has, {scale}; beside it (±) the "
    "half-width of its 95% interval (the tasks' standard errors, assumed independent). "
    "**average**: the mean over task families of each family's mean, the same in both views; a "
    "missing task is left out, never counted as zero. **rank**: only models with every shown task "
    "are ranked, by average; a range such as 1–3 where the others' averages are not significantly "
    "better or worse (their 95% intervals overlap). The others follow unranked, as *partial k/n* "
    f"(k of the n shown tasks), off the average's colour scale. {BLANK}: missing. "
    "Each model's newest complete result per task (highest step) is used. Click a model for its "
    "checkpoints, a cell for the runs behind it; click a header to sort."
)
if not board.ranked:
    st.info(
        "No model has every shown task, so none is ranked. Choose the families, languages or models "
        "they share in the sidebar to rank them."
    )
grid = styled_or_plain(board, frame)
if grid is frame:
    st.caption(
        f"Colour scales are drawn for up to {STYLED_MAX_COLUMNS} columns; this view has "
        f"{len(frame.columns)}. Filter families or languages to see them."
    )
event = st.dataframe(
    grid,
    column_config=column_config(board),
    hide_index=True,
    width="content",
    on_select="rerun",
    selection_mode="single-cell",
    key="leaderboard",
    placeholder=BLANK,
)

flagged = [row for row in board.rows if row.contamination and row.contamination.contaminated]
for row in flagged:
    assert row.contamination is not None
    st.warning(f"**{md_escape(row.model)}**: {md_escape(row.contamination.describe())}", icon="⚠️")
if board.coverage:
    st.warning(
        "Outside the metric's language coverage (the encoder was not trained on these languages, so "
        "these scores are less reliable): "
        + "; ".join(
            f"**{md_escape(f.model)}** · {md_escape(f.task)} {md_escape(f.metric)}: {md_escape(f.languages)}"
            for f in board.coverage[:10]
        )
        + (f"; and {len(board.coverage) - 10} more" if len(board.coverage) > 10 else ""),
        icon="⚠️",
    )


def _links(runs: tuple[str, ...]) -> str:
    return ", ".join(f"[{run_id[:8]}]({run_link(run_id)})" for run_id in runs)


cells = event.selection.cells if event is not None else []
if cells:
    position, chosen = cells[0]
    name = str(chosen).removesuffix(" ±")  # an interval's column stands for its score's
    row = board.rows[int(position)]
    cell = row.cells.get(name)
    runs = cell.runs if cell is not None else row.runs
    if runs:
        st.markdown(f"Runs behind **{md_escape(row.model)}** · {md_escape(name)}: {_links(runs)}")

# One line per protocol, not per column: 424 task columns would be 424 lines of Markdown to draw.
by_protocol: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
for column in board.columns:
    by_protocol[(column.unit, column.protocol, column.averaged)].append(column.name)
with st.expander("Protocol of each column"):
    st.markdown(
        "\n".join(
            f"- **{md_escape(', '.join(names) if len(names) <= 3 else f'{names[0]} … {names[-1]}')}** "
            f"({len(names)} column{'s' if len(names) != 1 else ''}, {md_escape(unit)}"
            f"{'' if averaged else ', unit unknown: not in the average'}): "
            f"{md_escape(protocol) if protocol else 'no protocol note stored'}"
            for (unit, protocol, averaged), names in by_protocol.items()
        )
    )
with st.expander("Runs behind each row"):
    st.markdown("\n".join(f"- **{md_escape(row.model)}**: {_links(row.runs)}" for row in board.rows))
    st.caption("Click a cell of the grid for the runs behind that cell.")

left, right = st.columns(2)
left.download_button(
    "Download CSV (as shown)",
    lambda: csv_bytes(shown_csv(board)),  # made on the click, not with every page load
    "leaderboard.csv",
    "text/csv",
    on_click="ignore",
)
right.download_button(
    "Download CSV (numbers)",
    lambda: csv_bytes(numbers_csv(board)),
    "leaderboard-numbers.csv",
    "text/csv",
    on_click="ignore",
    help="One row per model and column (and its average), unrounded, with the 95% interval "
    "(clipped to the metric's range), rank, coverage, unit, runs and protocol.",
)
