"""`--data-parallel N` on the CPU: two worker processes answer exactly as one process does."""

import json
import os
import signal
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from core.errors import HarnessError
from tests.conftest import need_shared_data, run_harness

TASKS = "xnli_en,kobest_copa,flores_eng_Latn-lin_Latn"
"""XNLI (every choice after one empty context), KoBEST COPA (a context per document) and FLORES
(generation)."""


def _db() -> sqlite3.Connection:
    return sqlite3.connect(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))


def _samples(run_id: str) -> list[tuple[Any, ...]]:
    """The run's samples in the order they were stored."""
    with _db() as conn:
        rows = conn.execute(
            "select task, doc_id, doc_hash, prompt, target, output, scores from samples "
            "where run_id = ? order by id",
            (run_id,),
        ).fetchall()
    return [(*row[:-1], json.loads(row[-1])) for row in rows]


def _fingerprint(run_id: str) -> dict[str, Any]:
    with _db() as conn:
        return dict(
            json.loads(conn.execute("select fingerprint from runs where id = ?", (run_id,)).fetchone()[0])
        )


def _assert_close(a: Any, b: Any, where: str) -> None:
    """Equal, floats within 1e-6 (loglikelihoods summed in another batch)."""
    if isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= 1e-6 * max(1.0, abs(a)), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


@pytest.mark.parametrize("backend", ["hf", "hf-lm-eval"])
def test_two_workers_answer_as_one_process(
    tiny_model: Path, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = tmp_path / "responses.sqlite"
    monkeypatch.setenv("HARNESS_RESPONSE_CACHE", str(responses))
    args = ["eval", "--model", str(tiny_model), "--tasks", TASKS, "--limit", "2", "--backend", backend]
    args += ["--data-dir", str(need_shared_data()), "--batch-size", "4", "--json", "--lid-model", "none"]
    single = run_harness(*args, "--no-cache")
    assert single.returncode == 0, single.stderr[-3000:]
    parallel = run_harness(*args, "--data-parallel", "2")
    assert parallel.returncode == 0, parallel.stderr[-3000:]
    one, two = json.loads(single.stdout), json.loads(parallel.stdout)
    # cut_off: counted by one harness-hf process; several processes report it as not computed.
    cut = [r for r in two["results"] if r["metric"] == "cut_off"]
    assert [r["value"] for r in cut] == [None] and "not computed" in cut[0]["note"]
    one["results"] = [r for r in one["results"] if r["metric"] != "cut_off"]
    two["results"] = [r for r in two["results"] if r["metric"] != "cut_off"]

    # 2 XNLI documents x 3 choices, 2 COPA documents x 2 choices, 2 translations.
    assert two["cache"] == {"hits": 0, "computed": 12}
    assert [(r["task"], r["metric"]) for r in two["results"]] == [
        (r["task"], r["metric"]) for r in one["results"]
    ]
    assert len(one["results"]) == 6
    _assert_close([r["value"] for r in two["results"]], [r["value"] for r in one["results"]], "results")

    # Every sample stored the same, in the same order: prompts, outputs, loglikelihoods.
    samples_one, samples_two = _samples(one["run_id"]), _samples(two["run_id"])
    assert [(s[0], s[1]) for s in samples_one] == [(task, doc) for task in TASKS.split(",") for doc in (0, 1)]
    assert {s[-1].pop("cut_off") for s in samples_one if "cut_off" in s[-1]} <= {0.0, 1.0}  # one process only
    _assert_close(samples_two, samples_one, "samples")
    assert all(len(s[-1]["loglikelihoods"]) == 3 for s in samples_two if s[0] == "xnli_en")

    # The degree is recorded with the run (the engine), and nowhere else in its fingerprint.
    fp_one, fp_two = _fingerprint(one["run_id"]), _fingerprint(two["run_id"])
    assert "engine" not in fp_one and fp_two.pop("engine") == {"data_parallel_size": 2}
    assert fp_two == fp_one

    # Answers were cached in the parent, under the key a single-process run reads.
    from harness.engine.response_cache import ResponseCache, model_key

    key = model_key(
        ResponseCache(tmp_path / "hashes.sqlite"),
        str(tiny_model),
        None,
        "float32",
        "cpu",
        {"hf": "harness-hf", "hf-lm-eval": "lm-eval-hf"}[backend],
    )
    with sqlite3.connect(responses) as conn:
        stored = conn.execute("select model_key, count(*) from responses group by model_key").fetchall()
    assert stored == [(key, 12)]


def test_a_dead_worker_fails_the_call(tiny_model: Path, tmp_path: Path) -> None:
    """Also: what lm-eval asks of a model besides requests (chat template, tokenizer) comes from
    worker 0, as the model itself gives it."""
    import shutil

    from lm_eval.api.instance import Instance
    from transformers import AutoTokenizer

    from harness.engine.backends.parallel import DataParallelLM
    from harness.engine.models import resolve_model

    chat = tmp_path / "tiny-chat"
    shutil.copytree(tiny_model, chat)
    config = json.loads((chat / "tokenizer_config.json").read_text())
    config["chat_template"] = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    (chat / "tokenizer_config.json").write_text(json.dumps(config))

    def requests(n: int, words: int) -> list[Any]:
        return [Instance("loglikelihood", {}, (f"doc {i}: " + "word " * words, " yes"), i) for i in range(n)]

    lm = DataParallelLM(resolve_model(str(chat)), ["cpu", "cpu"], "float32", 4, True)
    try:
        turns = [{"role": "system", "content": "Translate."}, {"role": "user", "content": "Hello"}]
        expected = AutoTokenizer.from_pretrained(chat).apply_chat_template(
            turns, tokenize=False, add_generation_prompt=True
        )
        assert lm.apply_chat_template(turns) == expected == "<system>Translate.\n<user>Hello\n"
        assert lm.tokenizer_name == str(chat).replace("/", "__")
        assert lm.tok_encode("English: a") == lm.tokenizer("English: a").input_ids
        assert len(lm.loglikelihood(requests(6, 5))) == 6

        # Worker 1 killed while both are busy with a long call: the call fails, naming it.
        victim = lm.pids[1]
        threading.Timer(1.0, os.kill, (victim, signal.SIGKILL)).start()
        died = rf"worker 1 \(cpu, pid {victim}\) died \(exit code -9, killed by SIGKILL\)"
        with pytest.raises(HarnessError, match=died):
            lm.loglikelihood(requests(2000, 100))
        with pytest.raises(HarnessError, match=died):
            lm.generate_until([Instance("generate_until", {}, ("a", {"until": ["\n"]}), 0)])
    finally:
        lm.close()
    for pid in lm.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_data_parallel_is_not_for_a_served_model(tiny_model: Path) -> None:
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "flores_lin", "--bundled-sample", "--backend", "api",
        "--base-url", "http://127.0.0.1:9/v1", "--data-parallel", "2",
    )  # fmt: skip
    assert result.returncode == 2
    assert "--data-parallel is for --backend hf, hf-lm-eval or vllm, not --backend api" in result.stderr
