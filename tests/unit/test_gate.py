"""`harness gate` on constructed per-document data with known answers, through the real CLI."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import run_harness


def _write_run(
    path: Path, run_id: str, tasks: dict[str, list[float]], task_hash: str = "h" * 64, **extra: Any
) -> Path:
    """A results file in the format `harness results --format json --samples` writes."""
    results, samples = [], []
    for task, scores in tasks.items():
        results.append(
            {
                "run_id": run_id,
                "model": "m",
                "checkpoint": "/c",
                "status": "complete",
                "finished_at": None,
                "task": task,
                "family": "toy",
                "language": None,
                "primary_metric": extra.get("primary_metric", "acc"),
                "sample_metric": extra.get("sample_metric", "acc"),
                "protocol": "",
                "task_version": "v1",
                "task_hash": task_hash,
                "metric": "acc",
                "value": float(np.mean(scores)),
                "stderr": None,
                "n": len(scores),
                "signature": extra.get("signature", ""),
                "note": "",
            }
        )
        samples += [
            {
                "run_id": run_id,
                "task": task,
                "doc_id": i,
                "doc_hash": f"{task}-{i}",
                "target": "t",
                "output": str(int(s)),
                "scores": {"acc": s},
            }
            for i, s in enumerate(scores)
        ]
    path.write_text(json.dumps({"results": results, "samples": samples}))
    return path


def _scores(p: float, n: int, seed: int) -> list[float]:
    return np.random.default_rng(seed).binomial(1, p, n).astype(float).tolist()


def _drop(scores: list[float], fraction: float, seed: int) -> list[float]:
    """Turn a random `fraction` of the correct documents wrong."""
    rng = np.random.default_rng(seed)
    return [0.0 if s == 1.0 and rng.random() < fraction else s for s in scores]


def _churn(scores: list[float], down: int, up: int, seed: int) -> list[float]:
    """Noise: `down` right documents become wrong and `up` wrong ones become right."""
    rng = np.random.default_rng(seed)
    out = list(scores)
    right = [i for i, s in enumerate(out) if s == 1.0]
    wrong = [i for i, s in enumerate(out) if s == 0.0]
    for i in rng.choice(right, down, replace=False):
        out[i] = 0.0
    for i in rng.choice(wrong, up, replace=False):
        out[i] = 1.0
    return out


@pytest.fixture
def base_tasks() -> dict[str, list[float]]:
    return {f"toy_{k}": _scores(0.7, 2000, seed=k) for k in range(3)}


def gate(base: Path, cand: Path, *args: str) -> tuple[int, Any]:
    result = run_harness("gate", "--baseline", str(base), "--candidate", str(cand), "--format", "json", *args)
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else result.stderr


def test_identical_runs_pass(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    base = _write_run(tmp_path / "a.json", "run-a", base_tasks)
    cand = _write_run(tmp_path / "b.json", "run-b", base_tasks)
    code, report = gate(base, cand, "--strict")
    assert code == 0, report
    assert report["pass"] is True
    assert all(t["delta"] == 0 and t["p_value"] == 1.0 and t["changed_outputs"] == 0 for t in report["tasks"])


def test_large_drop_fails_with_exit_1(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    cand_tasks = dict(base_tasks, toy_1=_drop(base_tasks["toy_1"], 0.15, seed=9))  # about -10 points
    code, report = gate(
        _write_run(tmp_path / "a.json", "a", base_tasks), _write_run(tmp_path / "b.json", "b", cand_tasks)
    )
    assert code == 1
    by_task = {t["task"]: t for t in report["tasks"]}
    assert by_task["toy_1"]["failed"] and by_task["toy_1"]["delta"] < -0.08
    assert by_task["toy_1"]["p_holm"] < 0.05
    assert not by_task["toy_0"]["failed"] and not by_task["toy_2"]["failed"]
    assert report["summary"] == "REGRESSION in 1 of 3 tasks: toy_1"


def test_small_noisy_drop_passes(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    # 30 documents got worse and 24 better: a net drop of 0.3 points, well inside the noise.
    cand_tasks = dict(base_tasks, toy_0=_churn(base_tasks["toy_0"], down=30, up=24, seed=4))
    code, report = gate(
        _write_run(tmp_path / "a.json", "a", base_tasks), _write_run(tmp_path / "b.json", "b", cand_tasks)
    )
    assert code == 0, report
    toy_0 = next(t for t in report["tasks"] if t["task"] == "toy_0")
    assert toy_0["delta"] < 0 and toy_0["p_holm"] >= 0.05
    # The same drop fails with --strict, which forbids any changed output.
    code, _ = gate(
        _write_run(tmp_path / "a.json", "a", base_tasks),
        _write_run(tmp_path / "b.json", "b", cand_tasks),
        "--strict",
    )
    assert code == 1


def test_drop_within_max_drop_passes(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    cand_tasks = dict(base_tasks, toy_1=_drop(base_tasks["toy_1"], 0.15, seed=9))
    base, cand = (
        _write_run(tmp_path / "a.json", "a", base_tasks),
        _write_run(tmp_path / "b.json", "b", cand_tasks),
    )
    assert gate(base, cand, "--max-drop", "0.2")[0] == 0
    assert gate(base, cand, "--max-drop", "0.05")[0] == 1


def test_mismatched_task_hashes_exit_2(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    base = _write_run(tmp_path / "a.json", "a", base_tasks)
    cand = _write_run(tmp_path / "b.json", "b", base_tasks, task_hash="x" * 64)
    code, report = gate(base, cand)
    assert code == 2
    assert "task differs" in report["cannot_compare"]


def test_other_reasons_it_cannot_compare(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    base = _write_run(tmp_path / "a.json", "a", base_tasks)
    fewer = _write_run(tmp_path / "b.json", "b", {k: v for k, v in base_tasks.items() if k != "toy_2"})
    assert gate(base, fewer)[0] == 2 and "toy_2 missing" in gate(base, fewer)[1]["cannot_compare"]
    shorter = _write_run(tmp_path / "c.json", "c", {k: v[:-5] for k, v in base_tasks.items()})
    code, report = gate(base, shorter)
    assert code == 2 and "5 only in the baseline" in report["cannot_compare"]
    signed = _write_run(tmp_path / "d.json", "d", base_tasks, signature="other")
    assert gate(base, signed)[0] == 2
    result = run_harness("gate", "--baseline", str(base), "--candidate", "no-such-model")
    assert result.returncode == 2 and "no-such-model" in result.stderr


def test_markdown_report(tmp_path: Path, base_tasks: dict[str, list[float]]) -> None:
    cand_tasks = dict(base_tasks, toy_1=_drop(base_tasks["toy_1"], 0.15, seed=9))
    result = run_harness(
        "gate",
        "--baseline",
        str(_write_run(tmp_path / "a.json", "a", base_tasks)),
        "--candidate",
        str(_write_run(tmp_path / "b.json", "b", cand_tasks)),
        "--format",
        "markdown",
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "### harness gate: REGRESSION in 1 of 3 tasks: toy_1"
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + 3 and "**REGRESSION**" in table[3]


def _with_points(path: Path, earned: list[float]) -> Path:
    """The run as a points task (GAOKAO-Bench's shape): primary `points_rate`, each document worth
    2 points, earned as given; the gate must compare sum(points)/sum(points_available)."""
    payload = json.loads(path.read_text())
    for r in payload["results"]:
        r.update(metric="points_rate", primary_metric="points_rate", sample_metric="points/points_available")
    for s, points in zip(payload["samples"], earned, strict=True):
        s["scores"] = {"points": points, "points_available": 2.0}
    path.write_text(json.dumps(payload))
    return path


def test_a_ratio_primary_is_compared_as_the_ratio_of_sums(tmp_path: Path) -> None:
    base_points = [2.0] * 60 + [1.0] * 20 + [0.0] * 20  # 140 of 200 points: 0.70
    cand_points = [2.0] * 30 + [1.0] * 10 + [0.0] * 60  # 70 of 200 points: 0.35
    base = _with_points(_write_run(tmp_path / "a.json", "run-a", {"g": [1.0] * 100}), base_points)
    cand = _with_points(_write_run(tmp_path / "b.json", "run-b", {"g": [1.0] * 100}), cand_points)
    code, report = gate(base, cand)
    assert code == 1, report
    [task] = report["tasks"]
    assert task["metric"] == "points_rate"
    assert math.isclose(task["baseline"], 0.70) and math.isclose(task["candidate"], 0.35)
    code, _ = gate(base, base)
    assert code == 0


def test_a_file_without_primary_metrics_cannot_be_compared_unless_one_is_named(tmp_path: Path) -> None:
    scores = {"t": [1.0, 0.0] * 10}
    old = _write_run(tmp_path / "a.json", "run-a", scores)
    payload = json.loads(old.read_text())
    for r in payload["results"]:
        del r["primary_metric"], r["sample_metric"]
    old.write_text(json.dumps(payload))
    code, report = gate(old, old)
    assert code == 2 and "primary metric" in report["cannot_compare"]
    code, _ = gate(old, old, "--metric", "acc")
    assert code == 0


def _copa_like(n: int = 100) -> list[float]:
    """A baseline right on 70 of `n` documents, in a fixed order."""
    return _scores(0.7, n, seed=31)


@pytest.mark.parametrize("draw", range(6))
def test_three_of_100_worse_is_noise_whichever_three(tmp_path: Path, draw: int) -> None:
    # The case: the verdict must not depend on which 3 documents changed. Exact McNemar
    # p for 3 discordant documents, all one way, is 0.25 (scipy.stats.binomtest(0, 3).pvalue).
    from harness.analysis.gate import compare, side_from_rows

    base = _copa_like()
    right = [i for i, s in enumerate(base) if s == 1.0]
    cand = list(base)
    for i in np.random.default_rng(draw).choice(right, 3, replace=False):
        cand[i] = 0.0
    sides = []
    for name, scores in (("a", base), ("b", cand)):
        payload = json.loads(_write_run(tmp_path / f"{name}.json", name, {"kobest_copa": scores}).read_text())
        sides.append(side_from_rows(name, payload["results"], payload["samples"]))
    (v,) = compare(*sides).verdicts
    assert v.result.p_value == pytest.approx(0.25) and v.result.differing == 3
    assert v.verdict == "not enough evidence" and not v.failed
    if draw == 0:  # and through the command line
        code, report = gate(tmp_path / "a.json", tmp_path / "b.json")
        assert code == 0 and report["tasks"][0]["verdict"] == "not enough evidence", report


def test_twenty_of_100_worse_fails(tmp_path: Path) -> None:
    base = _copa_like()
    right = [i for i, s in enumerate(base) if s == 1.0]
    cand = list(base)
    for i in right[:20]:
        cand[i] = 0.0
    code, report = gate(
        _write_run(tmp_path / "a.json", "a", {"kobest_copa": base}),
        _write_run(tmp_path / "b.json", "b", {"kobest_copa": cand}),
    )
    assert code == 1, report
    (task,) = report["tasks"]
    # Exact McNemar: 2 * 0.5**20 (20 discordant documents, all one way).
    assert task["p_value"] == pytest.approx(2 * 0.5**20) and task["verdict"] == "regression"


def test_two_documents_never_fail_in_either_order(tmp_path: Path) -> None:
    # Koehn's bootstrap gave p 0.25 for one order and 0.001 for the other.
    for order, (base, cand) in enumerate((([0.0, 1.0], [0.0, 0.0]), ([1.0, 0.0], [0.0, 0.0]))):
        code, report = gate(
            _write_run(tmp_path / f"a{order}.json", "a", {"xnli_sw": base}),
            _write_run(tmp_path / f"b{order}.json", "b", {"xnli_sw": cand}),
        )
        assert code == 0, report
        assert report["tasks"][0]["p_value"] == 1.0 and report["tasks"][0]["verdict"] == "not enough evidence"
        assert report["tasks"][0]["enough_evidence"] is False
