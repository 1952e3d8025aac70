"""`harness gate` on real stored runs of tiny models, by model name, run id and exported file."""

import json
from pathlib import Path

import pytest

from tests.conftest import need_shared_data, run_harness


@pytest.fixture(scope="module")
def other_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama-b", seed=1)


def _eval(model: Path) -> str:
    result = run_harness(
        "eval",
        "--model",
        str(model),
        "--tasks",
        "flores_lin",
        "--limit",
        "6",
        "--data-dir",
        str(need_shared_data()),
        "--json",
        check=True,
    )
    return str(json.loads(result.stdout)["run_id"])


def test_gate_two_real_runs(tiny_model: Path, other_tiny_model: Path, tmp_path: Path) -> None:
    first = _eval(tiny_model)
    other = _eval(other_tiny_model)
    again = _eval(tiny_model)

    # By model name: a readable report naming both tasks, exit 0 (pass) or 1 (regression).
    report = run_harness("gate", "--baseline", "tiny-llama", "--candidate", "tiny-llama-b")
    assert report.returncode in (0, 1), report.stderr
    for text in ("flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn", "chrf++", "95% CI", "p (Holm)"):
        assert text in report.stdout
    assert ("PASS" in report.stdout) == (report.returncode == 0)

    # The same model evaluated twice gives the same outputs: --strict passes, by run-id prefix.
    same = run_harness("gate", "--baseline", first[:8], "--candidate", again, "--strict", "--format", "json")
    assert same.returncode == 0, same.stdout + same.stderr
    assert all(t["changed_outputs"] == 0 for t in json.loads(same.stdout)["tasks"])

    # A baseline exported to a file compares like the run it came from.
    exported = run_harness("results", "--run", first, "--format", "json", "--samples", check=True).stdout
    (tmp_path / "baseline.json").write_text(exported)
    from_file = run_harness(
        "gate", "--baseline", str(tmp_path / "baseline.json"), "--candidate", other, "--format", "json"
    )
    by_name = run_harness("gate", "--baseline", first, "--candidate", other, "--format", "json")
    assert from_file.returncode == by_name.returncode
    assert [t["p_value"] for t in json.loads(from_file.stdout)["tasks"]] == [
        t["p_value"] for t in json.loads(by_name.stdout)["tasks"]
    ]
