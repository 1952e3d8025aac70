"""Reads for the app's Adaptation page: the lineages that grew from one base checkpoint.

A *branch* is one adapted model (one `harness adapt` run of one recipe): its checkpoints in step
order, the first of which names as parent a checkpoint of another model, the *base*. Every branch
that grew from the same base checkpoint belongs to the same family, whichever of its models the
page was opened with: the base model shows all of them, an adapted model its siblings too.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from db.app_queries import CheckpointRow
from db.models import Checkpoint, Model, Run, RunStatus


@dataclass(frozen=True)
class Branch:
    """One adapted model: the checkpoints of it that have a complete run, by step."""

    model: str
    recipe: str | None
    """The recipe's name as its checkpoints' manifests record it (`cpt`, `lora`, ...); None when
    the checkpoints were not trained by `harness adapt`."""
    checkpoints: list[CheckpointRow]


@dataclass(frozen=True)
class Family:
    """A base checkpoint and every branch that grew from it."""

    base: CheckpointRow
    branches: list[Branch]


def _complete(checkpoint_id: Any) -> Any:
    """A complete run of the checkpoint exists."""
    return select(Run.id).where(Run.checkpoint_id == checkpoint_id, Run.status == RunStatus.complete).exists()


def _roots() -> Any:
    """(adapted model, base checkpoint id, base model) for each checkpoint that grew from another
    model's: its parent is a checkpoint of another model (the base was registered before training),
    or a stepless checkpoint of its own model whose source another model's checkpoint has (`harness
    adapt` registers the base it starts from under the adapted model when the base was not yet in the
    database, and a later recipe from the same base reuses that record; the base evaluated later is
    a stepless checkpoint of its own model with the same source)."""
    child = aliased(Checkpoint, name="child")
    parent = aliased(Checkpoint, name="parent")
    base = aliased(Checkpoint, name="base")
    same_base = (base.id == parent.id) | (
        (base.source == parent.source) & parent.step.is_(None) & base.step.is_(None)
    )
    return (
        select(child.model_id.label("model_id"), base.id.label("base_id"), base.model_id.label("base_model"))
        .join(parent, child.parent_id == parent.id)
        .join(base, same_base)
        .where(base.model_id != child.model_id)
        .distinct()
    )


def lineage_models(engine: Engine) -> list[str]:
    """Models in some lineage: each base model (with a complete run), then the models adapted from
    it, by name."""
    roots = _roots().subquery()
    adapted = aliased(Model, name="adapted")
    base = aliased(Model, name="base")
    base_checkpoint = aliased(Checkpoint, name="base_checkpoint")
    query = (
        select(base.name.label("base"), adapted.name.label("adapted"))
        .join(roots, roots.c.base_model == base.id)
        .join(adapted, adapted.id == roots.c.model_id)
        .join(base_checkpoint, base_checkpoint.id == roots.c.base_id)
        .where(_complete(base_checkpoint.id))
        .order_by(base.name, adapted.name)
    )
    out: list[str] = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            for name in (row.base, row.adapted):
                if name not in out:
                    out.append(name)
    return out


def _checkpoint_rows(conn: Any, where: Any) -> list[tuple[CheckpointRow, dict[str, Any] | None]]:
    query = (
        select(
            Checkpoint.id,
            Model.name.label("model"),
            Checkpoint.source,
            Checkpoint.step,
            Checkpoint.tokens_seen,
            Checkpoint.parent_id,
            Checkpoint.recipe,
        )
        .join(Model, Checkpoint.model_id == Model.id)
        .where(where)
        .order_by(Model.name, func.coalesce(Checkpoint.step, -1), Checkpoint.id)
    )
    out = []
    for row in conn.execute(query):
        fields = dict(row._mapping)
        recipe = fields.pop("recipe")
        out.append((CheckpointRow(**fields), recipe))
    return out


def family_of(engine: Engine, model: str) -> Family | None:
    """The family `model` belongs to: as an adapted model, the base its lowest-step checkpoint
    grew from, and that base's branches; as a base model, its own newest base checkpoint that
    branches grew from. None when the model is in no lineage (or its base has no complete run)."""
    roots = _roots().subquery()
    with engine.connect() as conn:
        as_adapted = (
            select(roots.c.base_id).join(Model, Model.id == roots.c.model_id).where(Model.name == model)
        )
        as_base = (
            select(roots.c.base_id).join(Model, Model.id == roots.c.base_model).where(Model.name == model)
        )
        base_ids = list(conn.execute(as_adapted).scalars()) or list(conn.execute(as_base).scalars())
        bases = [c for c, _ in _checkpoint_rows(conn, Checkpoint.id.in_(base_ids) & _complete(Checkpoint.id))]
        if not bases:
            return None
        base = bases[-1]  # the highest step (rows come by step)
        grown = select(roots.c.model_id).where(roots.c.base_id == base.id)
        rows = _checkpoint_rows(conn, Checkpoint.model_id.in_(grown) & _complete(Checkpoint.id))
    branches: dict[str, Branch] = {}
    for checkpoint, recipe in rows:
        name = recipe.get("name") if isinstance(recipe, dict) else None
        branch = branches.setdefault(checkpoint.model, Branch(checkpoint.model, None, []))
        if branch.recipe is None and isinstance(name, str):
            branch = branches[checkpoint.model] = Branch(branch.model, name, branch.checkpoints)
        branch.checkpoints.append(checkpoint)
    return Family(base, list(branches.values()))
