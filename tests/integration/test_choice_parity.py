"""Per-sample loglikelihoods of our multiple-choice tasks equal lm-eval's own built-in tasks
pointed at the same local rows (tiny model, in one process, one model instance)."""

from pathlib import Path

import pytest

from tasks.base import TaskOptions
from tasks.xnli.task import AfriXnli, Xnli
from tests.conftest import need_shared_data
from tests.parity_helpers import choice_loglikelihoods, lm_eval_builtin

LIMIT = 24


def test_xnli_and_afrixnli_loglikelihoods_equal_lm_eval(tiny_model: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    data = need_shared_data()
    xnli_root, afri_root = data / "xnli", data / "afrixnli"
    ours = [
        Xnli().lm_eval_config("xnli_en", xnli_root, TaskOptions(split="validation")),
        AfriXnli().lm_eval_config("afrixnli_lin", afri_root, TaskOptions(split="test")),
    ]
    theirs = [
        lm_eval_builtin(
            "xnli/xnli_en.yaml", "lm_eval_xnli_en", {"validation": str(xnli_root / "en" / "validation.jsonl")}
        ),
        lm_eval_builtin(
            "afrixnli/direct/prompt_1/afrixnli_lin.yaml",
            "lm_eval_afrixnli_lin",
            {
                "test": str(afri_root / "lin" / "test.jsonl"),
                "validation": str(afri_root / "lin" / "validation.jsonl"),
            },
        ),
    ]
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
    for mine, reference in (("xnli_en", "lm_eval_xnli_en"), ("afrixnli_lin", "lm_eval_afrixnli_lin")):
        a, b = choice_loglikelihoods(output, mine), choice_loglikelihoods(output, reference)
        assert len(a) == LIMIT and a.keys() == b.keys()
        for doc_hash, values in a.items():
            assert values == pytest.approx(b[doc_hash], abs=1e-5), (mine, doc_hash)
        assert output["results"][mine]["acc,none"] == output["results"][reference]["acc,none"]
