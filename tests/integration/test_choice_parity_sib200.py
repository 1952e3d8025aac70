"""SIB-200 checked two ways on a tiny model.

- `sib200_afrobench_lin_Latn` against lm-eval's own `afrobench/sib/prompt_1/sib_lin.yaml`, pointed
  at the same local files: the same per-choice loglikelihoods document by document, the same
  accuracy and weighted F1.
- `sib200_lin` (our prompt, which lm-eval does not have) through `harness eval`: every stored
  loglikelihood recomputed directly with transformers from the prompt written out by hand, and the
  accuracy and macro-F1 recomputed from those with scikit-learn.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tasks.base import TaskOptions
from tasks.sib200.task import TOPICS, Sib200Afrobench, read_split
from tests.conftest import need_shared_data, run_harness
from tests.parity_helpers import choice_loglikelihoods, lm_eval_builtin

LANG = "lin_Latn"
PARITY_LIMIT = 60
"""The file lists the test rows by topic: the first 60 hold two topics (51 + 9), so F1 is not trivial."""
HAND_LIMIT = 8


def test_afrobench_variant_equals_lm_evals_sib_task(tiny_model: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from sklearn.metrics import f1_score

    root = need_shared_data() / "sib200"
    fam = Sib200Afrobench()
    name, reference = f"sib200_afrobench_{LANG}", "lm_eval_sib_lin_prompt_1"
    ours = fam.lm_eval_config(name, root, TaskOptions())
    ours["num_fewshot"] = 0
    theirs = lm_eval_builtin(
        "afrobench/sib/prompt_1/sib_lin.yaml",
        reference,
        {"test": str(root / LANG / "test.tsv"), "validation": str(root / LANG / "dev.tsv")},
        loader="csv",
        delimiter="\t",
    )
    lm = HFLM(pretrained=str(tiny_model), device="cpu", dtype="float32", batch_size=8)
    output = simple_evaluate(
        model=lm,
        tasks=[ours, theirs],
        limit=PARITY_LIMIT,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    a, b = choice_loglikelihoods(output, name), choice_loglikelihoods(output, reference)
    assert len(a) == PARITY_LIMIT and a.keys() == b.keys()  # the same documents, fields and values
    for doc_hash, values in a.items():
        assert len(values) == 7
        assert values == pytest.approx(b[doc_hash], abs=1e-5), doc_hash
    outcome = fam.collect(name, output, fam.task_info(name, root, TaskOptions()))
    metrics = {m.metric: m for m in outcome.metrics}
    assert metrics["acc"].value == output["results"][reference]["acc,none"]
    assert metrics["f1"].value == pytest.approx(output["results"][reference]["f1,none"], abs=1e-12)
    golds = [int(r.scores["gold"]) for r in outcome.samples]
    preds = [int(r.scores["pred"]) for r in outcome.samples]
    assert sorted(set(golds)) == [0, 1]  # science/technology and travel
    assert metrics["f1"].value == pytest.approx(f1_score(golds, preds, average="weighted"), abs=1e-12)


def _loglikelihood(model: Any, tokenizer: Any, context: str, continuation: str) -> float:
    """log P(continuation | context), tokenised as lm-eval splits a pair: the whole string encoded,
    the context's tokens cut off the front; no special tokens."""
    import torch

    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    n_context = len(tokenizer(context, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logits = model(torch.tensor([whole])).logits[0]
    logprobs = torch.log_softmax(logits.double(), dim=-1)
    return float(sum(logprobs[i - 1, whole[i]] for i in range(n_context, len(whole))))


def test_our_prompt_scores_equal_a_direct_transformers_computation(tiny_model: Path, tmp_path: Path) -> None:
    from sklearn.metrics import f1_score
    from transformers import AutoModelForCausalLM, AutoTokenizer

    data = need_shared_data()
    db = tmp_path / "sib.db"
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "sib200_lin", "--limit", str(HAND_LIMIT),
        "--data-dir", str(data), "--db", f"sqlite:///{db}", "--device", "cpu", "--no-cache", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {(r["task"], r["metric"]): r for r in json.loads(result.stdout)["results"]}
    assert set(rows) == {(f"sib200_{LANG}", "acc"), (f"sib200_{LANG}", "f1")}
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select doc_id, prompt, target, scores from samples order by doc_id").fetchall()

    # The documents: the first HAND_LIMIT test rows in FLORES order (index_id), read here by hand.
    lines = (data / "sib200" / LANG / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) == 204
    docs = sorted(read_split(data / "sib200" / LANG / "test.tsv"), key=lambda r: r["index_id"])[:HAND_LIMIT]
    assert [d["index_id"] for d in docs] == sorted(int(line.split("\t")[0]) for line in lines)[:HAND_LIMIT]
    assert len(stored) == HAND_LIMIT

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    golds, preds = [], []
    for (doc_id, prompt, target, scores), doc in zip(stored, docs, strict=True):
        context = (
            "Topic of the text, one of: science/technology, travel, politics, sports, health, "
            f"entertainment, geography.\nText: {doc['text']}\nTopic:"
        )
        assert prompt == context and target == " " + doc["category"], doc_id
        lls = [_loglikelihood(model, tokenizer, context, " " + topic) for topic in TOPICS]
        assert json.loads(scores)["loglikelihoods"] == pytest.approx(lls, abs=1e-4), doc_id
        golds.append(TOPICS.index(doc["category"]))
        preds.append(max(range(7), key=lambda i: lls[i]))
        assert json.loads(scores)["pred"] == preds[-1] and json.loads(scores)["gold"] == golds[-1]
    assert len(set(golds)) > 2  # FLORES order mixes the topics
    acc = sum(g == p for g, p in zip(golds, preds, strict=True)) / HAND_LIMIT
    assert rows[(f"sib200_{LANG}", "acc")]["value"] == pytest.approx(acc, abs=1e-12)
    assert rows[(f"sib200_{LANG}", "f1")]["value"] == pytest.approx(
        f1_score(golds, preds, average="macro"), abs=1e-12
    )
