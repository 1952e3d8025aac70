"""What `harness compare` and the Adaptation page compare: references resolved to a checkpoint and, per
task, the run holding its newest complete result; the base of a lineage; the target languages
(`harness.analysis.adaptation` has the rules in its docstring)."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from core.errors import HarnessError
from core.languages import FLORES_LANGUAGES
from harness.analysis.gate import Side, side_from_rows


@dataclass(frozen=True)
class Resolved:
    """A reference resolved: what it is called, its checkpoint and, per task, the run holding it."""

    label: str
    checkpoint: Any
    """`db.queries.LineageRow`, or None when the run's checkpoint is gone."""
    runs: dict[str, str]


def label_of(row: Any) -> str:
    """`model@step`, or `model` for a checkpoint without a step."""
    return row.model if row.step is None else f"{row.model}@{row.step}"


def resolve(engine: Engine, ref: str) -> Resolved:
    """A run id (or unique prefix), `model@step` or `model`; HarnessError naming the reference."""
    from db.queries import evaluated_checkpoints, find_run_id, list_results, newest_task_runs, run_lineage

    run_id = find_run_id(engine, ref)
    if run_id is not None:
        row = run_lineage(engine, run_id)
        tasks = {r.task for r in list_results(engine, run_id=run_id)}
        if not tasks:
            raise HarnessError(f"{ref!r}: run {run_id} has no complete results")
        label = f"{label_of(row)} (run {run_id[:8]})" if row else f"run {run_id[:8]}"
        return Resolved(label, row, dict.fromkeys(tasks, run_id))
    name, at, step_text = ref.partition("@")
    if at and not step_text.isdigit():
        raise HarnessError(f"{ref!r}: the step after @ must be a whole number")
    checkpoints = evaluated_checkpoints(engine, name)
    if at:
        checkpoints = [c for c in checkpoints if c.step == int(step_text)]
    if not checkpoints:
        raise HarnessError(
            f"{ref!r} is neither a run id nor a model (model@step) with a complete run in the database"
        )
    row = checkpoints[-1]
    return Resolved(label_of(row), row, newest_task_runs(engine, row.id))


def lineage_base(engine: Engine, checkpoint: Any) -> Any:
    """The checkpoint `checkpoint`'s model was trained from: up its parents (manifests' `parent`) to the
    first checkpoint of another model, else to the root (a base registered under this model because
    it was not evaluated before training)."""
    from db.queries import lineage_row

    seen = {checkpoint.id}
    row = checkpoint
    while row.parent_id is not None and row.parent_id not in seen:
        seen.add(row.parent_id)
        parent = lineage_row(engine, row.parent_id)
        if parent is None:
            break
        row = parent
        if row.model != checkpoint.model:
            return row
    if row.id == checkpoint.id:
        raise HarnessError(
            f"{label_of(checkpoint)} has no parent in its lineage (no manifest named the base it was "
            "trained from); name the base: harness compare BASE CANDIDATE"
        )
    return row


def resolve_base(engine: Engine, candidate: Resolved) -> Resolved:
    """The base of the candidate's lineage, with its newest complete result per task (under whichever
    model its source was evaluated)."""
    from db.queries import newest_task_runs, run_lineage

    if candidate.checkpoint is None:
        raise HarnessError(f"{candidate.label}: its checkpoint is not in the database; name the base")
    base = lineage_base(engine, candidate.checkpoint)
    runs = newest_task_runs(engine, base.id, same_source=True)
    if not runs:
        raise HarnessError(
            f"the base of {candidate.label}, {base.source}, has no complete results to compare with; "
            f"evaluate it: harness eval --model {base.source} --tasks ..."
        )
    holder = run_lineage(engine, runs[max(runs)]) or base
    return Resolved(label_of(holder), holder, runs)


def expand_targets(codes: Iterable[str], where: str = "--targets") -> list[str]:
    """FLORES-200 codes; an ISO 639-3 code (`lin`) stands for each of its scripts. HarnessError naming
    `where` for a code that is neither."""
    out: list[str] = []
    for code in (c.strip() for c in codes):
        if not code:
            continue
        matches = (
            [code] if code in FLORES_LANGUAGES else [c for c in FLORES_LANGUAGES if c.split("_")[0] == code]
        )
        if not matches:
            raise HarnessError(
                f"{where}: {code!r} is not a FLORES-200 language code (lin_Latn) or ISO 639-3 code (lin)"
            )
        out += [m for m in matches if m not in out]
    return out


def targets_of(targets: list[str] | None, candidate: Resolved) -> tuple[list[str], str]:
    """(targets, where they came from): `--targets`, else the candidate's recipe, else none."""
    if targets:
        return expand_targets(targets), "--targets"
    recipe = (candidate.checkpoint.recipe if candidate.checkpoint else None) or {}
    declared = recipe.get("target_languages") or (recipe.get("config") or {}).get("target_languages")
    if declared:
        return expand_targets(declared, f"recipe {recipe.get('name')} target_languages"), (
            f"recipe {recipe.get('name')}"
        )
    return [], "none"


def load_side(engine: Engine, resolved: Resolved, tasks: list[str] | None = None) -> Side:
    """The stored results and samples of the resolved reference's tasks (only `tasks` when given)."""
    from db.queries import list_results, list_samples

    wanted = {t: r for t, r in resolved.runs.items() if tasks is None or t in tasks}
    results: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    for run_id in sorted(set(wanted.values())):
        mine = {t for t, r in wanted.items() if r == run_id}
        results += [asdict(r) for r in list_results(engine, run_id=run_id) if r.task in mine]
        samples += [asdict(s) for s in list_samples(engine, run_id) if s.task in mine]
    return side_from_rows(resolved.label, results, samples, one_run=False)
