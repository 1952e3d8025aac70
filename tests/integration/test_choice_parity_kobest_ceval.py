"""Per-sample loglikelihoods, accuracy, KoBEST's macro-F1 and hellaswag's acc_norm of our KoBEST and
C-Eval tasks equal lm-eval's own built-in tasks pointed at the same local rows (tiny model, one
process, one model)."""

from pathlib import Path

import pytest

from core.records import TaskOutcome
from tasks.base import TaskOptions
from tasks.ceval.task import Ceval
from tasks.kobest.task import Kobest
from tests.conftest import need_shared_data
from tests.parity_helpers import choice_loglikelihoods, lm_eval_builtin

LIMIT = 16
KOBEST = ("boolq", "copa", "hellaswag")
SUBJECT = "high_school_biology"  # row 15 has options with leading spaces


def test_kobest_and_ceval_loglikelihoods_equal_lm_eval(tiny_model: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    data = need_shared_data()
    kobest_root, ceval_root = data / "kobest", data / "ceval"
    ours = [Kobest().lm_eval_config(f"kobest_{t}", kobest_root, TaskOptions()) for t in KOBEST]
    ours.append(Ceval().lm_eval_config(f"ceval_{SUBJECT}", ceval_root, TaskOptions()))
    for config in ours:
        config["num_fewshot"] = 0
    theirs = [
        lm_eval_builtin(
            f"kobest/kobest_{t}.yaml",
            f"lm_eval_kobest_{t}",
            {
                "test": str(kobest_root / t / "test.jsonl"),
                "validation": str(kobest_root / t / "validation.jsonl"),
            },
        )
        for t in KOBEST
    ]
    theirs.append(
        lm_eval_builtin(
            f"ceval/ceval-valid_{SUBJECT}.yaml",
            f"lm_eval_ceval_{SUBJECT}",
            {
                "val": str(ceval_root / "val" / f"{SUBJECT}_val.csv"),
                "dev": str(ceval_root / "dev" / f"{SUBJECT}_dev.csv"),
            },
            loader="csv",
            # dev has an `explanation` column too; the csv loader wants one set of columns.
            usecols=["id", "question", "A", "B", "C", "D", "answer"],
        )
    )
    lm = HFLM(pretrained=str(tiny_model), device="cpu", dtype="float32", batch_size=8)
    output = simple_evaluate(
        model=lm,
        tasks=ours + theirs,
        limit=LIMIT,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    pairs = [(f"kobest_{t}", f"lm_eval_kobest_{t}") for t in KOBEST]
    pairs.append((f"ceval_{SUBJECT}", f"lm_eval_ceval_{SUBJECT}"))
    for mine, reference in pairs:
        a, b = choice_loglikelihoods(output, mine), choice_loglikelihoods(output, reference)
        assert len(a) == LIMIT and a.keys() == b.keys(), mine
        for doc_hash, values in a.items():
            assert values == pytest.approx(b[doc_hash], abs=1e-5), (mine, doc_hash)
        assert output["results"][mine]["acc,none"] == output["results"][reference]["acc,none"]
        prompts = {s["doc_hash"]: s["arguments"] for s in output["samples"][mine]}
        assert prompts == {s["doc_hash"]: s["arguments"] for s in output["samples"][reference]}, mine

    for t in KOBEST:  # lm-eval's sklearn macro-F1 equals ours, over the stored golds and predictions
        name = f"kobest_{t}"
        assert output["results"][name]["f1,none"] == pytest.approx(
            output["results"][f"lm_eval_{name}"]["f1,none"], abs=1e-12
        )
        fam = Kobest()
        outcome: TaskOutcome = fam.collect(name, output, fam.task_info(name, kobest_root, TaskOptions()))
        metrics = {m.metric: m for m in outcome.metrics}
        assert metrics["f1"].value == pytest.approx(output["results"][name]["f1,none"], abs=1e-9)
        assert metrics["f1"].stderr is None and metrics["acc"].n == LIMIT
        assert [int(r.scores["gold"]) for r in outcome.samples] == [
            s["f1"][0] for s in sorted(output["samples"][name], key=lambda s: s["doc_id"])
        ]
    # hellaswag's acc_norm: ours from the stored loglikelihoods and choice lengths, lm-eval's built-in task's.
    name = "kobest_hellaswag"
    fam = Kobest()
    outcome = fam.collect(name, output, fam.task_info(name, kobest_root, TaskOptions()))
    acc_norm = next(m for m in outcome.metrics if m.metric == "acc_norm")
    assert acc_norm.value == pytest.approx(output["results"][f"lm_eval_{name}"]["acc_norm,none"], abs=1e-12)
    theirs_norm = {s["doc_hash"]: s["acc_norm"] for s in output["samples"][f"lm_eval_{name}"]}
    assert {r.doc_hash: r.scores["acc_norm"] for r in outcome.samples} == theirs_norm
    assert [m.metric for m in outcome.metrics] == ["acc", "acc_norm", "f1"]
    # The tiny model's choices must not make acc_norm trivially equal to acc on every document.
    assert any(r.scores["pred"] != r.scores["pred_norm"] for r in outcome.samples)
    name = f"ceval_{SUBJECT}"
    outcome = Ceval().collect(name, output, Ceval().task_info(name, ceval_root, TaskOptions()))
    assert [m.metric for m in outcome.metrics] == ["acc"]
    assert outcome.metrics[0].value == output["results"][name]["acc,none"]
