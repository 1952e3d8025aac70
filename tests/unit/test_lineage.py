"""Checkpoint lineage: step and model from `checkpoint-N` folders, manifests, flags; stored with parents."""

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from core.errors import HarnessError
from db import store
from db.models import Checkpoint, Model
from db.session import make_engine, make_session_factory
from harness.engine.lineage import MANIFEST, lineage_for
from harness.engine.models import resolve_model
from tests.conftest import run_harness


def _checkpoint(tiny_model: Path, root: Path, step: int, manifest: dict | None = None) -> Path:
    folder = root / "lin-cpt" / f"checkpoint-{step}"
    shutil.copytree(tiny_model, folder)
    if manifest is not None:
        (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def test_checkpoint_folder_gives_model_and_step(tiny_model: Path, tmp_path: Path) -> None:
    lineage = lineage_for(resolve_model(str(_checkpoint(tiny_model, tmp_path, 1000))))
    assert (lineage.model_name, lineage.step, lineage.parent) == ("lin-cpt", 1000, None)
    assert lineage_for(resolve_model(str(tiny_model)), step=7).step == 7
    assert lineage_for(resolve_model(str(tiny_model)), model_name="mine").model_name == "mine"


def test_manifest_fields_and_conflicts(tiny_model: Path, tmp_path: Path) -> None:
    parent = _checkpoint(tiny_model, tmp_path, 1000)
    child = _checkpoint(
        tiny_model,
        tmp_path,
        2000,
        {
            "step": 2000,
            "tokens_seen": 5_000_000_000,
            "parent": "../checkpoint-1000",
            "recipe": {"name": "cpt"},
        },
    )
    lineage = lineage_for(resolve_model(str(child)))
    assert (lineage.step, lineage.tokens_seen, lineage.parent) == (2000, 5_000_000_000, str(parent))
    assert lineage.recipe == {"name": "cpt"}
    with pytest.raises(HarnessError, match="step of the checkpoint disagrees: --step says 3"):
        lineage_for(resolve_model(str(child)), step=3)
    (child / MANIFEST).write_text(json.dumps({"step": "2000"}))
    with pytest.raises(HarnessError, match=rf"{MANIFEST}: field 'step' must be int"):
        lineage_for(resolve_model(str(child)))
    (child / MANIFEST).write_text("{")
    with pytest.raises(HarnessError, match=rf"{MANIFEST}: not valid JSON"):
        lineage_for(resolve_model(str(child)))


def test_checkpoints_stored_with_parent_and_recipe(tiny_model: Path, tmp_path: Path) -> None:
    first = _checkpoint(tiny_model, tmp_path, 1000)
    second = _checkpoint(
        tiny_model,
        tmp_path,
        2000,
        {"tokens_seen": 5_000_000_000, "parent": str(first), "recipe": {"name": "cpt"}},
    )
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'l.db'}"))
    for folder in (second, first):  # the child first: its parent is registered from the manifest
        spec = resolve_model(str(folder))
        store.start_run(factory, lineage_for(spec), spec.path, spec.kind, {})
    with factory() as session:
        (model,) = session.scalars(select(Model)).all()
        rows = {c.step: c for c in session.scalars(select(Checkpoint))}
    assert model.name == "lin-cpt" and set(rows) == {1000, 2000}
    assert rows[2000].parent_id == rows[1000].id and rows[1000].parent_id is None
    assert rows[2000].tokens_seen == 5_000_000_000 and rows[2000].recipe == {"name": "cpt"}
    assert rows[1000].source == str(first)


def test_eval_registers_the_checkpoint(tiny_model: Path, tmp_path: Path) -> None:
    folder = _checkpoint(tiny_model, tmp_path, 5)
    result = run_harness(
        "eval",
        "--model",
        str(folder),
        "--tasks",
        "flores_eng_Latn-lin_Latn",
        "--limit",
        "2",
        "--bundled-sample",
        "--json",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["model"] == "lin-cpt"
    rows = json.loads(run_harness("results", "--format", "json", check=True).stdout)["results"]
    assert {(r["model"], r["step"]) for r in rows} == {("lin-cpt", 5)}
