"""lm-eval's Hugging Face model (`hf`), built once per run from a resolved ModelSpec."""

from typing import Any

from harness.models import ModelSpec


def pick_device(device: str | None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(dtype: str, device: str) -> str:
    if dtype != "auto":
        return dtype
    return "float32" if device == "cpu" else "bfloat16"


def load_hf(spec: ModelSpec, device: str, dtype: str, batch_size: int) -> Any:
    from lm_eval.models.huggingface import HFLM

    return HFLM(
        pretrained=spec.pretrained,
        peft=spec.peft,
        backend="causal",
        device=device,
        dtype=dtype,
        batch_size=batch_size,
    )
