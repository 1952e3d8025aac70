"""Reads. All filtering and joining happens in SQL."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from db.models import Checkpoint, Model, Run, RunStatus, Sample, TaskResult
from db.run_state import shown_status

WRITER_COLUMNS = (
    Run.host.label("writer_host"),
    Run.pid.label("writer_pid"),
    Run.heartbeat_at.label("writer_heartbeat_at"),
    Run.started_at.label("writer_started_at"),
)
"""Selected beside a run's status so that `status_of` can tell `running` from `interrupted`."""


def status_of(mapping: Mapping[Any, Any], cache: dict[str, str]) -> dict[str, Any]:
    """A row's mapping without the `WRITER_COLUMNS`, its `status` as shown (`db.run_state`): a running
    run whose writer is gone is `interrupted`. `cache` holds one answer per run id."""
    row = dict(mapping)
    host, pid = row.pop("writer_host"), row.pop("writer_pid")
    heartbeat_at, started_at = row.pop("writer_heartbeat_at"), row.pop("writer_started_at")
    if row["status"] == RunStatus.running:
        key = row["run_id"]
        if key not in cache:
            cache[key] = shown_status(row["status"], host, pid, heartbeat_at, started_at)
        row["status"] = cache[key]
    return row


@dataclass(frozen=True)
class ResultRow:
    run_id: str
    model: str
    checkpoint: str
    step: int | None
    status: str
    finished_at: datetime | None
    task: str
    family: str | None
    language: str | None
    primary_metric: str | None
    """The task's primary metric, as its family declared it when the result was stored."""
    sample_metric: str | None
    protocol: str
    task_version: str
    task_hash: str
    metric: str
    value: float | None
    stderr: float | None
    n: int
    signature: str
    note: str
    source_language: str | None = None
    """A translation direction's source (`language` is then its target); None otherwise."""


@dataclass(frozen=True)
class SampleRow:
    run_id: str
    task: str
    doc_id: int
    doc_hash: str
    prompt: str
    target: str
    output: str
    scores: dict[str, float]


def list_results(
    engine: Engine,
    model: str | None = None,
    task: str | None = None,
    run_id: str | None = None,
    include_incomplete: bool = False,
) -> list[ResultRow]:
    """Stored task results, newest run first; only complete runs unless asked. `status` is as shown:
    `interrupted` for a running run whose writer process is gone (`db.run_state`)."""
    query = (
        select(
            *WRITER_COLUMNS,
            Run.id.label("run_id"),
            Model.name.label("model"),
            Checkpoint.source.label("checkpoint"),
            Checkpoint.step,
            Run.status,
            Run.finished_at,
            TaskResult.task,
            TaskResult.family,
            TaskResult.language,
            TaskResult.primary_metric,
            TaskResult.sample_metric,
            TaskResult.protocol,
            TaskResult.task_version,
            TaskResult.task_hash,
            TaskResult.metric,
            TaskResult.value,
            TaskResult.stderr,
            TaskResult.n,
            TaskResult.signature,
            TaskResult.note,
            TaskResult.source_language,
        )
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .order_by(Run.started_at.desc(), TaskResult.task, TaskResult.metric)
    )
    if model:
        query = query.where(Model.name == model)
    if task:
        query = query.where(TaskResult.task == task)
    if run_id:
        query = query.where(Run.id == run_id)
    if not include_incomplete:
        query = query.where(Run.status == RunStatus.complete)
    cache: dict[str, str] = {}
    with engine.connect() as conn:
        return [ResultRow(**status_of(row._mapping, cache)) for row in conn.execute(query)]


def list_samples(engine: Engine, run_id: str, task: str | None = None) -> list[SampleRow]:
    """Per-document records of one run, by task and document."""
    query = (
        select(
            Sample.run_id,
            Sample.task,
            Sample.doc_id,
            Sample.doc_hash,
            Sample.prompt,
            Sample.target,
            Sample.output,
            Sample.scores,
        )
        .where(Sample.run_id == run_id)
        .order_by(Sample.task, Sample.doc_id)
    )
    if task:
        query = query.where(Sample.task == task)
    with engine.connect() as conn:
        return [SampleRow(**row._mapping) for row in conn.execute(query)]


def find_run_id(engine: Engine, prefix: str) -> str | None:
    """The run whose id is `prefix` or starts with it (6+ characters, one run only), else None."""
    if len(prefix) < 6:
        return None
    with engine.connect() as conn:
        ids = (
            conn.execute(select(Run.id).where(Run.id.startswith(prefix, autoescape=True)).limit(2))
            .scalars()
            .all()
        )
    return ids[0] if len(ids) == 1 else None


def find_run(engine: Engine, ref: str) -> str | None:
    """The run a reference names: a run id or unique id prefix (6+ characters), or
    `model[@step]`, meaning that model's newest complete run (on the checkpoint at `step`)."""
    run_id = find_run_id(engine, ref)
    if run_id is not None:
        return run_id
    name, _, step = ref.partition("@")
    query = (
        select(Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .where(Model.name == name, Run.status == RunStatus.complete)
        .order_by(Run.started_at.desc())
        .limit(1)
    )
    if step:
        query = query.where(Checkpoint.step == int(step))
    with engine.connect() as conn:
        return conn.execute(query).scalar()


@dataclass(frozen=True)
class LineageRow:
    """A checkpoint with its place in training (`core.lineage.Lineage` as stored)."""

    id: int
    model: str
    source: str
    step: int | None
    tokens_seen: int | None
    parent_id: int | None
    recipe: dict[str, Any] | None
    """The recipe record of its manifest (`adapters.manifest.recipe_record`), None when not trained here."""


def _lineage_select() -> Any:
    return select(
        Checkpoint.id,
        Model.name.label("model"),
        Checkpoint.source,
        Checkpoint.step,
        Checkpoint.tokens_seen,
        Checkpoint.parent_id,
        Checkpoint.recipe,
    ).join(Model, Checkpoint.model_id == Model.id)


def lineage_row(engine: Engine, checkpoint_id: int) -> LineageRow | None:
    with engine.connect() as conn:
        row = conn.execute(_lineage_select().where(Checkpoint.id == checkpoint_id)).first()
    return LineageRow(**row._mapping) if row else None


def run_lineage(engine: Engine, run_id: str) -> LineageRow | None:
    """The checkpoint a run evaluated."""
    query = _lineage_select().join(Run, Run.checkpoint_id == Checkpoint.id).where(Run.id == run_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return LineageRow(**row._mapping) if row else None


def evaluated_checkpoints(engine: Engine, model: str) -> list[LineageRow]:
    """The model's checkpoints that have a complete run, by step (unknown steps first), then id."""
    query = (
        _lineage_select()
        .where(
            Model.name == model,
            select(Run.id)
            .where(Run.checkpoint_id == Checkpoint.id, Run.status == RunStatus.complete)
            .exists(),
        )
        .order_by(func.coalesce(Checkpoint.step, -1), Checkpoint.id)
    )
    with engine.connect() as conn:
        return [LineageRow(**row._mapping) for row in conn.execute(query)]


def newest_task_runs(engine: Engine, checkpoint_id: int, same_source: bool = False) -> dict[str, str]:
    """task -> the newest complete run of the checkpoint that stored it; with `same_source`, of any
    checkpoint with the same source (the same weights registered under another model name too)."""
    checkpoints: Any = [checkpoint_id]
    if same_source:
        source = select(Checkpoint.source).where(Checkpoint.id == checkpoint_id).scalar_subquery()
        checkpoints = select(Checkpoint.id).where(Checkpoint.source == source)
    query = (
        select(TaskResult.task, Run.id, Run.started_at)
        .join(Run, TaskResult.run_id == Run.id)
        .where(Run.checkpoint_id.in_(checkpoints), Run.status == RunStatus.complete)
        .distinct()
        .order_by(Run.started_at, Run.id)
    )
    with engine.connect() as conn:
        return {task: run_id for task, run_id, _ in conn.execute(query)}  # later rows (newer runs) win
