"""Reads for `harness sweep`: which (checkpoint, task) units the database already holds.

A unit is finished when a complete run of the same checkpoint source holds the task with the same
task hash (template, config and data checksums) and was produced with the same settings that change
scores (`SCORE_SETTINGS`, compared key by key in the runs' fingerprints). Versions and batch size
are not compared. All filtering happens in SQL, on SQLite and PostgreSQL alike.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, cast, select, tuple_

from db.models import Checkpoint, Run, RunStatus, TaskResult

SCORE_SETTINGS = (
    "backend",
    "device",
    "dtype",
    "num_fewshot",
    "fewshot_seed",
    "limit",
    "split",
    "data",
    "flores200_spm_sha256",
    "judge",
    "chat_template.sha256",
)
"""Run fingerprint keys whose values change a task's scores (`harness.engine.run.fingerprint`); a dotted
key is a path into a nested value (`chat_template.sha256`: absent when no chat template was applied)."""


def setting(fingerprint: Mapping[str, Any], key: str) -> Any:
    """The value at `key` (dotted: a path) in a run fingerprint; None when absent."""
    value: Any = fingerprint
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class FinishedUnit:
    """The newest complete run holding a task for a checkpoint, with that task's metrics."""

    run_id: str
    metrics: dict[str, float | None]


def _setting_is(key: str, value: Any) -> ColumnElement[bool]:
    """The run's fingerprint holds `value` at `key` (None: null or absent).

    Compared as text: SQLite's JSON_EXTRACT returns numbers as numbers and PostgreSQL's `->>` as
    text, so both sides are cast to text; a JSON null and a missing key are both SQL NULL.
    """
    path = tuple(key.split("."))
    text = cast(Run.fingerprint[path if len(path) > 1 else key].as_string(), String)
    if value is None:
        return text.is_(None)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise TypeError(f"fingerprint setting {key}: {value!r} is not a string or a number")
    return text == str(value)


def finished_units(
    engine: Engine, source: str, task_hashes: Mapping[str, str], settings: Mapping[str, Any]
) -> dict[str, FinishedUnit]:
    """task -> the newest complete run of checkpoint `source` that holds the task with its hash in
    `task_hashes` and whose fingerprint has every value in `settings`; tasks without one are absent."""
    if not task_hashes:
        return {}
    query = (
        select(Run.id, TaskResult.task, TaskResult.metric, TaskResult.value)
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .where(
            Checkpoint.source == source,
            Run.status == RunStatus.complete,
            tuple_(TaskResult.task, TaskResult.task_hash).in_(list(task_hashes.items())),
            *(_setting_is(key, value) for key, value in settings.items()),
        )
        .order_by(Run.finished_at.desc(), Run.id, TaskResult.task, TaskResult.metric)
    )
    found: dict[str, FinishedUnit] = {}
    with engine.connect() as conn:
        for run_id, task, metric, value in conn.execute(query):
            unit = found.setdefault(task, FinishedUnit(run_id, {}))
            if unit.run_id == run_id:
                unit.metrics[metric] = value
    return found
