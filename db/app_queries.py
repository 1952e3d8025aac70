"""Reads for the app (`app/`): every aggregation happens here, in SQL; the app only lays out rows.

Which result stands for a model: its newest complete result per task and metric, preferring the
checkpoint with the highest step (a checkpoint without a step counts as step -1), then the newest
run. Which metric: `primary` is each task's primary metric as its family declared it, stored with
every result (`task_results.primary_metric`: chrF++ for FLORES and IF-MT, the term-usage rate for
the terminology tasks, the points rate for GAOKAO-Bench, accuracy for the choice families), or any
stored metric by name. Languages are FLORES-200 codes (`core/languages.py`); script and resource
level come from that table, looked up for the languages present.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from core.languages import language_info
from core.scale import LOWER_IS_BETTER, stored_range
from core.stats import holm, paired_permutation, verdict
from db.models import Checkpoint, Model, Run, RunStatus, Sample, TaskResult
from db.placement import placed_language
from db.queries import WRITER_COLUMNS, status_of

PRIMARY = "primary"
Z95 = 1.959963984540054
GroupBy = Literal["script", "family", "resource"]
Outcome = Literal[
    "all", "a_right_b_wrong", "a_wrong_b_right", "both_right", "both_wrong", "a_better", "b_better"
]
OUTCOMES: tuple[Outcome, ...] = (
    "all",
    "a_right_b_wrong",
    "a_wrong_b_right",
    "both_right",
    "both_wrong",
    "a_better",
    "b_better",
)


@dataclass(frozen=True)
class Filters:
    """Empty means no restriction."""

    families: Sequence[str] = ()
    languages: Sequence[str] = ()
    scripts: Sequence[str] = ()
    resources: Sequence[str] = ()
    models: Sequence[str] = ()
    tasks: Sequence[str] = ()


@dataclass(frozen=True)
class FilterOptions:
    families: list[str]
    tasks: list[str]
    languages: list[str]
    scripts: list[str]
    resources: list[str]
    models: list[str]
    metrics: list[str]


@dataclass(frozen=True)
class LeaderboardCell:
    """One model in one column (a family, or a single task)."""

    model: str
    column: str
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    """95% interval of the mean from the tasks' standard errors; None when one is missing."""
    covered: int
    """Tasks in the column with a value for this model."""
    total: int
    """Tasks in the column (under the filters) that any shown model has."""


@dataclass(frozen=True)
class LanguageCell:
    model: str
    language: str
    name: str
    group: str
    value: float | None
    tasks: int


@dataclass(frozen=True)
class CheckpointRow:
    id: int
    model: str
    source: str
    step: int | None
    tokens_seen: int | None
    parent_id: int | None


@dataclass(frozen=True)
class CurvePoint:
    checkpoint_id: int
    step: int | None
    tokens_seen: int | None
    task: str
    language: str | None
    metric: str
    value: float | None
    stderr: float | None
    family: str | None = None


@dataclass(frozen=True)
class ForgettingRow:
    """One checkpoint's change in one language against the base, over the tasks both have."""

    step: int | None
    tokens_seen: int | None
    language: str
    base_value: float
    value: float
    delta: float
    tasks: int


@dataclass(frozen=True)
class RunRow:
    run_id: str
    model: str
    checkpoint: str
    step: int | None
    status: str
    started_at: datetime
    tasks: int


@dataclass(frozen=True)
class RunResultRow:
    task: str
    task_version: str
    task_hash: str
    metric: str
    value: float | None
    stderr: float | None
    n: int
    signature: str
    note: str


@dataclass(frozen=True)
class RunDetail:
    run_id: str
    model: str
    checkpoint: str
    kind: str
    step: int | None
    tokens_seen: int | None
    parent: str | None
    recipe: dict[str, Any] | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    fingerprint: dict[str, Any]
    results: list[RunResultRow]


@dataclass(frozen=True)
class TaskDelta:
    """B minus A on one task's per-sample primary score, paired on the document hash; values as
    stored (`core.scale` puts them on the display scale)."""

    task: str
    metric: str
    """The metric compared (the task's primary metric, or the one asked for)."""
    n: int
    a: float
    b: float
    delta: float
    ci_low: float
    ci_high: float
    """95% paired-bootstrap interval of `delta`, clipped to the metric's range."""
    p_value: float
    """Two-sided paired permutation p-value (`core.stats.paired_permutation`)."""
    significant: bool
    """`verdict` is "better" or "worse": enough evidence, and Holm-adjusted p below alpha."""
    p_holm: float = 1.0
    """`p_value` adjusted by Holm over all the tasks compared."""
    differing: int = 0
    """Documents whose scores differ between the runs."""
    verdict: str = "not enough evidence"
    """For B against A: better, worse, no significant difference, or not enough evidence."""
    method: str = ""


@dataclass(frozen=True)
class PairedSample:
    task: str
    doc_id: int
    prompt: str
    target: str
    output_a: str
    output_b: str
    score_a: float | None
    score_b: float | None


def _metric_clause(metric: str) -> ColumnElement[bool]:
    if metric == PRIMARY:
        return TaskResult.metric == TaskResult.primary_metric
    return TaskResult.metric == metric


def _languages_present(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        placed = placed_language()
        query = select(placed).where(placed.is_not(None)).distinct()
        return sorted(code for code in conn.execute(query).scalars().all() if code is not None)


def _where(engine: Engine, query: Any, filters: Filters) -> Any:
    if filters.families:
        query = query.where(TaskResult.family.in_(filters.families))
    if filters.tasks:
        query = query.where(TaskResult.task.in_(filters.tasks))
    if filters.models:
        query = query.where(Model.name.in_(filters.models))
    if filters.languages:
        query = query.where(placed_language().in_(filters.languages))
    if filters.scripts or filters.resources:
        codes = [
            code
            for code in _languages_present(engine)
            if (not filters.scripts or language_info(code).script in filters.scripts)
            and (not filters.resources or language_info(code).resource in filters.resources)
        ]
        query = query.where(placed_language().in_(codes))
    return query


def latest_results(engine: Engine, metric: str, filters: Filters, per: str = "model") -> Any:
    """Subquery: one row per model (or checkpoint), task and metric: its newest complete result
    (columns model, checkpoint_id, step, tokens_seen, run_id, task, family, language, metric,
    primary_metric, value, stderr, n, protocol)."""
    owner = Checkpoint.model_id if per == "model" else Checkpoint.id
    rank = (
        func.row_number()
        .over(
            partition_by=(owner, TaskResult.task, TaskResult.metric),
            order_by=(func.coalesce(Checkpoint.step, -1).desc(), Run.started_at.desc(), Run.id),
        )
        .label("rank")
    )
    query = (
        select(
            Model.name.label("model"),
            Checkpoint.id.label("checkpoint_id"),
            Checkpoint.step.label("step"),
            Checkpoint.tokens_seen.label("tokens_seen"),
            Run.id.label("run_id"),
            TaskResult.task,
            TaskResult.family,
            placed_language().label("language"),
            TaskResult.metric,
            TaskResult.primary_metric,
            TaskResult.value,
            TaskResult.stderr,
            TaskResult.n,
            TaskResult.protocol,
            rank,
        )
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .where(Run.status == RunStatus.complete, _metric_clause(metric))
    )
    inner = _where(engine, query, filters).subquery("ranked")
    return select(inner).where(inner.c.rank == 1).subquery("latest")


def filter_options(engine: Engine) -> FilterOptions:
    """What the filters can choose from: values present in complete runs."""
    base = (
        select(
            TaskResult.family,
            TaskResult.task,
            placed_language().label("language"),
            TaskResult.metric,
            Model.name,
        )
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .where(Run.status == RunStatus.complete)
        .subquery()
    )
    with engine.connect() as conn:

        def distinct(column: Any) -> list[str]:
            rows = conn.execute(select(column).where(column.is_not(None)).distinct()).scalars().all()
            return sorted(rows)

        languages = distinct(base.c.language)
        return FilterOptions(
            families=distinct(base.c.family),
            tasks=distinct(base.c.task),
            languages=languages,
            scripts=sorted({language_info(code).script for code in languages}),
            resources=sorted({language_info(code).resource for code in languages}),
            models=distinct(base.c.name),
            metrics=[PRIMARY, *distinct(base.c.metric)],
        )


def leaderboard(
    engine: Engine,
    by: Literal["family", "task"] = "family",
    metric: str = PRIMARY,
    filters: Filters = Filters(),
) -> list[LeaderboardCell]:
    """Models x columns. A column's mean is over the tasks the model has; `covered`/`total` says
    how many that is, and a model with none of a column's tasks has no cell (never a zero)."""
    latest = latest_results(engine, metric, filters)
    column = latest.c.family if by == "family" else latest.c.task
    cells = select(
        latest.c.model,
        func.coalesce(column, literal("unknown")).label("column"),
        func.avg(latest.c.value).label("mean"),
        func.count(latest.c.value).label("covered"),
        func.count(latest.c.stderr).label("with_stderr"),
        func.sum(latest.c.stderr * latest.c.stderr).label("variance"),
    ).group_by(latest.c.model, column)
    totals = select(
        func.coalesce(column, literal("unknown")).label("column"),
        func.count(func.distinct(latest.c.task)).label("total"),
    ).group_by(column)
    with engine.connect() as conn:
        total = {row.column: row.total for row in conn.execute(totals)}
        out = []
        for row in conn.execute(cells.order_by(latest.c.model, column)):
            low = high = None
            if row.mean is not None and row.covered and row.with_stderr == row.covered:
                half = Z95 * math.sqrt(row.variance or 0.0) / row.covered
                low, high = row.mean - half, row.mean + half
            out.append(
                LeaderboardCell(row.model, row.column, row.mean, low, high, row.covered, total[row.column])
            )
        return out


def language_matrix(
    engine: Engine, metric: str = PRIMARY, group_by: GroupBy = "script", filters: Filters = Filters()
) -> list[LanguageCell]:
    """Model x language: the mean over the language's tasks (per family when grouping by family)."""
    latest = latest_results(engine, metric, filters)
    keys = [latest.c.model, latest.c.language] + ([latest.c.family] if group_by == "family" else [])
    query = (
        select(*keys, func.avg(latest.c.value).label("value"), func.count(latest.c.value).label("tasks"))
        .where(latest.c.language.is_not(None))
        .group_by(*keys)
        .order_by(*keys)
    )
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query):
            info = language_info(row.language)
            group = row.family if group_by == "family" else getattr(info, group_by)
            out.append(LanguageCell(row.model, row.language, info.name, group, row.value, row.tasks))
        return out


def _checkpoint_select() -> Select[int, str, str, int | None, int | None, int | None]:
    """The columns of a CheckpointRow, with its model's name."""
    return select(
        Checkpoint.id,
        Model.name.label("model"),
        Checkpoint.source,
        Checkpoint.step,
        Checkpoint.tokens_seen,
        Checkpoint.parent_id,
    ).join(Model, Checkpoint.model_id == Model.id)


def model_checkpoints(engine: Engine, model: str) -> list[CheckpointRow]:
    """A model's checkpoints by step (unknown steps first)."""
    query = (
        _checkpoint_select()
        .where(Model.name == model)
        .order_by(func.coalesce(Checkpoint.step, -1), Checkpoint.id)
    )
    with engine.connect() as conn:
        return [CheckpointRow(**row._mapping) for row in conn.execute(query)]


def checkpoint(engine: Engine, checkpoint_id: int) -> CheckpointRow | None:
    query = _checkpoint_select().where(Checkpoint.id == checkpoint_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
        return CheckpointRow(**row._mapping) if row else None


def _curve_columns(latest: Any) -> list[Any]:
    """The columns of `latest_results` that make a `CurvePoint`, in its field order."""
    return [latest.c[f.name] for f in fields(CurvePoint)]


def checkpoint_curve(
    engine: Engine, model: str, metric: str = PRIMARY, filters: Filters = Filters()
) -> list[CurvePoint]:
    """Each checkpoint of `model`: its newest complete result per task, by step."""
    only = Filters(**{**filters.__dict__, "models": [model]})
    latest = latest_results(engine, metric, only, per="checkpoint")
    query = select(*_curve_columns(latest)).order_by(func.coalesce(latest.c.step, -1), latest.c.task)
    with engine.connect() as conn:
        return [CurvePoint(**row._mapping) for row in conn.execute(query)]


def checkpoint_results(
    engine: Engine, checkpoint_id: int, metric: str = PRIMARY, filters: Filters = Filters()
) -> list[CurvePoint]:
    """One checkpoint's newest complete result per task (the base model's point of a curve)."""
    latest = latest_results(engine, metric, filters, per="checkpoint")
    query = (
        select(*_curve_columns(latest)).where(latest.c.checkpoint_id == checkpoint_id).order_by(latest.c.task)
    )
    with engine.connect() as conn:
        return [CurvePoint(**row._mapping) for row in conn.execute(query)]


def checkpointed_models(engine: Engine) -> list[str]:
    """Models with complete results on at least one checkpoint with a training step, the most
    such checkpoints first (then by name): what the Checkpoints page can draw a curve for."""
    count = func.count(func.distinct(Checkpoint.id))
    query = (
        select(Model.name, count.label("checkpoints"))
        .join(Checkpoint, Checkpoint.model_id == Model.id)
        .join(Run, Run.checkpoint_id == Checkpoint.id)
        .where(Run.status == RunStatus.complete, Checkpoint.step.is_not(None))
        .group_by(Model.name)
        .order_by(count.desc(), Model.name)
    )
    with engine.connect() as conn:
        return [row.name for row in conn.execute(query)]


def base_checkpoint(engine: Engine, model: str) -> CheckpointRow | None:
    """The base the forgetting view compares with: the parent of the model's lowest-step
    checkpoint when it has one, else that checkpoint."""
    checkpoints = model_checkpoints(engine, model)
    if not checkpoints:
        return None
    first = checkpoints[0]
    if first.parent_id is not None:
        return checkpoint(engine, first.parent_id) or first
    return first


def forgetting(
    engine: Engine, model: str, metric: str = PRIMARY
) -> tuple[CheckpointRow | None, list[ForgettingRow]]:
    """Each checkpoint's change per language against the base, over tasks both were scored on."""
    base = base_checkpoint(engine, model)
    if base is None:
        return None, []
    ranked = (
        select(
            Checkpoint.id.label("checkpoint_id"),
            Checkpoint.model_id,
            Checkpoint.step,
            Checkpoint.tokens_seen,
            TaskResult.task,
            placed_language().label("language"),
            TaskResult.metric,
            TaskResult.value,
            func.row_number()
            .over(
                partition_by=(Checkpoint.id, TaskResult.task, TaskResult.metric),
                order_by=(Run.started_at.desc(), Run.id),
            )
            .label("rank"),
        )
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .where(
            Run.status == RunStatus.complete,
            _metric_clause(metric),
            TaskResult.value.is_not(None),
            placed_language().is_not(None),
            or_(Model.name == model, Checkpoint.id == base.id),
        )
        .subquery()
    )
    cur = aliased(ranked, name="cur")
    ref = aliased(ranked, name="ref")
    query = (
        select(
            cur.c.step,
            cur.c.tokens_seen,
            cur.c.language,
            func.avg(ref.c.value).label("base_value"),
            func.avg(cur.c.value).label("value"),
            func.avg(cur.c.value - ref.c.value).label("delta"),
            func.count().label("tasks"),
        )
        .join(ref, and_(ref.c.task == cur.c.task, ref.c.metric == cur.c.metric))
        .where(
            cur.c.rank == 1, ref.c.rank == 1, ref.c.checkpoint_id == base.id, cur.c.checkpoint_id != base.id
        )
        .group_by(cur.c.checkpoint_id, cur.c.step, cur.c.tokens_seen, cur.c.language)
        .order_by(func.coalesce(cur.c.step, -1), cur.c.language)
    )
    with engine.connect() as conn:
        return base, [ForgettingRow(**row._mapping) for row in conn.execute(query)]


def list_runs(engine: Engine, include_incomplete: bool = False) -> list[RunRow]:
    """Runs, newest first, with how many tasks each stored; `status` as shown (`interrupted` for a
    running run whose writer process is gone, `db.run_state`)."""
    query = (
        select(
            *WRITER_COLUMNS,
            Run.id.label("run_id"),
            Model.name.label("model"),
            Checkpoint.source.label("checkpoint"),
            Checkpoint.step,
            Run.status,
            Run.started_at,
            func.count(func.distinct(TaskResult.task)).label("tasks"),
        )
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .outerjoin(TaskResult, TaskResult.run_id == Run.id)
        .group_by(
            Run.id,
            Model.name,
            Checkpoint.source,
            Checkpoint.step,
            Run.status,
            Run.started_at,
            Run.host,
            Run.pid,
            Run.heartbeat_at,
        )
        .order_by(Run.started_at.desc(), Run.id)
    )
    if not include_incomplete:
        query = query.where(Run.status == RunStatus.complete)
    cache: dict[str, str] = {}
    with engine.connect() as conn:
        return [RunRow(**status_of(row._mapping, cache)) for row in conn.execute(query)]


def run_detail(engine: Engine, run_id: str) -> RunDetail | None:
    """A run's full fingerprint, its checkpoint's lineage and its stored results."""
    parent = aliased(Checkpoint, name="parent")
    query = (
        select(
            *WRITER_COLUMNS,
            Run.id.label("run_id"),
            Model.name.label("model"),
            Checkpoint.source.label("checkpoint"),
            Checkpoint.kind,
            Checkpoint.step,
            Checkpoint.tokens_seen,
            parent.source.label("parent"),
            Checkpoint.recipe,
            Run.status,
            Run.started_at,
            Run.finished_at,
            Run.error,
            Run.fingerprint,
        )
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .outerjoin(parent, Checkpoint.parent_id == parent.id)
        .where(Run.id == run_id)
    )
    results = (
        select(
            TaskResult.task,
            TaskResult.task_version,
            TaskResult.task_hash,
            TaskResult.metric,
            TaskResult.value,
            TaskResult.stderr,
            TaskResult.n,
            TaskResult.signature,
            TaskResult.note,
        )
        .where(TaskResult.run_id == run_id)
        .order_by(TaskResult.task, TaskResult.metric)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        rows = [RunResultRow(**r._mapping) for r in conn.execute(results)]
        return RunDetail(**status_of(row._mapping, {}), results=rows)


def _sample_metrics(engine: Engine, run_ids: Sequence[str], metric: str) -> dict[str, tuple[str, str]]:
    """Task -> (the metric compared, the per-document score behind it): `primary` is what each
    task's family declared (a score key or `numerator/denominator`); else the metric named."""
    query = (
        select(TaskResult.task, TaskResult.primary_metric, TaskResult.sample_metric)
        .where(TaskResult.run_id.in_(run_ids))
        .distinct()
    )
    out: dict[str, tuple[str, str]] = {}
    with engine.connect() as conn:
        for task, primary, sample in conn.execute(query):
            if metric != PRIMARY:
                out[task] = (metric, metric)
            elif primary is not None:
                out[task] = (primary, sample or primary)
    return out


def _score_of(sample: Any, per_task: dict[str, tuple[str, str]]) -> ColumnElement[Any]:
    """One document's score: per task, a key of its scores or the ratio of two."""

    def value(key: str) -> ColumnElement[Any]:
        if "/" not in key:
            return sample.scores[key].as_float()
        numerator, _, denominator = key.partition("/")
        return sample.scores[numerator].as_float() / func.nullif(sample.scores[denominator].as_float(), 0)

    if not per_task:
        return literal(None)
    # One branch per score key, not per task: 400 FLORES directions share `chrf++`.
    tasks_of: dict[str, list[str]] = defaultdict(list)
    for task, (_, key) in per_task.items():
        tasks_of[key].append(task)
    return case(*((sample.task.in_(tasks), value(key)) for key, tasks in tasks_of.items()), else_=None)


def _paired(run_a: str, run_b: str, per_task: dict[str, tuple[str, str]]) -> Select[Any]:
    """Per-sample scores of the documents both runs scored, paired on task and document hash."""
    a = aliased(Sample, name="a")
    b = aliased(Sample, name="b")
    return (
        select(
            a.task, a.doc_id, _score_of(a, per_task).label("score_a"), _score_of(b, per_task).label("score_b")
        )
        .join(b, and_(b.run_id == run_b, b.task == a.task, b.doc_hash == a.doc_hash))
        .where(a.run_id == run_a)
        .order_by(a.task, a.doc_id)
    )


def compare_runs(
    engine: Engine,
    run_a: str,
    run_b: str,
    metric: str = PRIMARY,
    resamples: int = 1000,
    alpha: float = 0.05,
) -> list[TaskDelta]:
    """Per task: B minus A on the mean per-document primary score as each task's family declared
    it (sentence chrF++ for FLORES, accuracy for choice tasks, a record's points rate), documents
    paired on their hash: a paired permutation test (`core.stats.paired_permutation`: exact
    McNemar for 0/1 scores) with a paired-bootstrap 95% interval clipped to the metric's range,
    p-values adjusted by Holm over the tasks compared, and a verdict that says "not enough
    evidence" where too few documents differ for any outcome to reach `alpha`."""
    per_task = _sample_metrics(engine, [run_a, run_b], metric)
    query = _paired(run_a, run_b, per_task)
    scores: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    with engine.connect() as conn:
        for row in conn.execute(query):
            if row.score_a is None or row.score_b is None:
                continue
            scores[row.task][0].append(float(row.score_a))
            scores[row.task][1].append(float(row.score_b))
    tasks = sorted(scores)
    results = [
        paired_permutation(*scores[task], value_range=stored_range(per_task[task][0]), resamples=resamples)
        for task in tasks
    ]
    adjusted = holm([r.p_value for r in results])
    out = []
    for task, result, p_holm in zip(tasks, results, adjusted, strict=True):
        name = per_task[task][0]
        said = verdict(result, p_holm, alpha, lower_is_better=name in LOWER_IS_BETTER)
        out.append(
            TaskDelta(
                task,
                name,
                result.n,
                result.baseline,
                result.candidate,
                result.delta,
                result.ci_low,
                result.ci_high,
                result.p_value,
                said in ("better", "worse"),
                p_holm,
                result.differing,
                said,
                result.method,
            )
        )
    return out


def paired_samples(
    engine: Engine,
    run_a: str,
    run_b: str,
    task: str,
    outcome: Outcome = "all",
    metric: str = PRIMARY,
    limit: int = 200,
) -> list[PairedSample]:
    """Documents of `task` scored in both runs, filtered by outcome: right means a score of 1
    (accuracy); better compares the scores (sentence chrF++ for translation)."""
    a = aliased(Sample, name="a")
    b = aliased(Sample, name="b")
    per_task = _sample_metrics(engine, [run_a, run_b], metric)
    score_a = _score_of(a, per_task)
    score_b = _score_of(b, per_task)
    query = (
        select(
            a.task,
            a.doc_id,
            a.prompt,
            a.target,
            a.output.label("output_a"),
            b.output.label("output_b"),
            score_a.label("score_a"),
            score_b.label("score_b"),
        )
        .join(b, and_(b.run_id == run_b, b.task == a.task, b.doc_hash == a.doc_hash))
        .where(a.run_id == run_a, a.task == task)
        .order_by(a.doc_id)
        .limit(limit)
    )
    conditions: dict[str, ColumnElement[bool]] = {
        "a_right_b_wrong": and_(score_a >= 1, score_b < 1),
        "a_wrong_b_right": and_(score_a < 1, score_b >= 1),
        "both_right": and_(score_a >= 1, score_b >= 1),
        "both_wrong": and_(score_a < 1, score_b < 1),
        "a_better": score_a > score_b,
        "b_better": score_b > score_a,
    }
    if outcome in conditions:
        query = query.where(conditions[outcome])
    with engine.connect() as conn:
        return [PairedSample(**row._mapping) for row in conn.execute(query)]
