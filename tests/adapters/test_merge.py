"""Task arithmetic: adapted + scale * (instruct - base), against hand computations."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch

from adapters.cli import adapt
from adapters.merge import task_arithmetic
from core.errors import HarnessError
from tests.adapters.helpers import checkpoints


def test_task_arithmetic_by_hand() -> None:
    adapted = {"w": torch.tensor([1.0, 2.0, -1.0]), "emb": torch.tensor([[1.0, 1.0], [2.0, 2.0], [9.0, 9.0]])}
    instruct = {"w": torch.tensor([3.0, 5.0, 0.0]), "emb": torch.tensor([[2.0, 0.0], [2.0, 4.0]])}
    base = {"w": torch.tensor([1.0, 1.0, 0.0]), "emb": torch.tensor([[1.0, 0.0], [2.0, 2.0]])}
    merged = task_arithmetic(adapted, instruct, base, 0.5)
    # w: (1,2,-1) + 0.5 * ((3,5,0) - (1,1,0)) = (2, 4, -1)
    assert torch.equal(merged["w"], torch.tensor([2.0, 4.0, -1.0]))
    # emb: the adapted model's extra row (9,9) gets no task vector
    assert torch.equal(merged["emb"], torch.tensor([[1.5, 1.0], [2.0, 3.0], [9.0, 9.0]]))
    with pytest.raises(HarnessError, match="missing from instruct or base"):
        task_arithmetic({"x": torch.zeros(1)}, instruct, base, 1.0)


def _variant(tiny_model: Path, folder: Path, seed: int) -> Path:
    """The tiny model with its weights moved at random: another model of the same shape."""
    from transformers import AutoModelForCausalLM

    shutil.copytree(tiny_model, folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param += 0.1 * torch.randn(param.shape, generator=generator)
    model.save_pretrained(folder)
    return folder


def test_merge_recipe_writes_registers_and_equals_formula(tiny_model: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    instruct = _variant(tiny_model, tmp_path / "instruct", seed=1)
    adapted = _variant(tiny_model, tmp_path / "adapted", seed=2)
    recipe = tmp_path / "merge.yaml"
    recipe.write_text(
        f"recipe: merge\nbase_model: {tiny_model}\nadapted: adapted\ninstruct: {instruct}\nscale: 0.25\n"
        "model_name: tiny-merged\n"
    )
    assert adapt(recipe, str(tmp_path / "merged")) == [tmp_path / "merged"]
    weights = {
        name: load_file(folder / "model.safetensors")
        for name, folder in {"m": tmp_path / "merged", "a": adapted, "i": instruct, "b": tiny_model}.items()
    }
    name = "model.layers.1.mlp.down_proj.weight"
    a, i, b, m = (weights[k][name] for k in "aibm")
    assert torch.allclose(m, a + 0.25 * (i - b), atol=1e-6)
    assert not torch.allclose(m, a)
    manifest = json.loads((tmp_path / "merged" / "harness_manifest.json").read_text())
    assert manifest["parent"] == str(adapted) and manifest["recipe"]["merge"]["scale"] == 0.25
    registered = {c["source"]: c for c in checkpoints("tiny-merged")}
    merged = registered[str(tmp_path / "merged")]  # its parent, unknown before, is registered with it
    assert (merged["source"], merged["step"], merged["parent"]) == (
        str(tmp_path / "merged"),
        None,
        str(adapted),
    )
    assert merged["recipe"]["sha256"] == hashlib.sha256(recipe.read_bytes()).hexdigest()
