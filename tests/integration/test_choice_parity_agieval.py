"""Our AGIEval Gaokao tasks equal lm-eval's own built-in `agieval_gaokao_*` tasks run on rows in the
hub datasets' schema (`hails/agieval-gaokao-*`: query/choices/gold, or query/answer) that this test
writes from the same official rows with its own minimal construction: same prompts and choices,
per-sample loglikelihoods, acc and acc_norm (tiny model, one process, one model)."""

import json
from pathlib import Path
from typing import Any

import pytest

from tasks.agieval.task import Agieval
from tasks.base import TaskOptions
from tests.conftest import need_shared_data
from tests.parity_helpers import agieval_hub_rows, lm_eval_builtin

LIMIT = 12
MULTIPLE_CHOICE = ("english", "physics")  # physics rows 3 and 11 have two answers each
CLOZE = "mathcloze"


def by_hash(output: dict[str, Any], task: str) -> dict[str, dict[str, Any]]:
    return {s["doc_hash"]: s for s in output["samples"][task]}


def test_agieval_gaokao_equals_lm_eval(tiny_model: Path, tmp_path: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    root = need_shared_data() / "agieval"
    subjects = (*MULTIPLE_CHOICE, CLOZE)
    theirs = []
    for subject in subjects:
        path = tmp_path / f"gaokao-{subject}.jsonl"
        rows = agieval_hub_rows(root / "v1" / f"gaokao-{subject}.jsonl", subject, LIMIT)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        theirs.append(
            lm_eval_builtin(
                f"agieval/gaokao-{subject}.yaml", f"lm_eval_agieval_gaokao_{subject}", {"test": str(path)}
            )
        )
    fam = Agieval()
    ours = [fam.lm_eval_config(f"agieval_gaokao_{s}", root, TaskOptions()) for s in subjects]
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

    for subject in subjects:
        mine, reference = f"agieval_gaokao_{subject}", f"lm_eval_agieval_gaokao_{subject}"
        a, b = by_hash(output, mine), by_hash(output, reference)
        assert len(a) == LIMIT and a.keys() == b.keys(), mine
        for doc_hash, sample in a.items():
            other = b[doc_hash]
            assert sample["arguments"] == other["arguments"], (mine, doc_hash)
            assert sample["target"] == other["target"], (mine, doc_hash)
            if subject == CLOZE:
                assert sample["filtered_resps"] == other["filtered_resps"], (mine, doc_hash)
                assert sample["acc"] == other["acc"]
                continue
            ours_ll = [r[0][0] for r in sample["resps"]]
            assert ours_ll == pytest.approx([r[0][0] for r in other["resps"]], abs=1e-5), (mine, doc_hash)
            assert (sample["acc"], sample["acc_norm"]) == (other["acc"], other["acc_norm"]), (mine, doc_hash)
        metrics = ("acc",) if subject == CLOZE else ("acc", "acc_norm")
        for metric in metrics:
            assert output["results"][mine][f"{metric},none"] == output["results"][reference][f"{metric},none"]

        # The harness's own scoring from the stored numbers equals lm-eval's aggregate.
        outcome = fam.collect(mine, output, fam.task_info(mine, root, TaskOptions()))
        assert [m.metric for m in outcome.metrics] == list(metrics)
        for m in outcome.metrics:
            assert m.n == LIMIT
            assert m.value == pytest.approx(output["results"][mine][f"{m.metric},none"], abs=1e-12)

    physics = sorted(output["samples"]["agieval_gaokao_physics"], key=lambda s: s["doc_id"])
    assert physics[3]["target"] == [0, 3] and physics[11]["target"] == [0, 3]
    english = output["samples"]["agieval_gaokao_english"][0]
    assert english["arguments"][0][1].startswith(" (A)")  # the option string, after lm-eval's space
