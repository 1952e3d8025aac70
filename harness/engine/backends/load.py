"""`--backend` -> the lm-eval model a run uses: `hf` (ours), `hf-lm-eval`, `vllm` or `api`."""

from typing import Any

from core.errors import HarnessError
from harness.engine.models import ModelSpec
from harness.engine.specs import EvalConfig


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
        from harness.engine.backends.vllm_lm import require_vllm

        require_vllm()
    check_data_parallel(config)


def check_data_parallel(config: EvalConfig) -> None:
    """`--data-parallel N`: not for a served model, and on CUDA no more replicas (times
    `--tensor-parallel-size`) than devices; on a CPU any N worker processes (`hf`, `hf-lm-eval`;
    for testing), but not vLLM's replicas, which need GPUs."""
    n = config.data_parallel
    if n == 1:
        return
    if config.backend == "api":
        raise HarnessError("--data-parallel is for --backend hf, hf-lm-eval or vllm, not --backend api")
    from harness.engine.backends.hf import pick_device

    device = pick_device(config.device)
    if config.backend == "vllm":
        import importlib.util

        # lm-eval's vLLM data-parallel mode: one engine per replica as a Ray task holding
        # --tensor-parallel-size GPUs; without GPUs Ray would wait for them forever.
        if device == "cpu":
            raise HarnessError("--data-parallel with --backend vllm needs CUDA devices (one Ray task each)")
        if importlib.util.find_spec("ray") is None:
            raise HarnessError(
                "--data-parallel with --backend vllm runs its replicas through Ray: install ray in the "
                "vLLM environment (.venv-vllm/bin/pip install ray)"
            )
    if device.startswith("cuda:"):
        raise HarnessError(f"--data-parallel {n} puts replica i on cuda:i: give --device cuda, not {device}")
    if device == "cuda":
        import torch

        count = torch.cuda.device_count()
        tp = config.tensor_parallel_size
        need = n * tp
        if need > count:
            asked = f"--data-parallel {n}" + (f" x --tensor-parallel-size {tp}" if tp > 1 else "")
            raise HarnessError(f"{asked} needs {need} CUDA devices; this machine has {count}")


def engine_device(config: EvalConfig) -> str:
    """Where the model runs: `remote` for a served model, else the --device (cuda when available)."""
    if config.backend == "api":
        if config.device:
            raise HarnessError("--device: a served model (--backend api) runs where its server runs")
        return "remote"
    from harness.engine.backends.hf import pick_device

    return pick_device(config.device)


def engine_info(config: EvalConfig, spec: ModelSpec) -> dict[str, Any] | None:
    """What identifies the engine beyond lm-eval's model class, for the run's fingerprint."""
    # Only when above 1, so that runs made before the flag existed still resume.
    parallel = {"data_parallel_size": config.data_parallel} if config.data_parallel > 1 else {}
    if config.backend == "vllm":
        from harness.engine.backends.vllm_lm import vllm_version

        return {"vllm": vllm_version(), "tensor_parallel_size": config.tensor_parallel_size} | parallel
    if config.backend == "api":
        from harness.engine.backends import api

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
    return parallel or None


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
    chunks = None
    if config.data_parallel > 1 and config.backend in ("hf", "hf-lm-eval"):
        from harness.engine.backends.cached import ENGINE_CHUNKS
        from harness.engine.backends.parallel import DataParallelLM, worker_devices

        devices = worker_devices(device, config.data_parallel)
        lm = DataParallelLM(spec, devices, dtype, config.batch_size, config.backend == "hf")
        # A chunk is split among the workers: each gets about what a single engine would.
        chunks = {kind: size * config.data_parallel for kind, size in ENGINE_CHUNKS.items()}
    elif config.backend == "hf":
        from harness.engine.backends.hf import load_hf

        return load_hf(spec, device, dtype, config.batch_size, True, cache)
    elif config.backend == "vllm":
        from harness.engine.backends.vllm_lm import load_vllm

        lm = load_vllm(
            spec,
            device,
            dtype,
            config.batch_size,
            config.tensor_parallel_size,
            data_parallel_size=config.data_parallel,
        )
    elif config.backend == "api":
        from harness.engine.backends.api import load_api

        assert details is not None
        url, served = details["base_url"], details["served_model"]
        lm = load_api(spec, url, served, config.api_key_env, config.batch_size)
    else:
        from harness.engine.backends.hf import load_hf

        lm = load_hf(spec, device, dtype, config.batch_size, False)
    if cache is not None:
        from harness.engine.backends.cached import attach

        attach(lm, cache, cache_key(config, spec, device, dtype, cache, details), chunks)
    return lm


def cache_key(
    config: EvalConfig, spec: ModelSpec, device: str, dtype: str, cache: Any, details: dict[str, Any] | None
) -> str:
    """The response cache's key for a wrapped engine (`harness.engine.response_cache`): the same for any
    `--data-parallel`, which does not change answers."""
    from harness.engine.response_cache import model_key, served_model_key

    if config.backend == "api":
        assert details is not None
        if spec.kind == "hub":  # the tokenizer is the hub's, named by its id
            return served_model_key(cache, None, details["server"] | {"tokenizer_hub_id": spec.pretrained})
        return served_model_key(cache, spec.pretrained, details["server"])
    backend = {"vllm": "harness-vllm", "hf-lm-eval": "lm-eval-hf", "hf": "harness-hf"}[config.backend]
    engine = {k: v for k, v in (details or {}).items() if k != "data_parallel_size"}
    return model_key(cache, spec.pretrained, spec.peft, dtype, device, backend, engine or None)


def close_lm(config: EvalConfig, lm: Any) -> None:
    """Release what a backend holds outside this process (vLLM's engine processes, the
    `--data-parallel` workers)."""
    from harness.engine.backends.parallel import DataParallelLM

    if isinstance(lm, DataParallelLM):
        lm.close()
    elif config.backend == "vllm":
        from harness.engine.backends.vllm_lm import shutdown_vllm

        shutdown_vllm(lm)
