"""Reads. All filtering and joining happens in SQL."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from db.models import Checkpoint, Model, Run, TaskResult


@dataclass(frozen=True)
class ResultRow:
    run_id: str
    model: str
    checkpoint: str
    status: str
    finished_at: datetime | None
    task: str
    metric: str
    value: float | None
    stderr: float | None
    n: int
    signature: str
    note: str


def list_results(
    engine: Engine,
    model: str | None = None,
    task: str | None = None,
    run_id: str | None = None,
    include_incomplete: bool = False,
) -> list[ResultRow]:
    """Stored task results, newest run first; only complete runs unless asked."""
    query = (
        select(
            Run.id.label("run_id"),
            Model.name.label("model"),
            Checkpoint.source.label("checkpoint"),
            Run.status,
            Run.finished_at,
            TaskResult.task,
            TaskResult.metric,
            TaskResult.value,
            TaskResult.stderr,
            TaskResult.n,
            TaskResult.signature,
            TaskResult.note,
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
        query = query.where(Run.status == "complete")
    with engine.connect() as conn:
        return [ResultRow(**row._mapping) for row in conn.execute(query)]
