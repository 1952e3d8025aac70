"""The leaderboard page's tables, built from `db.leaderboard.Leaderboard`: the grid shown (real
numbers, so a header click sorts them, a colour scale per column, and beside each score a narrow
column with the half-width of its 95% interval), its column settings, and the two CSV exports."""

from typing import Any
from urllib.parse import quote

import pandas as pd

from db.leaderboard import Z95, Leaderboard, Row

RANK, MODEL, FLAG, STEP, AVERAGE, COVERAGE = ("rank", "model", "flag", "step", "average", "coverage")
LOW, HIGH = (247, 251, 255), (33, 113, 181)
"""The colour scale's ends (ColorBrewer Blues), lowest and highest value of a column."""


def checkpoints_link(model: str) -> str:
    """Relative link to the model's Checkpoints page (the page reads `model` from the URL)."""
    return f"checkpoints?model={quote(model, safe='')}"


def run_link(run_id: str) -> str:
    return f"run?run={quote(run_id, safe='')}"


def _steps(row: Row) -> str:
    return ", ".join("-" if s is None else str(s) for s in row.steps)


def _coverage(row: Row) -> str:
    """The tasks the row covers, and how many models share that coverage (the rank is among them)."""
    return f"{row.group} ({row.group_size} model{'s' if row.group_size != 1 else ''})"


def _flag(row: Row) -> str:
    if row.contamination is None:
        return ""
    return "⚠ contaminated" if row.contamination.contaminated else "clean"


def half(name: str) -> str:
    """The frame's column holding the half-width of `name`'s 95% interval."""
    return f"{name} ±"


def board_frame(board: Leaderboard) -> pd.DataFrame:
    """One row per model in the board's order; each score column (plain floats, NaN: missing) is
    followed by the half-width of its 95% interval."""
    records = []
    for row in board.rows:
        record: dict[str, Any] = {
            RANK: row.rank,
            MODEL: checkpoints_link(row.model),
            FLAG: _flag(row),
            STEP: _steps(row),
            AVERAGE: row.average,
            half(AVERAGE): Z95 * row.average_stderr if row.average_stderr is not None else None,
            COVERAGE: _coverage(row),
        }
        for column in board.columns:
            cell = row.cells.get(column.name)
            record[column.name] = cell.value if cell else None
            record[half(column.name)] = Z95 * cell.stderr if cell and cell.stderr is not None else None
        records.append(record)
    frame = pd.DataFrame(records)
    frame[RANK] = frame[RANK].astype("Int64")
    for name in scored_columns(board):
        frame[name] = frame[name].astype("float64")
        frame[half(name)] = frame[half(name)].astype("float64")
    if not any(row.contamination for row in board.rows):
        frame = frame.drop(columns=[FLAG])
    if all(step is None for row in board.rows for step in row.steps):
        frame = frame.drop(columns=[STEP])  # no model has training steps: a column of dashes
    return frame


def scored_columns(board: Leaderboard) -> list[str]:
    return [AVERAGE, *(c.name for c in board.columns)]


def _colour(value: float, low: float, high: float) -> str:
    share = 0.5 if high <= low else (value - low) / (high - low)
    rgb = [round(a + (b - a) * share) for a, b in zip(LOW, HIGH, strict=True)]
    text = "#ffffff" if share > 0.6 else "#111111"
    return f"background-color: #{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}; color: {text}"


def _colours(series: pd.Series) -> list[str]:
    present = series.dropna()
    if present.empty:
        return [""] * len(series)
    low, high = float(present.min()), float(present.max())
    return ["" if pd.isna(v) else _colour(float(v), low, high) for v in series]


def styled(board: Leaderboard, frame: pd.DataFrame) -> Any:
    """The grid as shown: scores to one decimal, coloured per column from its lowest to its highest
    value (missing cells stay blank); beside each, `±` the half-width of its 95% interval."""
    scores = scored_columns(board)
    halves = [half(name) for name in scores]
    return (
        frame.style.apply(_colours, subset=scores)
        .format("{:.1f}", subset=scores, na_rep="missing")
        .format("±{:.1f}", subset=halves, na_rep="")
    )


def column_config(board: Leaderboard) -> dict[str, Any]:
    import streamlit as st

    config: dict[str, Any] = {
        RANK: st.column_config.NumberColumn(
            RANK, help="Rank by average among the models with the same coverage (see 'coverage')."
        ),
        MODEL: st.column_config.LinkColumn(
            MODEL, display_text=r"model=(.*)$", help="Opens the model's Checkpoints page."
        ),
        FLAG: st.column_config.TextColumn(
            "contamination",
            help="⚠: a shown checkpoint's recipe records a contamination check that found overlap "
            "with the evaluation data.",
        ),
        STEP: st.column_config.TextColumn(STEP, help="Steps of the checkpoints behind the row."),
        AVERAGE: st.column_config.NumberColumn(
            AVERAGE,
            help="Mean of the row's columns on a 0-100 scale; beside it the half-width of its 95% "
            "interval (columns' standard errors, assumed independent). Missing columns are left out, "
            "never zero.",
        ),
        COVERAGE: st.column_config.TextColumn(
            COVERAGE,
            width=140,  # long coverage texts are cut here, so the score columns stay on the page
            help="The shown tasks the row has a value for; the rank is among the models (count in "
            "brackets) with exactly these tasks. Cut to the column's width: widen it or open the cell "
            "to read it all.",
        ),
    }
    for column in board.columns:
        config[column.name] = st.column_config.NumberColumn(
            column.name,
            help=f"{column.unit}: {column.protocol or 'no protocol note stored'}"
            + ("" if column.averaged else " (unit unknown: not in the average)"),
        )
    for name in scored_columns(board):
        config[half(name)] = st.column_config.NumberColumn(
            "±", width=48, help=f"Half-width of the 95% interval of {name}."
        )
    return config


def shown_csv(board: Leaderboard) -> pd.DataFrame:
    """The table as shown, one row per model: the model's name, values rounded as displayed."""
    frame = board_frame(board)
    frame[MODEL] = [row.model for row in board.rows]
    for name in scored_columns(board):
        frame[name] = frame[name].round(1)
        frame[half(name)] = frame[half(name)].round(1)
    return frame


def numbers_csv(board: Leaderboard) -> pd.DataFrame:
    """One row per model and column (the average as column `average`), unrounded, with the 95%
    interval, coverage, unit, runs and protocol."""
    records = []
    for row in board.rows:
        ci = row.average_ci
        records.append(
            (
                row.model,
                row.rank,
                row.group,
                AVERAGE,
                row.average,
                *(ci or (None, None)),
                row.tasks_covered,
                row.tasks_total,
                "0-100",
                " ".join(row.runs),
                "",
            )
        )
        for column in board.columns:
            cell = row.cells.get(column.name)
            if cell is None:
                continue
            low, high = cell.ci or (None, None)
            records.append(
                (
                    row.model,
                    row.rank,
                    row.group,
                    column.name,
                    cell.value,
                    low,
                    high,
                    cell.covered,
                    cell.total,
                    column.unit,
                    " ".join(cell.runs),
                    column.protocol,
                )
            )
    return pd.DataFrame(
        records,
        columns=[
            "model",
            "rank",
            "ranked_among",
            board.by,
            "value",
            "ci95_low",
            "ci95_high",
            "tasks_covered",
            "tasks_total",
            "unit",
            "runs",
            "protocol",
        ],
    )
