"""The leaderboard: one row per model with its rank, average, per-column scores, coverage, the runs
behind each cell and its contamination flag. `task_scores` reads the rows from the database;
`build` is the pure computation (unit-tested on hand-computed cases).

Which result stands for a model: the same rule as `db.app_queries` (its newest complete result per
task, preferring the checkpoint with the highest step, then the newest run), with the same filters.

Scale (`core.scale`, one owner for every page): with the primary metric, columns mix chrF++
(sacrebleu, 0-100) with accuracies and rates (fractions, 0-1), so every value is put on 0-100
before it is averaged: a metric `core.scale` shows on 0-100 is put there (accuracies and rates
times 100); a metric without a known range, or a fraction stored outside [0, 1], marks the task's
unit as unknown: its column is shown as stored and left out of the average. A metric chosen by
name is one unit everywhere, shown as `core.scale` shows it (an accuracy on 0-100 again).
Intervals are clipped to the metric's range (an accuracy's 95% interval never passes 0 or 100).

Columns: a column's value is the mean over the column's tasks the model has; its standard error
sqrt(sum se^2) / k, treating the tasks as independent. Average, the same in both views: the mean
over task families of the family's mean over its tasks (each family counts once whether the
columns are families or tasks, so the view never changes the winner); its 95% interval
mean +- 1.96 * sqrt(sum se_f^2) / F, the families again treated as independent (FLORES's two
directions share their source sentences, so this is somewhat too narrow there). A missing task
is left out, never averaged as zero.

Rank (`rank_rows`), the same rule in every view: only models with every shown task (full
coverage) and an average are ranked; the others are listed below them, unranked, with their
coverage ("partial 5/28"). Among the ranked, as Chatbot Arena does, a rank is a range: best = 1 +
the number of models significantly better, worst = the number of ranked models minus the number
significantly worse. "Significantly better" is interval overlap only: the two averages' 95%
intervals do not overlap. No paired test: it would need every document of every model on every
page load; non-overlap of two 95% intervals is the stricter test (about p < 0.006 for equal
widths). A model without a standard error is significantly different from none. Ranked rows come
by average, descending (ties by name); then the unranked, by coverage, then average.
"""

import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import Engine, case, func, select

from core.coverage import FLAG, coverage_flag
from core.scale import scale_of, stored_range
from db.app_queries import PRIMARY, Z95, Filters, latest_results
from db.leaderboard_rows import (  # noqa: F401
    Cell,
    Column,
    Contamination,
    CoverageFlag,
    Leaderboard,
    Row,
    TaskScore,
    _clip,
)
from db.models import Checkpoint, Run, TaskResult

By = Literal["family", "task"]
NO_FILTERS = Filters()
PERCENT = (0.0, 100.0)
"""The range of the primary-metric scale (chrF++ as sacrebleu has it, accuracies and rates x100)."""


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
    board = build(scores, by=by, metric=metric, contamination=checks)
    return replace(board, coverage=coverage_flags(engine, scores))


def coverage_flags(engine: Engine, scores: Sequence[TaskScore]) -> tuple[CoverageFlag, ...]:
    """The scores whose stored note flags a language outside their metric's coverage."""
    shown = {(s.run_id, s.task, s.metric): s.model for s in scores}
    if not shown:
        return ()
    query = select(TaskResult.run_id, TaskResult.task, TaskResult.metric, TaskResult.note).where(
        TaskResult.run_id.in_(sorted({s.run_id for s in scores})), TaskResult.note.contains(FLAG)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    flags = [
        CoverageFlag(shown[(run_id, task, metric)], task, metric, coverage_flag(note) or "")
        for run_id, task, metric, note in rows
        if (run_id, task, metric) in shown
    ]
    return tuple(sorted(flags, key=lambda f: (f.model, f.task, f.metric)))


def data_version(engine: Engine) -> tuple[object, ...]:
    """A cache key that changes whenever what the leaderboard shows can change: the task results'
    count, newest id and sums of values and errors (a rescored value is updated in place), the
    runs' count, complete count and latest finish, the checkpoints' count and newest id."""
    with engine.connect() as conn:
        results = conn.execute(
            select(
                func.count(TaskResult.id),
                func.max(TaskResult.id),
                func.sum(TaskResult.value),
                func.sum(TaskResult.stderr),
            )
        ).one()
        complete = func.sum(case((Run.status == "complete", 1), else_=0))
        runs = conn.execute(select(func.count(Run.id), complete, func.max(Run.finished_at))).one()
        checkpoints = conn.execute(select(func.count(Checkpoint.id), func.max(Checkpoint.id))).one()
    return (*results, *runs, *checkpoints)


def task_scale(metric: str, scores: Sequence[TaskScore]) -> float | None:
    """The factor that puts one task's values on the leaderboard's scale; None: unknown unit (the
    primary metrics differ, have no known range, or a value lies outside it)."""
    if metric != PRIMARY:
        return scale_of(metric).factor
    names = {s.metric for s in scores}
    if len(names) != 1:
        return None
    name = names.pop()
    limits = stored_range(name)
    if limits is None or any(not limits[0] <= s.value <= limits[1] for s in scores if s.value is not None):
        return None
    return scale_of(name).factor


def shown_range(metric: str, known: bool) -> tuple[tuple[float, float] | None, int]:
    """The range (None: unbounded) and decimals of values on the leaderboard's scale."""
    if metric == PRIMARY:
        return (PERCENT, 1) if known else (None, 3)
    scale = scale_of(metric)
    limits = (scale.low, scale.high) if scale.low is not None and scale.high is not None else None
    return limits, scale.digits


def _unit(scales: dict[str, float | None], scores: Sequence[TaskScore], metric: str) -> str:
    names = sorted({s.metric for s in scores})
    label = "/".join(names) if names else metric
    return f"{label} x100" if any(v == 100.0 for v in scales.values()) else label


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


Key = Callable[[TaskScore], str]


def _family(s: TaskScore) -> str:
    return s.family or "unknown"


def _task(s: TaskScore) -> str:
    return s.task


def _grouped(scores: Iterable[TaskScore], key: Key) -> dict[str, list[TaskScore]]:
    out: dict[str, list[TaskScore]] = defaultdict(list)
    for s in scores:
        out[key(s)].append(s)
    return out


def _columns(
    present: Sequence[TaskScore], key: Key, metric: str, scale: dict[str, float | None], averaged: set[str]
) -> list[Column]:
    """One column per value of `key`; `averaged`: the families whose tasks all have a known unit."""
    columns = []
    for name, rows in sorted(_grouped(present, key).items()):
        limits, digits = shown_range(metric, all(scale[s.task] is not None for s in rows))
        columns.append(
            Column(
                name,
                tuple(sorted({s.task for s in rows})),
                _unit({s.task: scale[s.task] for s in rows}, rows, metric),
                _protocol(rows),
                all(_family(s) in averaged for s in rows),
                limits,
                digits,
            )
        )
    return columns


def build(
    scores: Sequence[TaskScore],
    by: By = "family",
    metric: str = PRIMARY,
    contamination: dict[int, Contamination] | None = None,
) -> Leaderboard:
    """Rank, average, coverage and cells from each model's standing result per task."""
    present = [s for s in scores if s.value is not None]
    scale = {task: task_scale(metric, rows) for task, rows in _grouped(present, _task).items()}
    averaged = {
        family
        for family, rows in _grouped(present, _family).items()
        if all(scale[s.task] is not None for s in rows)
    }
    key = _family if by == "family" else _task
    columns = _columns(present, key, metric, scale, averaged)
    families = columns if by == "family" else _columns(present, _family, metric, scale, averaged)
    limits, digits = shown_range(metric, True)
    rows = [
        _row(model, mine, (columns, key), families, scale, contamination or {}, limits)
        for model, mine in sorted(_grouped(scores, lambda s: s.model).items())
    ]
    return Leaderboard(by, metric, columns, rank_rows(rows, columns), limits, digits)


def _cells(
    present: Sequence[TaskScore], columns: list[Column], key: Key, scale: dict[str, float | None]
) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    mine = _grouped(present, key)
    for column in columns:
        rows = mine.get(column.name)
        if not rows:
            continue
        # A task of unknown unit keeps its own (factor 1); its column is then not averaged.
        factors = [scale[s.task] or 1.0 for s in rows]
        values = [s.value * f for s, f in zip(rows, factors, strict=True) if s.value is not None]
        stderrs = [None if s.stderr is None else s.stderr * f for s, f in zip(rows, factors, strict=True)]
        runs = tuple(sorted({s.run_id for s in rows}))
        cells[column.name] = Cell(
            sum(values) / len(values),
            _combined_stderr(stderrs),
            len(rows),
            len(column.tasks),
            runs,
            column.limits,
        )
    return cells


def _row(
    model: str,
    every: list[TaskScore],
    view: tuple[list[Column], Key],
    families: list[Column],
    scale: dict[str, float | None],
    contamination: dict[int, Contamination],
    limits: tuple[float, float] | None,
) -> Row:
    """`view`: the shown columns and the key that puts a task in one; `families`: the columns the
    average is over (the same list in the per-family view)."""
    present = [s for s in every if s.value is not None]
    columns, key = view
    cells = _cells(present, columns, key, scale)
    by_family = cells if columns is families else _cells(present, families, _family, scale)
    averaged = [by_family[f.name] for f in families if f.averaged and f.name in by_family]
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
        limits=limits,
    )


def significantly_better(a: Row, b: Row) -> bool:
    """Whether `a`'s average is significantly above `b`'s: their 95% intervals do not overlap
    (unclipped; False when either has no standard error)."""
    if a.average is None or b.average is None or a.average_stderr is None or b.average_stderr is None:
        return False
    return a.average - Z95 * a.average_stderr > b.average + Z95 * b.average_stderr


def rank_rows(rows: list[Row], columns: list[Column]) -> list[Row]:
    """Rank the models with every shown task and an average (module docstring): best rank 1 + the
    number significantly better, worst the number ranked minus the number significantly worse;
    ordered by average, then name. The others follow unranked, by coverage, average, then name."""
    total = sum(len(c.tasks) for c in columns)
    sharing = Counter(row.tasks for row in rows)
    ranked = sorted(
        (r for r in rows if r.tasks_covered == total and r.average is not None),
        key=lambda r: (-(r.average or 0.0), r.model),
    )
    names = {r.model for r in ranked}
    rest = sorted(
        (r for r in rows if r.model not in names),
        key=lambda r: (-r.tasks_covered, r.average is None, -(r.average or 0.0), r.model),
    )
    out = []
    for row in ranked:
        better = sum(significantly_better(other, row) for other in ranked)
        worse = sum(significantly_better(row, other) for other in ranked)
        out.append(
            replace(
                row,
                rank=1 + better,
                rank_worst=len(ranked) - worse,
                group=_group_label(row.tasks, columns),
                group_size=sharing[row.tasks],
            )
        )
    for row in rest:
        out.append(
            replace(
                row,
                rank=None,
                rank_worst=None,
                group=_group_label(row.tasks, columns),
                group_size=sharing[row.tasks],
            )
        )
    return out
