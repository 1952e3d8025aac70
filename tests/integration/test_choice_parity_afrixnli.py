"""AfriXNLI's F1 and accuracy of our `afrixnli_lin` equal lm-eval's own `afrixnli_lin_prompt_1`
pointed at the same local rows (tiny model, one process, one model)."""

from pathlib import Path

import pytest

from tasks.base import TaskOptions
from tasks.xnli.task import AfriXnli
from tests.conftest import need_shared_data
from tests.parity_helpers import choice_loglikelihoods, lm_eval_builtin

LIMIT = 24
LANG = "lin"


def test_afrixnli_f1_equals_lm_eval(tiny_model: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from sklearn.metrics import f1_score

    root = need_shared_data() / "afrixnli"
    fam = AfriXnli()
    name, reference = f"afrixnli_{LANG}", f"lm_eval_afrixnli_{LANG}"
    ours = fam.lm_eval_config(name, root, TaskOptions())
    ours["num_fewshot"] = 0
    theirs = lm_eval_builtin(
        f"afrixnli/direct/prompt_1/afrixnli_{LANG}.yaml",
        reference,
        {"test": str(root / LANG / "test.jsonl"), "validation": str(root / LANG / "validation.jsonl")},
    )
    lm = HFLM(pretrained=str(tiny_model), device="cpu", dtype="float32", batch_size=8)
    output = simple_evaluate(
        model=lm,
        tasks=[ours, theirs],
        limit=LIMIT,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    a, b = choice_loglikelihoods(output, name), choice_loglikelihoods(output, reference)
    assert len(a) == LIMIT and a.keys() == b.keys()
    for doc_hash, values in a.items():
        assert values == pytest.approx(b[doc_hash], abs=1e-5), doc_hash
    outcome = fam.collect(name, output, fam.task_info(name, root, TaskOptions()))
    metrics = {m.metric: m for m in outcome.metrics}
    assert metrics["acc"].value == output["results"][reference]["acc,none"]
    assert metrics["f1"].value == pytest.approx(output["results"][reference]["f1,none"], abs=1e-12)
    golds = [int(r.scores["gold"]) for r in outcome.samples]
    preds = [int(r.scores["pred"]) for r in outcome.samples]
    assert metrics["f1"].value == pytest.approx(f1_score(golds, preds, average="weighted"), abs=1e-12)
    assert sorted(golds) == sorted(s["f1"][0] for s in output["samples"][reference])
