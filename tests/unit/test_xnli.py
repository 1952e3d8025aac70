"""XNLI and AfriXNLI task definitions: names, discovery from the data, bad rows."""

import json
from pathlib import Path

import pytest

from core.errors import HarnessError
from tasks.base import TaskOptions
from tasks.xnli.task import XNLI_WORDS, AfriXnli, Xnli, load_nli
from tests.conftest import need_shared_data


def test_xnli_has_fifteen_languages_and_korean() -> None:
    # The group is XNLI's 15 languages (lm-eval's `xnli` group); KorNLI's Korean is a task of its own.
    assert Xnli().groups(None)["xnli"] == [f"xnli_{lang}" for lang in XNLI_WORDS if lang != "ko"]
    assert len(Xnli().groups(None)["xnli"]) == 15 and Xnli().owns("xnli_ko", None)
    assert Xnli().groups(None)["xnli_all"] == [f"xnli_{lang}" for lang in XNLI_WORDS]
    assert len(XNLI_WORDS) == 16 and "ko" in XNLI_WORDS


def test_xnli_prompt_is_lm_evals() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    for lang in ("en", "zh", "sw"):
        theirs = load_yaml(Path(lm_eval.__file__).parent / "tasks" / "xnli" / f"xnli_{lang}.yaml")
        ours = Xnli().lm_eval_config(f"xnli_{lang}", Path("/unused"), TaskOptions())
        assert (ours["doc_to_text"], ours["doc_to_choice"]) == (
            theirs["doc_to_text"],
            theirs["doc_to_choice"],
        )


def test_afrixnli_languages_come_from_the_data(tmp_path: Path) -> None:
    real = AfriXnli().groups(need_shared_data() / "afrixnli")["afrixnli"]
    assert "afrixnli_lin" in real and len(real) == 15
    (tmp_path / "xyz").mkdir()
    (tmp_path / "xyz" / "test.jsonl").write_text("")
    assert AfriXnli().groups(tmp_path) == {"afrixnli": ["afrixnli_xyz"]}


def test_default_split_is_test_and_validation_is_offered() -> None:
    root = need_shared_data() / "xnli"
    assert Xnli().lm_eval_config("xnli_en", root, TaskOptions())["test_split"] == "test"
    assert (
        Xnli().lm_eval_config("xnli_en", root, TaskOptions(split="validation"))["test_split"] == "validation"
    )
    with pytest.raises(HarnessError, match="--split"):
        Xnli().lm_eval_config("xnli_en", root, TaskOptions(split="train"))
    a = Xnli().task_info("xnli_en", root, TaskOptions()).task_hash
    b = Xnli().task_info("xnli_en", root, TaskOptions(split="validation")).task_hash
    assert a != b


def _rows(tmp_path: Path, rows: list[str]) -> Path:
    for split in ("validation", "test"):
        (tmp_path / "en").mkdir(exist_ok=True)
        (tmp_path / "en" / f"{split}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"premise": "a", "hypothesis": "b", "label": 0})
    bad = json.dumps({"premise": "a", "hypothesis": "b", "label": 3})
    with pytest.raises(HarnessError, match=r"en/validation\.jsonl:2: unknown label 3"):
        load_nli(str(_rows(tmp_path, [good, bad])), "en")


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"validation\.jsonl:1: not valid JSON"):
        load_nli(str(_rows(tmp_path, ["{premise"])), "en")
    with pytest.raises(HarnessError, match=r"validation\.jsonl:1: field 'hypothesis' missing"):
        load_nli(str(_rows(tmp_path, [json.dumps({"premise": "a", "label": 1})])), "en")


# AfriXNLI F1: lm-eval's `afrixnli_yaml` aggregates (gold, prediction) pairs with
# `lm_eval.utils.weighted_f1_score`, scikit-learn's f1_score(average="weighted").
# Hand-computed confusion: golds 0 0 0 1 1 2, predictions 0 0 1 1 2 2.
#   label 0: TP 2, FP 0, FN 1 -> F1 4/5, support 3
#   label 1: TP 1, FP 1, FN 1 -> F1 1/2, support 2
#   label 2: TP 1, FP 1, FN 0 -> F1 2/3, support 1
#   weighted (4/5*3 + 1/2*2 + 2/3*1) / 6 = 61/90; macro (4/5 + 1/2 + 2/3) / 3 = 59/90.
GOLDS, PREDS = [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]


def test_weighted_f1_on_a_hand_computed_confusion_matrix() -> None:
    from lm_eval.utils import weighted_f1_score as lm_eval_weighted_f1

    from tasks.choice import macro_f1, weighted_f1

    assert weighted_f1(GOLDS, PREDS) == pytest.approx(61 / 90, abs=1e-12)
    assert macro_f1(GOLDS, PREDS) == pytest.approx(59 / 90, abs=1e-12)
    assert lm_eval_weighted_f1(list(zip(GOLDS, PREDS, strict=True))) == pytest.approx(61 / 90, abs=1e-12)
    # A label only ever predicted weighs 0: golds 0 0, predictions 0 1 -> label 0 F1 2/3 with weight 2.
    assert weighted_f1([0, 0], [0, 1]) == pytest.approx(2 / 3) and macro_f1([0, 0], [0, 1]) == pytest.approx(
        1 / 3
    )


def test_afrixnli_reports_lm_evals_weighted_f1_and_xnli_none() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    theirs = load_yaml(
        Path(lm_eval.__file__).parent / "tasks" / "afrixnli" / "direct" / "prompt_1" / "afrixnli_lin.yaml"
    )
    ours = AfriXnli().lm_eval_config("afrixnli_lin", Path("/unused"), TaskOptions())
    assert sorted(m["metric"] for m in ours["metric_list"]) == sorted(
        m["metric"] for m in theirs["metric_list"]
    )
    their_f1 = next(m for m in theirs["metric_list"] if m["metric"] == "f1")
    our_f1 = next(m for m in ours["metric_list"] if m["metric"] == "f1")
    assert our_f1["average"] == their_f1["average"] == "weighted"
    items = list(zip(GOLDS, PREDS, strict=True))
    assert our_f1["aggregation"](items) == their_f1["aggregation"](items)
    assert [
        m["metric"] for m in Xnli().lm_eval_config("xnli_en", Path("/unused"), TaskOptions())["metric_list"]
    ] == ["acc"]


def test_collect_checks_weighted_f1_against_lm_eval() -> None:
    from tasks.base import TaskInfo

    name = "afrixnli_lin"
    choices = [" entailment", " neutral", " contradiction"]
    samples = []
    for i, (gold, pred) in enumerate(zip(GOLDS, PREDS, strict=True)):
        lls = [-3.0, -3.0, -3.0]
        lls[pred] = -1.0
        samples.append(
            {
                "doc_id": i,
                "doc_hash": f"h{i}",
                "target": gold,
                "arguments": [("prompt", c) for c in choices],
                "resps": [[(ll, False)] for ll in lls],
                "acc": float(gold == pred),
            }
        )
    output = {"samples": {name: samples}, "results": {name: {"acc,none": 4 / 6, "f1,none": 61 / 90}}}
    info = TaskInfo(name, "afrixnli", "v", "hash", {}, "")
    outcome = AfriXnli().collect(name, output, info)
    metrics = {m.metric: m for m in outcome.metrics}
    assert (
        metrics["f1"].value == pytest.approx(61 / 90)
        and metrics["f1"].signature == "f1|weighted|loglikelihood-argmax"
    )
    output["results"][name]["f1,none"] = 59 / 90  # the macro average is not lm-eval's AfriXNLI F1
    with pytest.raises(HarnessError, match="afrixnli_lin f1: lm-eval aggregated"):
        AfriXnli().collect(name, output, info)


def test_group_rules_follow_lm_evals_group_configs() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    tasks = Path(lm_eval.__file__).parent / "tasks"
    for family, path in ((Xnli(), "xnli/_xnli.yaml"), (AfriXnli(), "afrixnli/direct/afrixnli.yaml")):
        (aggregate,) = load_yaml(tasks / path)["aggregate_metric_list"]
        assert (aggregate["metric"], aggregate["weight_by_size"]) == ("acc", True)
        assert family.group_rule(family.name) == "size_weighted"
