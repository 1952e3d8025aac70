"""The leaderboard's values (`db.leaderboard` builds them): task scores, columns, cells, rows and
the board, with their display range; no queries."""

from dataclasses import dataclass, field
from typing import Literal

from core.scale import BLANK
from db.app_queries import Z95, Filters

By = Literal["family", "task"]
NO_FILTERS = Filters()
PERCENT = (0.0, 100.0)
"""The range of the primary-metric scale (chrF++ as sacrebleu has it, accuracies and rates x100)."""


def _clip(interval: tuple[float, float], limits: tuple[float, float] | None) -> tuple[float, float]:
    if limits is None:
        return interval
    low, high = limits
    return min(max(interval[0], low), high), min(max(interval[1], low), high)


@dataclass(frozen=True)
class TaskScore:
    """One model's standing result on one task (one stored `task_results` row)."""

    model: str
    checkpoint_id: int
    step: int | None
    run_id: str
    task: str
    family: str | None
    language: str | None
    metric: str
    primary_metric: str | None
    value: float | None
    stderr: float | None
    n: int
    protocol: str


@dataclass(frozen=True)
class Column:
    name: str
    tasks: tuple[str, ...]
    """The column's tasks that any shown model has a value for."""
    unit: str
    """What a cell holds: `chrf++`, `acc x100`, ..."""
    protocol: str
    """The families' protocol note(s) stored with the results, one line."""
    averaged: bool
    """False when a task's unit is unknown (see the module docstring): left out of the average."""
    limits: tuple[float, float] | None = None
    """The shown range (intervals are clipped to it); None: unknown unit, unbounded."""
    digits: int = 1
    """Decimals shown (`core.scale`)."""


@dataclass(frozen=True)
class Cell:
    value: float
    """Mean over the covered tasks, on the column's scale."""
    stderr: float | None
    covered: int
    total: int
    runs: tuple[str, ...]
    """The runs the covered tasks' results come from."""
    limits: tuple[float, float] | None = None
    """The column's shown range; the interval is clipped to it."""

    @property
    def half_width(self) -> float | None:
        """Half-width of the (unclipped) 95% interval."""
        return None if self.stderr is None else Z95 * self.stderr

    @property
    def ci(self) -> tuple[float, float] | None:
        """The 95% interval, clipped to the column's range."""
        if self.stderr is None:
            return None
        return _clip((self.value - Z95 * self.stderr, self.value + Z95 * self.stderr), self.limits)


@dataclass(frozen=True)
class Contamination:
    """What a contamination check recorded in the checkpoint's recipe (`recipe["contamination"]`)."""

    contaminated: bool
    ngram: int | None
    hits: dict[str, tuple[int, int]] = field(default_factory=dict)
    """task -> (documents hit, documents checked), for tasks with a hit."""

    def describe(self) -> str:
        if not self.contaminated:
            return f"clean ({self.ngram}-gram check)" if self.ngram else "clean"
        detail = ", ".join(f"{task} {hit}/{docs}" for task, (hit, docs) in sorted(self.hits.items()))
        return f"contaminated ({self.ngram}-gram)" + (f": {detail}" if detail else "")


@dataclass(frozen=True)
class Row:
    model: str
    rank: int | None
    """Best rank (1 + the ranked models significantly better); None: unranked (partial coverage or
    no average)."""
    group: str
    """The row's coverage: `all 7 tasks`, `6/7 tasks: xnli missing`."""
    group_size: int
    """How many models have exactly this coverage (for a ranked row: the models ranked)."""
    average: float | None
    average_stderr: float | None
    columns_covered: int
    tasks_covered: int
    tasks_total: int
    cells: dict[str, Cell]
    tasks: frozenset[str]
    """The shown tasks the model has a value for: only a model with all of them is ranked."""
    steps: tuple[int | None, ...]
    """Steps of the checkpoints behind the row (None: a checkpoint without a step)."""
    contamination: Contamination | None
    """None when no shown checkpoint records a contamination check."""
    rank_worst: int | None = None
    """Worst rank (the ranked models minus those significantly worse); None: unranked."""
    limits: tuple[float, float] | None = None
    """The average's shown range; its interval is clipped to it."""

    @property
    def average_half_width(self) -> float | None:
        """Half-width of the average's (unclipped) 95% interval."""
        return None if self.average_stderr is None else Z95 * self.average_stderr

    @property
    def average_ci(self) -> tuple[float, float] | None:
        """The average's 95% interval, clipped to its range."""
        if self.average is None or self.average_stderr is None:
            return None
        spread = Z95 * self.average_stderr
        return _clip((self.average - spread, self.average + spread), self.limits)

    @property
    def complete(self) -> bool:
        return self.tasks_covered == self.tasks_total

    @property
    def rank_label(self) -> str:
        """`1`, `1–3` (a range: the others are not significantly better or worse), `partial 5/28`
        (unranked: not every shown task), or BLANK (every task but no average)."""
        if self.rank is not None:
            worst = self.rank_worst if self.rank_worst is not None else self.rank
            return str(self.rank) if worst == self.rank else f"{self.rank}–{worst}"
        if not self.complete:
            return f"partial {self.tasks_covered}/{self.tasks_total}"
        return BLANK

    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(sorted({r for cell in self.cells.values() for r in cell.runs}))


@dataclass(frozen=True)
class CoverageFlag:
    """A shown score of a neural metric for a language its encoder was not trained on: the flag its
    row's note carries (`core.coverage`)."""

    model: str
    task: str
    metric: str
    languages: str
    """The languages outside the coverage (`lin_Latn`)."""


@dataclass(frozen=True)
class Leaderboard:
    by: By
    metric: str
    columns: list[Column]
    rows: list[Row]
    """Ranked rows by average, descending (ties by name); then the unranked (`rank_rows`)."""
    limits: tuple[float, float] | None = None
    """The average's shown range."""
    digits: int = 1
    """Decimals shown for the average."""
    coverage: tuple[CoverageFlag, ...] = ()
    """The shown scores flagged as outside their metric's language coverage."""

    @property
    def ranked(self) -> list[Row]:
        return [r for r in self.rows if r.rank is not None]

    def row(self, model: str) -> Row | None:
        return next((r for r in self.rows if r.model == model), None)
