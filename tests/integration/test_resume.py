"""A killed `harness eval` resumes with `--resume` without recomputing what it had finished, and
stores every sample exactly once; an identical second run is answered from the response cache."""

import json
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from harness.engine.backends.scorer import CHUNKS
from tests.conftest import HARNESS, ROOT, need_shared_data, run_harness

TASKS = ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"]
LIMIT = 100  # 200 generations: four chunks of the response cache (64 each, then 8)


def _args(model: Path, data: Path, *extra: str) -> list[str]:
    return [
        "eval", "--model", str(model), "--tasks", ",".join(TASKS), "--limit", str(LIMIT),
        "--data-dir", str(data), "--batch-size", "8", "--json", *extra,
    ]  # fmt: skip


def _count(db: Path, query: str, *params: object) -> int:
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(db, timeout=5)) as con:
            return int(con.execute(query, params).fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0


def _payload(stdout: str) -> dict:
    lines = stdout.splitlines()
    return json.loads("\n".join(lines[max(i for i, line in enumerate(lines) if line == "{") :]))


def _run_seconds(results_db: Path, run_id: str) -> float:
    with closing(sqlite3.connect(results_db)) as con:
        started, finished = con.execute(
            "SELECT started_at, finished_at FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wider and deeper than the 2-layer tiny model, so that a run's time is mostly the model's."""
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "small-llama", hidden_size=256, layers=4)


def test_killed_run_resumes_and_identical_run_is_cached(
    small_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = need_shared_data()
    cache = tmp_path / "responses.sqlite"
    results_db = Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))
    monkeypatch.setenv("HARNESS_RESPONSE_CACHE", str(cache))
    assert CHUNKS["generate_until"] == 64
    cached = "SELECT COUNT(*) FROM responses"

    proc = subprocess.Popen(
        [*HARNESS, *_args(small_model, data)], env=os.environ.copy(), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # Both tasks go to the engine in one evaluator call (`harness.engine.batching`): kill it when two
        # chunks of their requests are answered and in the cache, before any task is stored.
        deadline = time.monotonic() + 600
        while _count(cache, cached) < 2 * CHUNKS["generate_until"]:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    at_kill = _count(cache, cached)
    assert 2 * CHUNKS["generate_until"] <= at_kill < 2 * LIMIT
    run_id, status = _only_run(results_db)
    assert status == "running"  # a killed run never shows as complete
    assert _count(results_db, "SELECT COUNT(DISTINCT task) FROM task_results") == 0

    resumed = run_harness(*_args(small_model, data, "--resume", run_id[:8]), check=True)
    payload = _payload(resumed.stdout)
    assert payload["run_id"] == run_id
    assert payload["resumed_tasks"] == []
    # What was answered before the kill is not asked again; only what the kill lost is computed.
    assert payload["cache"] == {"hits": at_kill, "computed": 2 * LIMIT - at_kill}
    assert {r["task"] for r in payload["results"]} == set(TASKS)
    assert _only_run(results_db) == (run_id, "complete")
    per_doc = (
        "SELECT COUNT(*) FROM (SELECT task, doc_id FROM samples GROUP BY task, doc_id HAVING COUNT(*) = 1)"
    )
    assert _count(results_db, per_doc) == 2 * LIMIT == _count(results_db, "SELECT COUNT(*) FROM samples")

    # A full run from an empty cache, then the same run again: the second asks the model nothing.
    monkeypatch.setenv("HARNESS_RESPONSE_CACHE", str(tmp_path / "fresh.sqlite"))
    first = _payload(run_harness(*_args(small_model, data), check=True).stdout)
    second = _payload(run_harness(*_args(small_model, data), check=True).stdout)
    assert first["cache"] == {"hits": 0, "computed": 2 * LIMIT}
    assert second["cache"] == {"hits": 2 * LIMIT, "computed": 0}
    assert second["results"] == first["results"]
    t1, t2 = _run_seconds(results_db, first["run_id"]), _run_seconds(results_db, second["run_id"])
    print(f"first run {t1:.1f} s, identical second run {t2:.1f} s ({t2 / t1:.1%})")
    assert t2 < 0.1 * t1


def _only_run(results_db: Path) -> tuple[str, str]:
    with closing(sqlite3.connect(results_db)) as con:
        rows = con.execute("SELECT id, status FROM runs").fetchall()
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1]


def test_resume_refuses_other_settings_and_complete_runs(tiny_model: Path) -> None:
    data = need_shared_data()
    base = ["eval", "--model", str(tiny_model), "--tasks", TASKS[0], "--data-dir", str(data), "--json"]
    done = _payload(run_harness(*base, "--limit", "2", check=True).stdout)
    again = run_harness(*base, "--limit", "2", "--resume", done["run_id"])
    assert again.returncode == 2 and "already complete" in again.stderr
    missing = run_harness(*base, "--limit", "2", "--resume", "nonexistent")
    assert missing.returncode == 2 and "no run with that id" in missing.stderr
