"""`bpb_*` against a plain lm-eval rolling task: the same sentences through lm-eval's own `hf` model
and a YAML task that uses no code of ours (`output_type: loglikelihood_rolling`, lm-eval's
registered `word_perplexity`, `byte_perplexity` and `bits_per_byte`), against `harness eval`
(our `harness-hf`, documents in length-sorted batches). Bits per byte, the logarithms of the two
perplexities and every document's loglikelihood agree within 1e-6 relative, for Latin, Hangul and
Han script, on the tiny model and SmolLM2-135M.
"""

import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import need_shared_data, run_harness

LANGS = ("lin_Latn", "eng_Latn", "kor_Hang", "zho_Hans")
METRICS = ("bits_per_byte", "byte_perplexity", "word_perplexity")
REL = 1e-6


def write_plain_tasks(folder: Path, flores: Path, n: int, langs: tuple[str, ...] = LANGS) -> dict[str, str]:
    """Per language, a JSONL of the first `n` devtest sentences and a plain lm-eval YAML rolling task
    over it; returns language -> task name."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for lang in langs:
        name = f"plain_rolling_{lang}"
        lines = (flores / "devtest" / f"{lang}.devtest").read_text(encoding="utf-8").split("\n")[:n]
        data = folder / f"{name}.jsonl"
        data.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in lines), "utf-8")
        config = {
            "task": name,
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "test_split": "test",
            "output_type": "loglikelihood_rolling",
            "doc_to_text": "",
            "doc_to_target": "{{text}}",
            "metric_list": [{"metric": m} for m in METRICS],
            "metadata": {"version": 1.0},
        }
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        names[lang] = name
    return names


def plain_lm_eval(model: str, folder: Path, names: dict[str, str], n: int) -> dict[str, Any]:
    """lm-eval's own `hf` model on the plain tasks (float32, CPU)."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=model, device="cpu", dtype="float32", batch_size=8)
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    output = simple_evaluate(
        model=lm,
        tasks=list(names.values()),
        limit=n,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=manager,
    )
    assert output is not None
    return output


def harness_run(model: str, data: Path, db: Path, n: int) -> dict[str, Any]:
    tasks = ",".join(f"bpb_{lang}" for lang in LANGS)
    args = ("eval", "--model", model, "--tasks", tasks, "--limit", str(n), "--data-dir", str(data))
    result = run_harness(
        *args, "--db", f"sqlite:///{db}", "--dtype", "float32", "--device", "cpu", "--no-cache", "--json"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return dict(json.loads(result.stdout))


def stored_loglikelihoods(db: Path, run_id: str, task: str) -> dict[int, float]:
    query = "SELECT doc_id, scores FROM samples WHERE run_id = ? AND task = ?"
    with closing(sqlite3.connect(db)) as con:
        rows = con.execute(query, (run_id, task)).fetchall()
    return {doc: json.loads(scores)["loglikelihood"] for doc, scores in rows}


def check_parity(model: str, tmp_path: Path, n: int) -> None:
    data = need_shared_data()
    names = write_plain_tasks(tmp_path / "plain", data / "flores200", n)
    theirs = plain_lm_eval(model, tmp_path / "plain", names, n)
    db = tmp_path / "bpb.db"
    ours = harness_run(model, data, db, n)
    values = {(r["task"], r["metric"]): r for r in ours["results"]}
    for lang, name in names.items():
        task = f"bpb_{lang}"
        for metric in METRICS:
            expected = float(theirs["results"][name][f"{metric},none"])
            row = values[(task, metric)]
            assert row["n"] == n
            # A perplexity is exp(mean nats): compared in log space, where 1e-6 relative means the
            # same as for bits per byte (exp turns an absolute 1e-6 in 420 nats into 4e-4 relative).
            got, want = (
                (row["value"], expected)
                if metric == "bits_per_byte"
                else map(math.log, (row["value"], expected))
            )
            assert math.isclose(got, want, rel_tol=REL), (task, metric, row["value"], expected)
        logged = {int(s["doc_id"]): float(s["filtered_resps"][0]) for s in theirs["samples"][name]}
        stored = stored_loglikelihoods(db, ours["run_id"], task)
        assert len(logged) == n and stored.keys() == logged.keys()
        worst = max(abs(stored[d] - logged[d]) / abs(logged[d]) for d in logged)
        assert worst <= REL, (task, worst)


def test_bpb_equals_plain_lm_eval_rolling_task_on_the_tiny_model(tiny_model: Path, tmp_path: Path) -> None:
    check_parity(str(tiny_model), tmp_path, 30)


@pytest.mark.slow
def test_bpb_equals_plain_lm_eval_rolling_task_on_smollm2(tmp_path: Path) -> None:
    from harness.engine.models import resolve_model

    check_parity(resolve_model("smollm2-135m").pretrained, tmp_path, 50)


def test_second_bpb_run_is_answered_from_the_response_cache(tiny_model: Path, tmp_path: Path) -> None:
    """`loglikelihood_rolling` goes through the response cache: the same run again computes nothing
    and stores the same numbers."""
    args = ("eval", "--model", str(tiny_model), "--tasks", "bpb_lin_Latn,bpb_zho_Hans", "--limit", "6")
    args += ("--data-dir", str(need_shared_data()), "--dtype", "float32", "--json")
    runs = []
    for i in range(2):
        result = run_harness(*args, "--db", f"sqlite:///{tmp_path / f'{i}.db'}")
        assert result.returncode == 0, result.stderr[-4000:]
        runs.append(json.loads(result.stdout))
    assert runs[0]["cache"]["computed"] == 12 and runs[1]["cache"] == {"hits": 12, "computed": 0}
    values = [{(r["task"], r["metric"]): r["value"] for r in run["results"]} for run in runs]
    assert len(values[0]) == 6 and values[0] == values[1]
