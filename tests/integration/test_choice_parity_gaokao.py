"""A GAOKAO-Bench single-choice task by loglikelihood (`gaokao_ll_...`) equals a plain lm-eval YAML
task over the same official file: the
YAML reads `2010-2022_Biology_MCQs.json` with lm-eval's own `json` loader and builds the official
prompt (the file's `prefix_prompt`, the stripped question, the answer slot `【答案】`) with a Jinja
template; the choices are the letters. Same requests, per-sample loglikelihoods and acc (tiny model,
one process, one model); our points are the file's 6 per right answer."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.base import TaskOptions
from tasks.gaokao.task import Gaokao
from tests.conftest import need_shared_data

LIMIT = 8
NAME = "gaokao_ll_2010-2022_biology_mcqs"
"""The loglikelihood (OpenCompass PPL) variant; the default task generates."""
PLAIN = "plain_gaokao_biology"


def plain_yaml(folder: Path, root: Path) -> None:
    """A lm-eval task over the official file, with nothing of ours."""
    keyword = "2010-2022_Biology_MCQs"
    prompts = json.loads((root / "Obj_Prompt.json").read_text(encoding="utf-8"))["examples"]
    prefix = next(e["prefix_prompt"] for e in prompts if e["keyword"] == keyword)
    config = {
        "task": PLAIN,
        "dataset_path": "json",
        "dataset_kwargs": {
            "data_files": {"test": str(root / "Objective_Questions" / f"{keyword}.json")},
            "field": "example",
        },
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": prefix + "{{question.strip()}}\n【答案】",
        "doc_to_choice": ["A", "B", "C", "D"],
        "doc_to_target": "{{answer[0]}}",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 1.0},
    }
    (folder / f"{PLAIN}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def by_doc(output: dict[str, Any], task: str) -> dict[int, dict[str, Any]]:
    return {int(s["doc_id"]): s for s in output["samples"][task]}


def test_single_choice_equals_plain_lm_eval(tiny_model: Path, tmp_path: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    root = need_shared_data() / "gaokao_bench"
    plain_yaml(tmp_path, root)
    fam = Gaokao()
    ours = fam.lm_eval_config(NAME, root, TaskOptions())
    lm = HFLM(pretrained=str(tiny_model), device="cpu", dtype="float32", batch_size=8)
    output = simple_evaluate(
        model=lm,
        tasks=[ours, PLAIN],
        limit=LIMIT,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False),
    )
    assert output is not None

    mine, plain = by_doc(output, NAME), by_doc(output, PLAIN)
    assert sorted(mine) == sorted(plain) == list(range(LIMIT))
    for doc_id, sample in mine.items():
        other = plain[doc_id]
        assert [tuple(a) for a in sample["arguments"]] == [tuple(a) for a in other["arguments"]], doc_id
        assert sample["arguments"][0][1] == " A" and sample["arguments"][0][0].endswith("\n【答案】")
        ll = [r[0][0] for r in sample["resps"]]
        assert ll == pytest.approx([r[0][0] for r in other["resps"]], abs=1e-5), doc_id
        assert sample["acc"] == other["acc"], doc_id
    assert output["results"][NAME]["acc,none"] == output["results"][PLAIN]["acc,none"]

    outcome = fam.collect(NAME, output, fam.task_info(NAME, root, TaskOptions()))
    metrics = {m.metric: m.value for m in outcome.metrics}
    right = sum(int(other["acc"]) for other in plain.values())
    assert metrics["acc"] == pytest.approx(right / LIMIT, abs=1e-12)
    assert (metrics["points"], metrics["points_available"]) == (6.0 * right, 6.0 * LIMIT)
