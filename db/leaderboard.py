"""The leaderboard: one row per model with its rank, average, per-column scores, coverage, the runs
behind each cell and its contamination flag. `task_scores` reads the rows from the database;
`build` is the pure computation (unit-tested on hand-computed cases).

Which result stands for a model: the same rule as `db.app_queries` (its newest complete result per
task, preferring the checkpoint with the highest step, then the newest run), with the same filters.

Scale: with the primary metric, columns mix chrF++ (sacrebleu, 0-100) with accuracies and rates
(fractions, 0-1), so every value is put on a 0-100 scale before it is averaged: a score in
`core.mt.MT_METRICS` as it is, every other primary metric times 100 (the families declare
accuracies and rates as primary; a value outside [0, 1] marks the task's unit as unknown and its
column is left out of the average). A metric chosen by name is one unit everywhere and is not
rescaled.

Columns: a column's value is the mean over the column's tasks the model has; its standard error
sqrt(sum se^2) / k, treating the tasks as independent. Average: the mean of the model's column
values; its 95% interval mean +- 1.96 * sqrt(sum se_c^2) / K, the columns again treated as
independent (FLORES's two directions share their source sentences, so this is somewhat too narrow
there). A missing column is left out, never averaged as zero.

Rank: models are ranked by average only among models with the same coverage, i.e. exactly the
same set of shown tasks; full coverage first, then smaller coverage. Ties share a rank.
"""

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import Engine, select

from core.mt import MT_METRICS
from db.app_queries import PRIMARY, Z95, Filters, latest_results
from db.models import Checkpoint

By = Literal["family", "task"]
NO_FILTERS = Filters()


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


@dataclass(frozen=True)
class Cell:
    value: float
    """Mean over the covered tasks, on the column's scale."""
    stderr: float | None
    covered: int
    total: int
    runs: tuple[str, ...]
    """The runs the covered tasks' results come from."""

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.stderr is None:
            return None
        return self.value - Z95 * self.stderr, self.value + Z95 * self.stderr


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
    """Rank by average among the models with the same coverage; None without an average."""
    group: str
    """The coverage the rank is among: `all 7 tasks`, `6/7 tasks: xnli missing`."""
    group_size: int
    average: float | None
    average_stderr: float | None
    columns_covered: int
    tasks_covered: int
    tasks_total: int
    cells: dict[str, Cell]
    tasks: frozenset[str]
    """The shown tasks the model has a value for: models are ranked among those with the same set."""
    steps: tuple[int | None, ...]
    """Steps of the checkpoints behind the row (None: a checkpoint without a step)."""
    contamination: Contamination | None
    """None when no shown checkpoint records a contamination check."""

    @property
    def average_ci(self) -> tuple[float, float] | None:
        if self.average is None or self.average_stderr is None:
            return None
        return self.average - Z95 * self.average_stderr, self.average + Z95 * self.average_stderr

    @property
    def complete(self) -> bool:
        return self.tasks_covered == self.tasks_total

    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(sorted({r for cell in self.cells.values() for r in cell.runs}))


@dataclass(frozen=True)
class Leaderboard:
    by: By
    metric: str
    columns: list[Column]
    rows: list[Row]
    """Default order: full coverage first, then by coverage; within it by average, descending."""

    def row(self, model: str) -> Row | None:
        return next((r for r in self.rows if r.model == model), None)


def task_scores(engine: Engine, metric: str = PRIMARY, filters: Filters = NO_FILTERS) -> list[TaskScore]:
    """Each model's standing result per task (`metric`, or each task's primary metric): the newest
    complete result, as every page takes it (`db.app_queries.latest_results`)."""
    latest = latest_results(engine, metric, filters)
    columns = [latest.c[f.name] for f in dataclasses.fields(TaskScore)]
    query = select(*columns).order_by(latest.c.model, latest.c.task)
    with engine.connect() as conn:
        return [TaskScore(**row._mapping) for row in conn.execute(query)]


def contamination_of(recipe: dict[str, Any] | None) -> Contamination | None:
    """The checkpoint recipe's `contamination` entry, or None when it has none."""
    entry = (recipe or {}).get("contamination")
    if not isinstance(entry, dict) or "contaminated" not in entry:
        return None
    hits = {
        str(task): (int(info.get("hit", 0)), int(info.get("documents", 0)))
        for task, info in (entry.get("tasks") or {}).items()
        if isinstance(info, dict) and int(info.get("hit", 0)) > 0
    }
    ngram = entry.get("ngram")
    return Contamination(bool(entry["contaminated"]), int(ngram) if ngram is not None else None, hits)


def checkpoint_contamination(engine: Engine, checkpoint_ids: Iterable[int]) -> dict[int, Contamination]:
    """Checkpoint id -> its recorded contamination check, for those that have one."""
    ids = sorted(set(checkpoint_ids))
    if not ids:
        return {}
    query = select(Checkpoint.id, Checkpoint.recipe).where(Checkpoint.id.in_(ids))
    with engine.connect() as conn:
        found = {cid: contamination_of(recipe) for cid, recipe in conn.execute(query)}
    return {cid: c for cid, c in found.items() if c is not None}


def leaderboard(
    engine: Engine, by: By = "family", metric: str = PRIMARY, filters: Filters = NO_FILTERS
) -> Leaderboard:
    scores = task_scores(engine, metric, filters)
    checks = checkpoint_contamination(engine, (s.checkpoint_id for s in scores))
    return build(scores, by=by, metric=metric, contamination=checks)


def task_scale(metric: str, scores: Sequence[TaskScore]) -> float | None:
    """The factor that puts one task's values on the leaderboard's scale (module docstring)."""
    if metric != PRIMARY:
        return 1.0
    if all(s.metric in MT_METRICS for s in scores):
        return 1.0
    values = [s.value for s in scores if s.value is not None]
    if any(s.metric in MT_METRICS for s in scores) or any(not 0.0 <= v <= 1.0 for v in values):
        return None
    return 100.0


def _unit(metric: str, scales: dict[str, float | None], scores: Sequence[TaskScore]) -> str:
    names = sorted({s.metric for s in scores})
    label = "/".join(names) if names else metric
    if metric == PRIMARY and any(v == 100.0 for v in scales.values()):
        return f"{label} x100"
    return label


def _combined_stderr(stderrs: Sequence[float | None]) -> float | None:
    """Standard error of the mean of independent estimates; None when one is unknown."""
    if not stderrs or any(se is None for se in stderrs):
        return None
    return math.sqrt(sum(se * se for se in stderrs if se is not None)) / len(stderrs)


def _protocol(scores: Sequence[TaskScore]) -> str:
    notes = sorted({s.protocol for s in scores if s.protocol})
    return notes[0] if len(notes) == 1 else " | ".join(notes)


def _group_label(covered: frozenset[str], columns: list[Column]) -> str:
    total = sum(len(c.tasks) for c in columns)
    if len(covered) == total:
        return f"all {total} tasks"
    gaps = []
    for column in columns:
        have = sum(t in covered for t in column.tasks)
        if have == 0:
            gaps.append(f"{column.name} missing")
        elif have < len(column.tasks):
            gaps.append(f"{column.name} {have}/{len(column.tasks)}")
    return f"{len(covered)}/{total} tasks: " + ", ".join(gaps)


def build(
    scores: Sequence[TaskScore],
    by: By = "family",
    metric: str = PRIMARY,
    contamination: dict[int, Contamination] | None = None,
) -> Leaderboard:
    """Rank, average, coverage and cells from each model's standing result per task."""
    present = [s for s in scores if s.value is not None]
    by_task: dict[str, list[TaskScore]] = defaultdict(list)
    for s in present:
        by_task[s.task].append(s)
    scale = {task: task_scale(metric, rows) for task, rows in by_task.items()}
    key = (lambda s: s.family or "unknown") if by == "family" else (lambda s: s.task)
    by_column: dict[str, list[TaskScore]] = defaultdict(list)
    for s in present:
        by_column[key(s)].append(s)
    columns = [
        Column(
            name,
            tuple(sorted({s.task for s in rows})),
            _unit(metric, {s.task: scale[s.task] for s in rows}, rows),
            _protocol(rows),
            all(scale[s.task] is not None for s in rows),
        )
        for name, rows in sorted(by_column.items())
    ]
    per_model: dict[str, list[TaskScore]] = defaultdict(list)
    for s in scores:
        per_model[s.model].append(s)
    rows = [
        _row(model, [s for s in mine if s.value is not None], mine, columns, key, scale, contamination or {})
        for model, mine in sorted(per_model.items())
    ]
    return Leaderboard(by, metric, columns, _ranked(rows, columns))


def _row(
    model: str,
    present: list[TaskScore],
    every: list[TaskScore],
    columns: list[Column],
    key: Any,
    scale: dict[str, float | None],
    contamination: dict[int, Contamination],
) -> Row:
    cells: dict[str, Cell] = {}
    by_column: dict[str, list[TaskScore]] = defaultdict(list)
    for s in present:
        by_column[key(s)].append(s)
    for column in columns:
        mine = by_column.get(column.name, [])
        if not mine:
            continue
        # A task of unknown unit keeps its own (factor 1); its column is then not averaged.
        scaled = [
            (s.value * (scale[s.task] or 1.0), s.stderr, scale[s.task] or 1.0)
            for s in mine
            if s.value is not None
        ]
        values = [v for v, _, _ in scaled]
        stderrs = [se * f if se is not None else None for _, se, f in scaled]
        runs = tuple(sorted({s.run_id for s in mine}))
        cells[column.name] = Cell(
            sum(values) / len(values), _combined_stderr(stderrs), len(mine), len(column.tasks), runs
        )
    averaged = [cells[c.name] for c in columns if c.averaged and c.name in cells]
    average = sum(c.value for c in averaged) / len(averaged) if averaged else None
    checks = [contamination[cid] for cid in sorted({s.checkpoint_id for s in every}) if cid in contamination]
    flagged = [c for c in checks if c.contaminated]
    merged = None
    if checks:
        hits = {task: hit for c in flagged for task, hit in c.hits.items()}
        merged = Contamination(bool(flagged), (flagged or checks)[0].ngram, hits)
    return Row(
        model=model,
        rank=None,
        group="",
        group_size=0,
        average=average,
        average_stderr=_combined_stderr([c.stderr for c in averaged]) if averaged else None,
        columns_covered=len(cells),
        tasks_covered=len({s.task for s in present}),
        tasks_total=sum(len(c.tasks) for c in columns),
        cells=cells,
        tasks=frozenset(s.task for s in present),
        steps=tuple(sorted({s.step for s in every}, key=lambda s: -1 if s is None else s)),
        contamination=merged,
    )


def _ranked(rows: list[Row], columns: list[Column]) -> list[Row]:
    """Rank within groups of identical coverage; order groups by coverage, then by their best average."""
    groups: dict[frozenset[str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.tasks].append(row)

    def by_average(row: Row) -> tuple[bool, float, str]:
        return (row.average is None, -(row.average or 0.0), row.model)

    def group_order(item: tuple[frozenset[str], list[Row]]) -> tuple[int, bool, float]:
        missing, best, _ = by_average(min(item[1], key=by_average))
        return (-len(item[0]), missing, best)

    out: list[Row] = []
    for tasks, members in sorted(groups.items(), key=group_order):
        label = _group_label(tasks, columns)
        rank: int | None = None
        members = sorted(members, key=by_average)
        for i, row in enumerate(members):
            if row.average is None:
                rank = None
            elif i == 0 or members[i - 1].average != row.average:
                rank = i + 1
            out.append(replace(row, rank=rank, group=label, group_size=len(members)))
    return out
