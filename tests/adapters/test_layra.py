"""LayRA: LoRA on the first k and last k layers only; counts by hand, gradients after a step."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from adapters.lora import apply_lora, layra_layers
from adapters.recipes import LoraSettings
from core.errors import HarnessError
from tests.adapters.helpers import checkpoints
from tests.conftest import run_harness

LAYERS = 5


def _five_layer_model(tiny_model: Path, folder: Path | None = None) -> Any:
    """The tiny model's shape (hidden 32, MLP 64, 4 heads of 8, 2 key-value heads) with 5 layers."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(tiny_model)
    config.num_hidden_layers = LAYERS
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    if folder is not None:
        shutil.copytree(tiny_model, folder)
        model.save_pretrained(folder)
    return model


def test_layra_layers() -> None:
    assert layra_layers(5, 1) == [0, 4]
    assert layra_layers(30, 4) == [0, 1, 2, 3, 26, 27, 28, 29]
    with pytest.raises(HarnessError, match="k=3 adapts 2k=6 layers but the model has 5"):
        layra_layers(5, 3)


def test_layra_trains_exactly_the_lora_weights_of_the_chosen_layers(tiny_model: Path) -> None:
    model = apply_lora(_five_layer_model(tiny_model), LoraSettings(r=4, alpha=8, dropout=0.0), [0, 4])
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    # r * (in + out) per adapted module, r = 4; q, o: 32->32; k, v: 32->16; gate, up: 32->64; down: 64->32
    per_layer = 4 * ((32 + 32) + (32 + 16) + (32 + 16) + (32 + 32) + (32 + 64) + (32 + 64) + (64 + 32))
    assert per_layer == 2048
    assert sum(p.numel() for p in trainable.values()) == 2 * per_layer
    assert len(trainable) == 2 * 7 * 2  # two layers x seven modules x (A, B)
    assert all("lora_" in n and (".layers.0." in n or ".layers.4." in n) for n in trainable)

    frozen_before = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    batch = torch.randint(0, model.config.vocab_size, (2, 16))
    optimizer = torch.optim.SGD(trainable.values(), lr=0.1)
    for _ in range(2):  # after one step B != 0, so A gets a gradient too
        optimizer.zero_grad()
        model(input_ids=batch, labels=batch).loss.backward()
        optimizer.step()
    for name, param in model.named_parameters():
        if name in trainable:
            assert param.grad is not None and param.grad.abs().sum() > 0, name
        else:
            assert param.grad is None, name
            assert torch.equal(param, frozen_before[name]), name


def test_layra_recipe_saves_and_registers_adapters_of_those_layers(tiny_model: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    base = tmp_path / "tiny-5"
    _five_layer_model(tiny_model, base)
    text = tmp_path / "lin.txt"
    text.write_text("Mokili ezali monene mpenza.\nBato bazali kotanga mikanda.\n" * 40, encoding="utf-8")
    recipe = tmp_path / "layra.yaml"
    recipe.write_text(
        f"recipe: layra\nbase_model: {base}\nlayers: 1\nlora: {{r: 4, alpha: 8}}\n"
        "data: [{kind: text, paths: [lin.txt], weight: 1}]\n"
        "training: {max_steps: 2, save_every: 2, batch_size: 2, seq_length: 32, learning_rate: 0.01}\n"
    )
    result = run_harness("adapt", str(recipe), "--output", str(tmp_path / "tiny-5-layra"))
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "tiny-5-layra" / "checkpoint-2"
    keys = load_file(folder / "adapter_model.safetensors")
    layers = {int(k.split(".layers.")[1].split(".")[0]) for k in keys}
    assert layers == {0, 4} and len(keys) == 28
    manifest = json.loads((folder / "harness_manifest.json").read_text())
    assert manifest["recipe"]["adapted_layers"] == [0, 4]
    assert manifest["recipe"]["trainable_parameters"] == 4096
    assert manifest["tokens_seen"] == 2 * 2 * 32
    registered = {c["source"]: c for c in checkpoints("tiny-5-layra")}
    assert registered[str(folder)]["kind"] == "peft" and registered[str(folder)]["step"] == 2
    assert registered[str(folder)]["parent"] == str(base)
