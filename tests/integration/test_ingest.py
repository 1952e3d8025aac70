"""`harness ingest lm-eval` on real output of a plain `lm_eval` run in the test (tiny model)."""

import json
from pathlib import Path

import yaml

from tests.conftest import need_shared_data, run_harness
from tests.parity_helpers import PLAIN_TASK, lm_eval_command, run, write_plain_task

N = 4


def _write_mc_task(folder: Path, data: Path) -> None:
    rows = (data / "xnli" / "en" / "validation.jsonl").read_text(encoding="utf-8").splitlines()[:N]
    (folder / "plain_mc.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = {
        "task": "plain_mc",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(folder / "plain_mc.jsonl")}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "{{premise}}\nQuestion: {{hypothesis}}?\nAnswer:",
        "doc_to_choice": ["yes", "maybe", "no"],
        "doc_to_target": "label",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 2.0},
    }
    (folder / "plain_mc.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_ingest_real_lm_eval_output(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    include = write_plain_task(tmp_path / "tasks", data / "flores200", N)
    _write_mc_task(include, data)
    out = tmp_path / "lm_eval_out"
    command = lm_eval_command(str(tiny_model), include, out, 4, "cpu", "float32")
    command[command.index(PLAIN_TASK)] = f"{PLAIN_TASK},plain_mc"
    run(command, timeout=600)
    (results_file,) = out.rglob("results_*.json")
    lm = json.loads(results_file.read_text())

    first = run_harness("ingest", "lm-eval", str(out), check=True).stdout
    assert first.startswith("imported: run ") and "(tiny-llama, 2 tasks, 8 samples)" in first
    again = run_harness("ingest", "lm-eval", str(out), check=True).stdout
    assert again.startswith("already stored: run ")

    exported = json.loads(run_harness("results", "--format", "json", "--samples", check=True).stdout)
    assert len({r["run_id"] for r in exported["results"]}) == 1
    stored = {(r["task"], r["metric"]): r for r in exported["results"]}
    assert set(stored) == {(PLAIN_TASK, "chrf"), (PLAIN_TASK, "bleu"), ("plain_mc", "acc")}
    for (task, metric), row in stored.items():
        assert row["value"] == lm["results"][task][f"{metric},none"]
        assert row["stderr"] == lm["results"][task][f"{metric}_stderr,none"]
        assert row["n"] == N and row["task_hash"] == lm["task_hashes"][task]

    samples = {(s["task"], s["doc_id"]): s for s in exported["samples"]}
    assert len(samples) == 2 * N
    (mc_file,) = out.rglob("samples_plain_mc_*.jsonl")
    for line in map(json.loads, mc_file.read_text().splitlines()):
        ours = samples[("plain_mc", line["doc_id"])]
        lls = [float(r[0]) for r in line["filtered_resps"]]
        assert ours["scores"]["loglikelihoods"] == lls
        assert ours["scores"]["acc"] == line["acc"] and ours["doc_hash"] == line["doc_hash"]
        assert ours["output"] == str(lls.index(max(lls)))
    (gen_file,) = out.rglob(f"samples_{PLAIN_TASK}_*.jsonl")
    for line in map(json.loads, gen_file.read_text().splitlines()):
        ours = samples[(PLAIN_TASK, line["doc_id"])]
        assert ours["output"] == line["filtered_resps"][0] and ours["target"] == line["target"]
        assert ours["prompt"] == line["arguments"]["gen_args_0"]["arg_0"]

    # Imported runs gate like our own: the run against itself passes.
    run_id = exported["results"][0]["run_id"]
    gate = run_harness("gate", "--baseline", run_id, "--candidate", run_id, "--tasks", "plain_mc")
    assert gate.returncode == 0, gate.stdout + gate.stderr


def test_ingest_errors(tmp_path: Path) -> None:
    empty = run_harness("ingest", "lm-eval", str(tmp_path))
    assert empty.returncode == 2 and "no lm-eval results_*.json" in empty.stderr
    (tmp_path / "results_x.json").write_text("{")
    broken = run_harness("ingest", "lm-eval", str(tmp_path))
    assert broken.returncode == 2 and "results_x.json: not valid JSON" in broken.stderr
