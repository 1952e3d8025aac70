"""The leaderboard's two tables: the one shown (and exported as shown) and the numbers behind it."""

from collections.abc import Sequence

import pandas as pd

from db.app_queries import LeaderboardCell

MISSING = "missing"


def fmt(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.3f}" if abs(value) <= 1 else f"{value:.2f}"


def shown_table(cells: Sequence[LeaderboardCell], by: str) -> pd.DataFrame:
    """Models x columns, each cell `mean [low, high] (covered/total tasks)`; `missing` where a model
    has none of a column's tasks (never a zero)."""
    columns = sorted({c.column for c in cells})
    models = sorted({c.model for c in cells})
    table = pd.DataFrame(MISSING, index=pd.Index(models, name="model"), columns=columns)
    for c in cells:
        if c.mean is None:
            continue
        interval = f" [{fmt(c.ci_low)}, {fmt(c.ci_high)}]" if c.ci_low is not None else ""
        coverage = f" ({c.covered}/{c.total} tasks)" if by == "family" else ""
        table.loc[c.model, c.column] = f"{fmt(c.mean)}{interval}{coverage}"
    return table


def numbers_table(cells: Sequence[LeaderboardCell], by: str) -> pd.DataFrame:
    """One row per cell of the shown table, unrounded, interval and coverage in their own columns."""
    return pd.DataFrame(
        [(c.model, c.column, c.mean, c.ci_low, c.ci_high, c.covered, c.total) for c in cells],
        columns=["model", by, "mean", "ci95_low", "ci95_high", "tasks_covered", "tasks_total"],
    )
