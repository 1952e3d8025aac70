"""The Hugging Face backend, built once per run from a resolved ModelSpec: our `harness-hf`
(lm-eval's `hf` with shared-context multiple-choice scoring, `harness.engine.backends.scorer`) by
default, or lm-eval's own `hf` class unchanged (`shared_context=False`), for comparison."""

from typing import Any

from harness.engine.models import ModelSpec


def pick_device(device: str | None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str, device: str) -> str:
    if dtype != "auto":
        return dtype
    return "float32" if device == "cpu" else "bfloat16"


def load_hf(
    spec: ModelSpec,
    device: str,
    dtype: str,
    batch_size: int,
    shared_context: bool = True,
    response_cache: Any = None,
) -> Any:
    """The model, with `response_cache` (a `harness.engine.response_cache.ResponseCache`) attached when given
    (our class only)."""
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM

    cls = SharedContextLM if shared_context else HFLM
    lm = cls(
        pretrained=spec.pretrained,
        peft=spec.peft,
        backend="causal",
        device=device,
        dtype=dtype,
        batch_size=batch_size,
    )
    if response_cache is not None and shared_context:
        from harness.engine.response_cache import model_key

        lm.attach_cache(
            response_cache, model_key(response_cache, spec.pretrained, spec.peft, dtype, device, "harness-hf")
        )
    return lm
