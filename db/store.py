"""Writes: a run is opened as running, each task is stored in one transaction as it finishes,
and the run is marked complete, partial or failed at the end. A killed run keeps what it scored
and never shows as complete (readers show it as `interrupted`, see `db.run_state`).

The run row records its writer (host name, process id) and a heartbeat, refreshed with every
stored task; `reopen_run` claims a run for `--resume` in one conditional update, so that of two
processes resuming one run, one continues it and the other gets a clear error."""

import os
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import HarnessError
from core.lineage import Lineage, step_from_folder
from core.records import MetricResult, TaskMeta, TaskOutcome
from db.models import Checkpoint, Model, Run, RunStatus, Sample, TaskResult, TokenizerStat, utcnow
from db.run_state import shown_status, this_host, writer_alive


def _owner() -> dict[str, Any]:
    """The run columns that name this process as the writer, with a fresh heartbeat."""
    return {"host": this_host(), "pid": os.getpid(), "heartbeat_at": utcnow()}


def _get_or_create_model(session: Session, name: str) -> Model:
    model = session.scalar(select(Model).where(Model.name == name))
    if model is None:
        model = Model(name=name)
        session.add(model)
        session.flush()
    return model


def _parent_checkpoint(session: Session, model: Model, source: str) -> Checkpoint:
    """The parent by its source (any model's checkpoint); registered under `model` if unknown."""
    parent = session.scalar(
        select(Checkpoint)
        .where(Checkpoint.source == source)
        .order_by(Checkpoint.model_id != model.id)
        .limit(1)
    )
    if parent is None:
        kind = "local" if source.startswith("/") else "hub"
        parent = Checkpoint(model_id=model.id, source=source, kind=kind, step=step_from_folder(source))
        session.add(parent)
        session.flush()
    return parent


def _get_or_create_checkpoint(session: Session, lineage: Lineage, source: str, kind: str) -> Checkpoint:
    model = _get_or_create_model(session, lineage.model_name)
    checkpoint = session.scalar(
        select(Checkpoint).where(Checkpoint.model_id == model.id, Checkpoint.source == source)
    )
    if checkpoint is None:
        checkpoint = Checkpoint(model_id=model.id, source=source, kind=kind)
        session.add(checkpoint)
    if checkpoint.step is not None and lineage.step is not None and checkpoint.step != lineage.step:
        raise HarnessError(
            f"{source} is registered as step {checkpoint.step} of {lineage.model_name}, "
            f"not step {lineage.step}"
        )
    checkpoint.step = lineage.step if lineage.step is not None else checkpoint.step
    checkpoint.tokens_seen = (
        lineage.tokens_seen if lineage.tokens_seen is not None else checkpoint.tokens_seen
    )
    checkpoint.recipe = lineage.recipe if lineage.recipe is not None else checkpoint.recipe
    if lineage.parent is not None:
        checkpoint.parent_id = _parent_checkpoint(session, model, lineage.parent).id
    session.flush()
    return checkpoint


def store_imported_run(
    factory: sessionmaker[Session],
    run_id: str,
    lineage: Lineage,
    source: str,
    fingerprint: dict[str, Any],
    tasks: list[tuple[TaskOutcome, TaskMeta]],
) -> bool:
    """Store a complete run produced elsewhere (lm-eval output), all or nothing; False when a
    run with this id is already stored."""
    with factory.begin() as session:
        if session.get(Run, run_id) is not None:
            return False
        checkpoint = _get_or_create_checkpoint(session, lineage, source, "lm-eval")
        session.add(
            Run(
                id=run_id,
                checkpoint_id=checkpoint.id,
                status=RunStatus.running,
                fingerprint=fingerprint,
                **_owner(),
            )
        )
    for outcome, meta in tasks:
        store_task(factory, run_id, outcome, meta)
    finish_run(factory, run_id, RunStatus.complete)
    return True


def start_run(
    factory: sessionmaker[Session],
    lineage: Lineage | str,
    source: str,
    kind: str,
    fingerprint: dict[str, Any],
) -> str:
    """Open a run of the checkpoint at `source`, registered under its model (a Lineage, or a
    bare model name)."""
    if isinstance(lineage, str):
        lineage = Lineage(model_name=lineage)
    run_id = str(uuid.uuid4())
    for attempt in range(3):
        try:
            with factory.begin() as session:
                checkpoint = _get_or_create_checkpoint(session, lineage, source, kind)
                session.add(
                    Run(
                        id=run_id,
                        checkpoint_id=checkpoint.id,
                        status=RunStatus.running,
                        fingerprint=fingerprint,
                        **_owner(),
                    )
                )
            return run_id
        except IntegrityError:
            # Another process added the same model or checkpoint between our read and our insert;
            # it has committed it, so the next try finds it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def store_task(factory: sessionmaker[Session], run_id: str, outcome: TaskOutcome, meta: TaskMeta) -> None:
    """Store one task's metrics and samples together, or nothing, with what its family declared
    about it (family, language, primary metric, protocol) on every result row; the run's heartbeat
    moves on in the same transaction. A task the run already holds is an error (another process
    is writing the same run)."""
    if meta.primary_metric not in {m.metric for m in outcome.metrics}:
        raise HarnessError(
            f"{outcome.task}: its primary metric {meta.primary_metric!r} is not among its results "
            f"({', '.join(m.metric for m in outcome.metrics)})"
        )
    try:
        _store_task(factory, run_id, outcome, meta)
    except IntegrityError:
        raise HarnessError(
            f"run {run_id} already holds {outcome.task}: another process stored it first "
            "(is the run being resumed twice?); nothing of this task was stored again"
        ) from None


def heartbeat(factory: sessionmaker[Session], run_id: str) -> None:
    """Record that this run's writer is alive (for a long task; `store_task` does it as well)."""
    with factory.begin() as session:
        session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=utcnow()))


def _store_task(factory: sessionmaker[Session], run_id: str, outcome: TaskOutcome, meta: TaskMeta) -> None:
    with factory.begin() as session:
        session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=utcnow()))
        for m in outcome.metrics:
            session.add(
                TaskResult(
                    run_id=run_id,
                    task=outcome.task,
                    family=meta.family,
                    language=meta.language,
                    source_language=meta.source_language,
                    primary_metric=meta.primary_metric,
                    sample_metric=meta.sample_metric,
                    protocol=meta.protocol,
                    task_version=outcome.version,
                    task_hash=outcome.task_hash,
                    metric=m.metric,
                    value=m.value,
                    stderr=m.stderr,
                    n=m.n,
                    signature=m.signature,
                    note=m.note,
                )
            )
        session.add_all(
            Sample(
                run_id=run_id,
                task=outcome.task,
                doc_id=s.doc_id,
                doc_hash=s.doc_hash,
                prompt=s.prompt,
                target=s.target,
                output=s.output,
                scores=s.scores,
            )
            for s in outcome.samples
        )


def finish_run(
    factory: sessionmaker[Session], run_id: str, status: RunStatus | str, error: str | None = None
) -> None:
    """End a run as complete, partial (some tasks refused) or failed (a `RunStatus` or its value)."""
    final = RunStatus(status)
    if final in (RunStatus.running, RunStatus.interrupted):
        raise ValueError(f"a run cannot finish as {final}")
    with factory.begin() as session:
        run = session.get(Run, run_id)
        assert run is not None, run_id
        run.status = final
        run.error = error
        run.finished_at = utcnow()
        run.heartbeat_at = run.finished_at


def register_checkpoint(factory: sessionmaker[Session], lineage: Lineage, source: str, kind: str) -> int:
    """Register a checkpoint without a run (training saves it; its runs come later); its id."""
    for attempt in range(3):
        try:
            with factory.begin() as session:
                checkpoint_id = _get_or_create_checkpoint(session, lineage, source, kind).id
            return checkpoint_id
        except IntegrityError:
            # Another process registered the same model or checkpoint first; the next try finds it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ResumableRun:
    """An unfinished run that `harness eval --resume` continues."""

    run_id: str
    source: str
    status: str
    """As shown (`interrupted` for a running run whose process is gone)."""
    fingerprint: dict[str, Any]
    stored_tasks: frozenset[str]
    """Tasks whose results the run already holds; they are not run again."""


def _busy_error(run: Run, doing: str) -> HarnessError:
    return HarnessError(
        f"run {run.id} is being {doing} by process {run.pid} on host {run.host}; wait for it to end "
        "(or stop it), then `--resume` again"
    )


def _held_by_other(run: Run) -> bool:
    """A running run whose recorded writer is another process that is still alive."""
    if run.status != RunStatus.running or run.host is None or run.pid is None:
        return False
    if (run.host, run.pid) == (this_host(), os.getpid()):
        return False
    return writer_alive(run.host, run.pid, run.heartbeat_at, run.started_at)


def resumable_run(factory: sessionmaker[Session], ref: str) -> ResumableRun:
    """The run `ref` (an id or its unique prefix) with its stored tasks; an error when it is complete,
    absent, or still being written by a live process (checked here, before the model loads, and
    again by `reopen_run`'s claim)."""
    with factory() as session:
        runs = session.scalars(select(Run).where(Run.id.startswith(ref, autoescape=True))).all()
        if len(runs) != 1:
            found = "no run" if not runs else f"{len(runs)} runs"
            raise HarnessError(f"--resume {ref}: {found} with that id")
        run = runs[0]
        if run.status == RunStatus.complete:
            raise HarnessError(f"--resume {ref}: run {run.id} is already complete")
        if _held_by_other(run):
            raise _busy_error(run, "run")
        checkpoint = session.get(Checkpoint, run.checkpoint_id)
        assert checkpoint is not None
        tasks = session.scalars(select(TaskResult.task).where(TaskResult.run_id == run.id).distinct()).all()
        status = shown_status(run.status, run.host, run.pid, run.heartbeat_at, run.started_at)
        return ResumableRun(run.id, checkpoint.source, status, dict(run.fingerprint), frozenset(tasks))


def reopen_run(factory: sessionmaker[Session], run_id: str) -> None:
    """Claim a failed, partial or interrupted run for this process and mark it running again
    (`--resume`).

    The claim is one conditional UPDATE: it applies only if the row still holds the status and
    writer read just before, so of two processes that resume the same run at once exactly one
    wins (SQLite serializes writers; PostgreSQL re-checks the condition after the row lock); the
    other gets "run X is being resumed by process P on host H". A run whose writer is alive is
    refused the same way.
    """
    with factory() as session:
        run = session.get(Run, run_id)
        assert run is not None, run_id
        if run.status == RunStatus.complete:
            raise HarnessError(f"--resume: run {run_id} is already complete")
        if _held_by_other(run):
            raise _busy_error(run, "resumed")
        seen = (run.status, run.host, run.pid)
    with factory.begin() as session:
        claimed = session.execute(
            update(Run)
            .where(
                Run.id == run_id,
                Run.status == seen[0],
                Run.host.is_not_distinct_from(seen[1]),
                Run.pid.is_not_distinct_from(seen[2]),
            )
            .values(status=RunStatus.running, error=None, finished_at=None, **_owner())
            .execution_options(synchronize_session=False)
        )
        won = cast(CursorResult[Any], claimed).rowcount == 1
    if not won:
        with factory() as session:
            run = session.get(Run, run_id)
            assert run is not None, run_id
            raise _busy_error(run, "resumed")


def replace_task_metric(
    factory: sessionmaker[Session],
    run_id: str,
    task: str,
    metric: MetricResult,
    per_doc: dict[int, dict[str, Any]],
) -> None:
    """Rescoring (`harness rescore`): put the task's metric row in place (replacing one of the same
    name) and merge each document's new fields into its sample's scores, in one transaction."""
    with factory.begin() as session:
        rows = session.scalars(
            select(TaskResult).where(TaskResult.run_id == run_id, TaskResult.task == task)
        ).all()
        row = next((r for r in rows if r.metric == metric.metric), None)
        if row is None:
            template = rows[0]
            row = TaskResult(
                run_id=run_id,
                task=task,
                family=template.family,
                language=template.language,
                primary_metric=template.primary_metric,
                sample_metric=template.sample_metric,
                protocol=template.protocol,
                task_version=template.task_version,
                task_hash=template.task_hash,
                metric=metric.metric,
                n=metric.n,
            )
            session.add(row)
        row.value, row.stderr, row.n = metric.value, metric.stderr, metric.n
        row.signature, row.note = metric.signature, metric.note
        samples = session.scalars(select(Sample).where(Sample.run_id == run_id, Sample.task == task)).all()
        for sample in samples:
            sample.scores = {**sample.scores, **per_doc[sample.doc_id]}


def store_tokenizer_stats(
    factory: sessionmaker[Session], checkpoint_id: int, rows: list[TokenizerStat]
) -> None:
    """Put a checkpoint's tokenizer statistics in place (copies of `rows`, under `checkpoint_id`),
    replacing the rows of the same language and split: a rerun replaces, never duplicates."""
    fields = [
        c.key for c in TokenizerStat.__table__.columns if c.key not in ("id", "checkpoint_id", "created_at")
    ]
    for attempt in range(3):
        try:
            with factory.begin() as session:
                for row in rows:
                    session.execute(
                        delete(TokenizerStat).where(
                            TokenizerStat.checkpoint_id == checkpoint_id,
                            TokenizerStat.language == row.language,
                            TokenizerStat.split == row.split,
                        )
                    )
                session.add_all(
                    TokenizerStat(checkpoint_id=checkpoint_id, **{f: getattr(row, f) for f in fields})
                    for row in rows
                )
            return
        except IntegrityError:
            # Another process stored the same rows between our delete and our insert; try again.
            if attempt == 2:
                raise
