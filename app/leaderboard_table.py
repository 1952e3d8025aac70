"""The leaderboard page's tables, built from `db.leaderboard.Leaderboard`: the grid shown (real
numbers, so a header click sorts them; beside each score a narrow column with the half-width of
its 95% interval), its column settings, colour scales, and the two CSV exports.

Missing is `core.scale.BLANK` everywhere (the grid's placeholder, the CSVs' `na_rep`), never
"None" or "nan". Colour scales need pandas' Styler, whose display values Streamlit builds column by
column (about 1.5 s for the 854 columns of 424 tasks); so a grid wider than `STYLED_MAX_COLUMNS` is
shown unstyled, formatted by its column settings, and the page says so. On a colour scale: the
average of ranked rows only (a partial row is not comparable), and a column's complete cells only.
"""

from typing import Any
from urllib.parse import quote

import pandas as pd

from app.common import md_escape
from core.scale import BLANK
from db.leaderboard import Leaderboard, Row

RANK, MODEL, FLAG, STEP, AVERAGE, COVERAGE = ("rank", "model", "flag", "step", "average", "coverage")
LOW, HIGH = (247, 251, 255), (33, 113, 181)
"""The colour scale's ends (ColorBrewer Blues), lowest and highest value of a column."""
STYLED_MAX_COLUMNS = 64
"""Wider grids are shown without colour scales (module docstring)."""
PROTOCOL_IN_HELP = 32
"""Up to this many score columns, a column's help holds its protocol note."""


def checkpoints_link(model: str) -> str:
    """Relative link to the model's Checkpoints page (the page reads `model` from the URL)."""
    return f"checkpoints?model={quote(model, safe='')}"


def run_link(run_id: str) -> str:
    return f"run?run={quote(run_id, safe='')}"


def _steps(row: Row) -> str:
    return ", ".join(BLANK if s is None else str(s) for s in row.steps)


def _coverage(row: Row) -> str:
    """The tasks the row covers, and how many models share exactly that coverage."""
    return f"{row.group} ({row.group_size} model{'s' if row.group_size != 1 else ''})"


def _flag(row: Row) -> str:
    if row.contamination is None:
        return ""
    return "⚠ contaminated" if row.contamination.contaminated else "clean"


def half(name: str) -> str:
    """The frame's column holding the half-width of `name`'s 95% interval."""
    return f"{name} ±"


def digits(board: Leaderboard) -> dict[str, int]:
    """Decimals shown per score column (`core.scale`), the average's included."""
    return {AVERAGE: board.digits, **{c.name: c.digits for c in board.columns}}


def board_frame(board: Leaderboard) -> pd.DataFrame:
    """One row per model in the board's order: the rank as shown (`1`, `1–3`, `partial 5/28`);
    each score column (plain floats, NaN: missing) followed by the half-width of its 95% interval."""
    names = [c.name for c in board.columns]
    records = []
    for row in board.rows:
        record: dict[str, Any] = {
            RANK: row.rank_label,
            MODEL: checkpoints_link(row.model),
            FLAG: _flag(row),
            STEP: _steps(row),
            AVERAGE: row.average,
            half(AVERAGE): row.average_half_width,
            COVERAGE: _coverage(row),
        }
        for name in names:
            cell = row.cells.get(name)
            record[name] = cell.value if cell else None
            record[half(name)] = cell.half_width if cell else None
        records.append(record)
    fixed = [RANK, MODEL, FLAG, STEP, AVERAGE, half(AVERAGE), COVERAGE]
    frame = pd.DataFrame.from_records(records, columns=[*fixed, *(n for c in names for n in (c, half(c)))])
    scores = [n for name in scored_columns(board) for n in (name, half(name))]
    frame[scores] = frame[scores].astype("float64")
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


def gradient(values: list[float | None], on_scale: list[bool]) -> list[str]:
    """CSS per value: a colour from the lowest to the highest value on the scale; none off it."""
    scaled = [v for v, on in zip(values, on_scale, strict=True) if on and v is not None]
    if not scaled:
        return [""] * len(values)
    low, high = min(scaled), max(scaled)
    return [
        _colour(v, low, high) if on and v is not None else "" for v, on in zip(values, on_scale, strict=True)
    ]


def colours(board: Leaderboard) -> dict[str, list[str]]:
    """Each score column's CSS per row: the average on a scale of the ranked rows only, a column on
    a scale of its complete cells (a cell over fewer of the column's tasks is not comparable)."""
    out = {AVERAGE: gradient([r.average for r in board.rows], [r.rank is not None for r in board.rows])}
    for column in board.columns:
        cells = [row.cells.get(column.name) for row in board.rows]
        out[column.name] = gradient(
            [c.value if c else None for c in cells], [c is not None and c.covered == c.total for c in cells]
        )
    return out


def styled_or_plain(board: Leaderboard, frame: pd.DataFrame) -> Any:
    """The grid as shown: with colour scales (a Styler) up to `STYLED_MAX_COLUMNS` columns, else
    the frame itself (its column settings format it)."""
    if len(frame.columns) > STYLED_MAX_COLUMNS:
        return frame
    css = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for name, styles in colours(board).items():
        css[name] = styles
    styler = frame.style.apply(lambda _: css, axis=None)
    for name, places in digits(board).items():
        styler = styler.format(f"{{:.{places}f}}", subset=[name], na_rep=BLANK)
        styler = styler.format(f"±{{:.{places}f}}", subset=[half(name)], na_rep=BLANK)
    return styler


def column_config(board: Leaderboard) -> dict[str, Any]:
    import streamlit as st

    config: dict[str, Any] = {
        RANK: st.column_config.TextColumn(
            RANK,
            pinned=True,
            help="Only models with every shown task are ranked. A range (1–3) when the others' "
            "averages are not significantly better or worse (their 95% intervals overlap): best = 1 + "
            "models significantly better, worst = ranked models - models significantly worse. "
            "'partial k/n': k of the n shown tasks, unranked.",
        ),
        MODEL: st.column_config.LinkColumn(
            MODEL, display_text=r"model=(.*)$", pinned=True, help="Opens the model's Checkpoints page."
        ),
        FLAG: st.column_config.TextColumn(
            "contamination",
            help="⚠: a shown checkpoint's recipe records a contamination check that found overlap "
            "with the evaluation data.",
        ),
        STEP: st.column_config.TextColumn(STEP, help="Steps of the checkpoints behind the row."),
        AVERAGE: st.column_config.NumberColumn(
            AVERAGE,
            format=f"%.{board.digits}f",
            help="Mean over task families of each family's mean (each family counts once, in both "
            "views); beside it the half-width of its 95% interval (families' standard errors, assumed "
            "independent). Missing tasks are left out, never zero. Coloured for ranked rows only.",
        ),
        COVERAGE: st.column_config.TextColumn(
            COVERAGE,
            width=140,  # long coverage texts are cut here, so the score columns stay on the page
            help="The shown tasks the row has a value for, and how many models have exactly these. "
            "Cut to the column's width: widen it or open the cell to read it all.",
        ),
    }
    # Each column's help travels to the browser with the grid: with hundreds of task columns, the
    # protocol notes (the page's "Protocol" list has them) would be most of the page's weight.
    notes = len(board.columns) <= PROTOCOL_IN_HELP
    for column in board.columns:
        protocol = f": {md_escape(column.protocol or 'no protocol note stored')}" if notes else ""
        config[column.name] = st.column_config.NumberColumn(
            column.name,
            format=f"%.{column.digits}f",
            help=md_escape(column.unit)
            + protocol
            + ("" if column.averaged else " (unit unknown: not in the average)"),
        )
    for name, places in digits(board).items():
        config[half(name)] = st.column_config.NumberColumn(
            "±",
            width=48,
            format=f"±%.{places}f",
            help=f"Half-width of the 95% interval of {md_escape(name)}.",
        )
    return config


def shown_csv(board: Leaderboard) -> pd.DataFrame:
    """The table as shown, one row per model: the model's name, values rounded as displayed."""
    frame = board_frame(board)
    frame[MODEL] = [row.model for row in board.rows]
    for name, places in digits(board).items():
        frame[name] = frame[name].round(places)
        frame[half(name)] = frame[half(name)].round(places)
    return frame


def numbers_csv(board: Leaderboard) -> pd.DataFrame:
    """One row per model and column (the average as column `average`), unrounded, with the 95%
    interval clipped to the metric's range, the rank (as shown, best and worst), coverage, unit,
    runs and protocol."""
    average_unit = "0-100" if board.limits == (0.0, 100.0) else board.metric
    records = []
    for row in board.rows:
        ranks = (row.rank_label, row.rank, row.rank_worst, row.group)
        records.append(
            (
                row.model,
                *ranks,
                AVERAGE,
                row.average,
                *(row.average_ci or (None, None)),
                row.tasks_covered,
                row.tasks_total,
                average_unit,
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
                    *ranks,
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
    frame = pd.DataFrame(
        records,
        columns=[
            "model",
            "rank",
            "rank_best",
            "rank_worst",
            "coverage",
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
    for name in ("rank_best", "rank_worst"):
        frame[name] = frame[name].astype("Int64")
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A CSV export: missing as BLANK, never "None" or "nan"."""
    return frame.to_csv(index=False, na_rep=BLANK).encode("utf-8")
