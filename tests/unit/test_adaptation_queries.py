"""`db.adaptation_queries` finds the lineage however `harness adapt` registered it: with the base
evaluated before training (the first checkpoint's parent is the base model's checkpoint) or only
after (`db.store` registers the base it starts from under the first adapted model, a later recipe
from the same base reuses that record, and the base's own evaluation is a checkpoint of the base
model with the same source). Built through the real store on SQLite."""

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.lineage import Lineage
from core.records import MetricResult, TaskMeta, TaskOutcome
from db import store
from db.adaptation_queries import family_of, lineage_models
from db.session import make_engine, make_session_factory

META = TaskMeta("bpb", "lin_Latn", "bits_per_byte", "nll_bits/bytes", "p")


def _evaluate(factory: sessionmaker[Session], lineage: Lineage, source: str) -> None:
    run_id = store.start_run(factory, lineage, source, "local", {})
    result = MetricResult("bpb_lin_Latn", "bits_per_byte", 3.0, 0.1, 2, "s")
    outcome = TaskOutcome("bpb_lin_Latn", "v", "h", [result], [])
    store.store_task(factory, run_id, outcome, META)
    store.finish_run(factory, run_id, "complete")


def test_base_evaluated_after_two_recipes_trained(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    factory = make_session_factory(engine)
    for name, recipe in (("cpt-lin", "cpt"), ("lora-lin", "lora")):
        for step in (10, 20):
            parent = "base-src" if step == 10 else f"/ck/{name}/checkpoint-10"
            lineage = Lineage(name, step=step, parent=parent, recipe={"name": recipe})
            store.register_checkpoint(factory, lineage, f"/ck/{name}/checkpoint-{step}", "local")
        _evaluate(factory, Lineage(name, step=20), f"/ck/{name}/checkpoint-20")
    assert lineage_models(engine) == []  # the base has no complete run yet
    _evaluate(factory, Lineage("base"), "base-src")
    assert lineage_models(engine) == ["base", "cpt-lin", "lora-lin"]
    for opened_with in ("base", "cpt-lin", "lora-lin"):
        family = family_of(engine, opened_with)
        assert family is not None, opened_with
        assert (family.base.model, family.base.source) == ("base", "base-src")
        assert [(b.model, b.recipe, [c.step for c in b.checkpoints]) for b in family.branches] == [
            ("cpt-lin", "cpt", [20]),
            ("lora-lin", "lora", [20]),
        ]
