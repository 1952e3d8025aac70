"""Contamination records of checkpoints, as `harness adapt` stores them in the manifest's recipe
(`checkpoints.recipe["contamination"]`, written by `harness.analysis.contamination`):

    {"ngram": 13, "contaminated": bool, "checked_at": ISO time, "sources": [{"path", "sha256"}],
     "tasks": {task: {"documents": int, "hit": int, "share": float, "doc_ids": [int, ...]}}}

For `harness results`, the app and the report: which checkpoints were trained on text that holds
evaluation documents, and which tasks' documents.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from db.models import Checkpoint, Run


@dataclass(frozen=True)
class TaskHits:
    """One task's documents found in the training text."""

    documents: int
    hit: int
    share: float
    doc_ids: list[int]


@dataclass(frozen=True)
class Contamination:
    """A checkpoint's contamination record."""

    contaminated: bool
    ngram: int | None
    checked_at: str | None
    tasks: dict[str, TaskHits]

    @property
    def tasks_hit(self) -> list[str]:
        """The tasks with at least one document found, in the record's order."""
        return [name for name, hits in self.tasks.items() if hits.hit]

    def flag(self, task: str) -> str:
        """One word or two for a result of `task`: `yes (3/1012)` when its documents were found,
        `yes (other tasks)`, `no`, or `unchecked` when the task was not among those checked."""
        hits = self.tasks.get(task)
        if hits is not None and hits.hit:
            return f"yes ({hits.hit}/{hits.documents})"
        if self.contaminated:
            return "yes (other tasks)"
        return "no" if hits is not None else "unchecked"


def parse(record: Any) -> Contamination | None:
    """The record under a recipe's `contamination` key; None when absent or not a record."""
    if not isinstance(record, dict) or not isinstance(record.get("contaminated"), bool):
        return None
    tasks = {}
    for name, entry in (record.get("tasks") or {}).items():
        if isinstance(entry, dict):
            tasks[str(name)] = TaskHits(
                documents=int(entry.get("documents", 0)),
                hit=int(entry.get("hit", 0)),
                share=float(entry.get("share", 0.0)),
                doc_ids=[int(i) for i in entry.get("doc_ids", [])],
            )
    ngram = record.get("ngram")
    return Contamination(
        contaminated=record["contaminated"],
        ngram=int(ngram) if isinstance(ngram, int) else None,
        checked_at=record.get("checked_at"),
        tasks=tasks,
    )


def by_checkpoint(engine: Engine, checkpoint_ids: Iterable[int] | None = None) -> dict[int, Contamination]:
    """Checkpoint id -> its contamination record, for the checkpoints that have one (all, or those
    given); only the record is read from each recipe."""
    query = select(Checkpoint.id, Checkpoint.recipe["contamination"].label("record")).where(
        Checkpoint.recipe.is_not(None)
    )
    if checkpoint_ids is not None:
        query = query.where(Checkpoint.id.in_(list(checkpoint_ids)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    parsed = {row.id: parse(row.record) for row in rows}
    return {checkpoint_id: c for checkpoint_id, c in parsed.items() if c is not None}


def by_run(engine: Engine, run_ids: Iterable[str]) -> dict[str, Contamination]:
    """Run id -> the contamination record of the checkpoint it evaluated (runs without one left out)."""
    ids = list(run_ids)
    if not ids:
        return {}
    with engine.connect() as conn:
        checkpoints = dict(conn.execute(select(Run.id, Run.checkpoint_id).where(Run.id.in_(ids))).all())
    records = by_checkpoint(engine, set(checkpoints.values()))
    return {run: records[c] for run, c in checkpoints.items() if c in records}


def flag_rows(engine: Engine, rows: list[Any]) -> list[dict[str, Any]]:
    """`harness results` rows (dataclasses with run_id and task) as dicts with `contaminated` (the
    checkpoint's record: true, false, or None when it has none), `contamination` (this row's task:
    see `Contamination.flag`) and `contaminated_tasks`."""
    from dataclasses import asdict

    records = by_run(engine, {row.run_id for row in rows})
    out = []
    for row in rows:
        record = records.get(row.run_id)
        out.append(
            asdict(row)
            | {
                "contaminated": record.contaminated if record else None,
                "contamination": record.flag(row.task) if record else None,
                "contaminated_tasks": record.tasks_hit if record else [],
            }
        )
    return out
