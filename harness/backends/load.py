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
        return {
            "base_url": url,
            "served_model": served,
            "api_key_env": config.api_key_env,
            "server": api.served_identity(url, key, served),
        }
    return None


def load_lm(
    config: EvalConfig,
    spec: ModelSpec,
    device: str,
    dtype: str,
    cache: Any,
    details: dict[str, Any] | None,
) -> Any:
    """The lm-eval model for `config.backend`, answering through the response `cache` when one is
    given; `details` is `engine_info`'s answer."""
    if config.backend == "hf":
        from harness.backends.hf import load_hf

        return load_hf(spec, device, dtype, config.batch_size, True, cache)
    if config.backend == "vllm":
        from harness.backends.vllm_lm import load_vllm

        lm = load_vllm(spec, device, dtype, config.batch_size, config.tensor_parallel_size)
    elif config.backend == "api":
        from harness.backends.api import load_api

        assert details is not None
        url, served = details["base_url"], details["served_model"]
        lm = load_api(spec, url, served, config.api_key_env, config.batch_size)
    else:
        from harness.backends.hf import load_hf

        lm = load_hf(spec, device, dtype, config.batch_size, False)
    if cache is not None:
        from harness.backends.cached import attach

        attach(lm, cache, cache_key(config, spec, device, dtype, cache, details))
    return lm


def cache_key(
    config: EvalConfig, spec: ModelSpec, device: str, dtype: str, cache: Any, details: dict[str, Any] | None
) -> str:
    """The response cache's key for a wrapped engine (`harness.response_cache`)."""
    from harness.response_cache import model_key, served_model_key

    if config.backend == "api":
        assert details is not None
        if spec.kind == "hub":  # the tokenizer is the hub's, named by its id
            return served_model_key(cache, None, details["server"] | {"tokenizer_hub_id": spec.pretrained})
        return served_model_key(cache, spec.pretrained, details["server"])
    backend = {"vllm": "lm-eval-vllm", "hf-lm-eval": "lm-eval-hf"}[config.backend]
    return model_key(cache, spec.pretrained, spec.peft, dtype, device, backend, details)


def close_lm(config: EvalConfig, lm: Any) -> None:
    """Release what a backend holds outside this process (vLLM's engine processes)."""
    if config.backend == "vllm":
        from harness.backends.vllm_lm import shutdown_vllm

        shutdown_vllm(lm)
