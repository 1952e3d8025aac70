"""Reading back what a recipe registered in the database (HARNESS_DB)."""

from typing import Any

from sqlalchemy import select

from db.models import Checkpoint, Model, Run
from db.session import make_engine, make_session_factory


def checkpoints(model_name: str) -> list[dict[str, Any]]:
    """The model's checkpoints by id: source, kind, step, tokens, parent's source, recipe, runs."""
    factory = make_session_factory(make_engine(None))
    with factory() as session:
        rows = session.scalars(
            select(Checkpoint).join(Model).where(Model.name == model_name).order_by(Checkpoint.id)
        ).all()
        out = []
        for ckpt in rows:
            parent = session.get(Checkpoint, ckpt.parent_id) if ckpt.parent_id else None
            runs = session.scalars(select(Run.status).where(Run.checkpoint_id == ckpt.id)).all()
            out.append(
                {
                    "source": ckpt.source,
                    "kind": ckpt.kind,
                    "step": ckpt.step,
                    "tokens_seen": ckpt.tokens_seen,
                    "parent": parent.source if parent else None,
                    "recipe": ckpt.recipe,
                    "runs": list(runs),
                }
            )
        return out
