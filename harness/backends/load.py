"""`--backend` -> the lm-eval model a run uses: `hf` (ours), `hf-lm-eval`, `vllm` or `api`."""

from typing import Any

from core.errors import HarnessError
from harness.models import ModelSpec
from harness.specs import EvalConfig


def check_backend(config: EvalConfig) -> None:
    """Flags that belong to one backend, and what a backend needs, checked before anything loads."""
    if config.backend == "api":
        if not config.base_url:
            raise HarnessError(
                "--backend api needs --base-url (an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1)"
            )
    else:
        for flag, value in (("--base-url", config.base_url), ("--api-key-env", config.api_key_env)):
            if value:
                raise HarnessError(f"{flag} is for --backend api, not --backend {config.backend}")
    if config.tensor_parallel_size != 1 and config.backend != "vllm":
        raise HarnessError(f"--tensor-parallel-size is for --backend vllm, not --backend {config.backend}")
    if config.backend == "vllm":
        from harness.backends.vllm_lm import require_vllm

        require_vllm()


def engine_device(config: EvalConfig) -> str:
    """Where the model runs: `remote` for a served model, else the --device (cuda when available)."""
    if config.backend == "api":
        if config.device:
            raise HarnessError("--device: a served model (--backend api) runs where its server runs")
        return "remote"
    from harness.backends.hf import pick_device

    return pick_device(config.device)


def engine_info(config: EvalConfig, spec: ModelSpec) -> dict[str, Any] | None:
    """What identifies the engine beyond lm-eval's model class, for the run's fingerprint."""
    if config.backend == "vllm":
        from harness.backends.vllm_lm import vllm_version

        return {"vllm": vllm_version(), "tensor_parallel_size": config.tensor_parallel_size}
    if config.backend == "api":
        from harness.backends import api

        assert config.base_url is not None
        url = api.completions_url(config.base_url)
        key = api.api_key(config.api_key_env)
        served = api.pick_served_model(config.model, spec, api.served_models(url, key))
        return {"base_url": url, "served_model": served, "api_key_env": config.api_key_env}
    return None


def load_lm(
    config: EvalConfig,
    spec: ModelSpec,
    device: str,
    dtype: str,
    cache: Any,
    details: dict[str, Any] | None,
) -> Any:
    """The lm-eval model for `config.backend`; `details` is `engine_info`'s answer."""
    if config.backend == "vllm":
        from harness.backends.vllm_lm import load_vllm

        return load_vllm(spec, device, dtype, config.batch_size, config.tensor_parallel_size)
    if config.backend == "api":
        from harness.backends.api import load_api

        assert details is not None
        url, served = details["base_url"], details["served_model"]
        return load_api(spec, url, served, config.api_key_env, config.batch_size)
    from harness.backends.hf import load_hf

    return load_hf(spec, device, dtype, config.batch_size, config.backend == "hf", cache)


def close_lm(config: EvalConfig, lm: Any) -> None:
    """Release what a backend holds outside this process (vLLM's engine processes)."""
    if config.backend == "vllm":
        from harness.backends.vllm_lm import shutdown_vllm

        shutdown_vllm(lm)
