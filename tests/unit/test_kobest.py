"""KoBEST task definitions: names, lm-eval's prompts, bad rows, task hash; macro-F1 and string
targets in the shared multiple-choice scoring."""

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.errors import HarnessError
from tasks import registry
from tasks.base import TaskInfo, TaskOptions
from tasks.choice import collect_choice, gold_index, macro_f1
from tasks.kobest.task import FIELDS, PROMPTS, Kobest, load_kobest
from tests.conftest import SHARED_DATA, need_shared_data

TASKS = ("boolq", "copa", "hellaswag", "sentineg", "wic")


def lm_eval_yaml(task: str) -> dict[str, Any]:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    return load_yaml(Path(lm_eval.__file__).parent / "tasks" / "kobest" / f"kobest_{task}.yaml")


def test_names_and_group() -> None:
    names = [f"kobest_{t}" for t in TASKS]
    assert Kobest().groups(None) == {"kobest": names}
    assert tuple(FIELDS) == TASKS
    assert "kobest" in registry.FAMILIES and registry.family_of_name("kobest_copa") is registry.family(
        "kobest"
    )
    assert [n for n, _ in registry.expand(["kobest", "kobest_wic"], lambda _: Path("/unused"))] == names
    assert Kobest().owns("kobest_boolq", None) and not Kobest().owns("kobest_mnli", None)
    with pytest.raises(HarnessError, match="did you mean.*kobest_boolq"):
        registry.expand(["kobest_bolq"], lambda _: Path("/unused"))


def test_lm_eval_group_has_the_same_tasks() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    group = load_yaml(Path(lm_eval.__file__).parent / "tasks" / "kobest" / "_kobest.yaml")
    assert group["task"] == Kobest().groups(None)["kobest"]
    # Every metric of the group is a size-weighted mean in lm-eval, the rule Kobest declares.
    assert [(m["metric"], m["aggregation"], m["weight_by_size"]) for m in group["aggregate_metric_list"]] == [
        ("acc", "mean", True),
        ("acc_norm", "mean", True),
        ("f1", "mean", True),
    ]
    assert Kobest().group_rule("kobest") == "size_weighted"


@pytest.mark.parametrize("task", TASKS)
def test_prompt_choices_and_targets_are_lm_evals(task: str) -> None:
    """Templates equal lm-eval's YAML; our copies of its utils.py functions give what its own give
    on the first real rows."""
    import datasets

    theirs = lm_eval_yaml(task)
    ours = Kobest().lm_eval_config(f"kobest_{task}", need_shared_data() / "kobest", TaskOptions())
    for key in ("doc_to_text", "doc_to_target", "doc_to_choice", "process_docs"):
        assert (key in ours) == (key in theirs), key
    for key in ("training_split", "validation_split", "test_split", "output_type"):
        assert ours[key] == theirs[key], key
    assert "fewshot_split" not in ours and "fewshot_split" not in theirs  # few-shot from train
    assert [m["metric"] for m in ours["metric_list"]] == [m["metric"] for m in theirs["metric_list"]]
    assert [m["metric"] for m in ours["metric_list"]][-1] == "f1" and ours["metric_list"][-1][
        "average"
    ] == "macro"
    assert ("acc_norm" in [m["metric"] for m in ours["metric_list"]]) == (task == "hellaswag")

    rows = load_kobest(str(SHARED_DATA / "kobest"), task)["test"].select(range(50))
    if "process_docs" in ours:
        mine, reference = ours["process_docs"](rows), theirs["process_docs"](rows)
        assert mine.to_list() == reference.to_list()
        rows = mine
    for key in ("doc_to_text", "doc_to_target", "doc_to_choice"):
        if callable(theirs[key]):
            assert callable(ours[key]), key
            assert [ours[key](doc) for doc in rows] == [theirs[key](doc) for doc in rows], key
        else:
            assert ours[key] == theirs[key], key

    items = [(random.Random(i).randint(0, 1), random.Random(i + 7).randint(0, 1)) for i in range(40)]
    their_f1 = next(m for m in theirs["metric_list"] if m["metric"] == "f1")["aggregation"]
    assert ours["metric_list"][-1]["aggregation"](items) == their_f1(items)
    assert isinstance(rows, datasets.Dataset)


def test_boolq_prompt_keeps_lm_evals_trailing_space() -> None:
    assert PROMPTS["boolq"]["doc_to_text"] == "{{paragraph}} 질문: {{question}} 답변: "


def test_real_data_loads_with_huggingface_fields() -> None:
    dataset = load_kobest(str(need_shared_data() / "kobest"), "copa")
    assert {s: len(dataset[s]) for s in dataset} == {"train": 3076, "validation": 500, "test": 1000}
    assert list(dataset["test"][0]) == ["premise", "question", "alternative_1", "alternative_2", "label"]


def _write(root: Path, task: str, rows: list[str]) -> Path:
    (root / task).mkdir(parents=True, exist_ok=True)
    for split in ("train", "validation", "test"):
        (root / task / f"{split}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def test_label_outside_the_task_set_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"context": "c", **{f"ending_{i}": "e" for i in range(1, 5)}, "label": 3})
    bad = json.dumps({"context": "c", **{f"ending_{i}": "e" for i in range(1, 5)}, "label": 4})
    with pytest.raises(HarnessError, match=r"hellaswag/train\.jsonl:2: label 4 is not one of 0, 1, 2, 3"):
        load_kobest(str(_write(tmp_path, "hellaswag", [good, bad])), "hellaswag")
    boolean = json.dumps({"sentence": "s", "label": True})
    with pytest.raises(HarnessError, match=r"sentineg/train\.jsonl:1: label True"):
        load_kobest(str(_write(tmp_path, "sentineg", [boolean])), "sentineg")


def test_missing_field_and_bad_json_name_file_and_line(tmp_path: Path) -> None:
    rows = [json.dumps({"word": "w", "context_1": "a", "context_2": "b", "label": 0}), "{not json"]
    with pytest.raises(HarnessError, match=r"wic/train\.jsonl:2: not valid JSON"):
        load_kobest(str(_write(tmp_path, "wic", rows)), "wic")
    rows = [json.dumps({"paragraph": "p", "question": " ", "label": 1})]
    with pytest.raises(HarnessError, match=r"boolq/train\.jsonl:1: field 'question' missing or empty"):
        load_kobest(str(_write(tmp_path, "boolq", rows)), "boolq")


def test_copa_question_must_be_cause_or_effect(tmp_path: Path) -> None:
    row = {"premise": "p", "question": "이유", "alternative_1": "a", "alternative_2": "b", "label": 0}
    with pytest.raises(HarnessError, match=r"copa/train\.jsonl:1: question '이유' is neither"):
        load_kobest(str(_write(tmp_path, "copa", [json.dumps(row, ensure_ascii=False)])), "copa")


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"data file missing: .*boolq/train\.jsonl"):
        Kobest().task_info("kobest_boolq", tmp_path, TaskOptions())


def test_task_hash_follows_the_data_and_the_prompt(tmp_path: Path) -> None:
    real = need_shared_data() / "kobest"
    for task in ("boolq", "copa"):
        shutil.copytree(real / task, tmp_path / task)
    first = Kobest().task_info("kobest_boolq", tmp_path, TaskOptions())
    assert set(first.data_files) == {"boolq/train.jsonl", "boolq/validation.jsonl", "boolq/test.jsonl"}
    assert first.task_hash == Kobest().task_info("kobest_boolq", real, TaskOptions()).task_hash
    with (tmp_path / "boolq" / "train.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"paragraph": "p", "question": "q", "label": 1}) + "\n")
    assert Kobest().task_info("kobest_boolq", tmp_path, TaskOptions()).task_hash != first.task_hash
    copa = Kobest().task_info("kobest_copa", tmp_path, TaskOptions())
    assert "왜냐하면" in copa.prompt_template  # functions are hashed by their source
    assert copa.task_hash == Kobest().task_info("kobest_copa", tmp_path, TaskOptions()).task_hash


def test_data_source_entry() -> None:
    from harness.engine.data import resolve
    from tasks.kobest.task import Kobest

    [source] = Kobest().sources
    [download] = source.downloads
    assert (download.kind, download.repo) == ("hf", "skt/kobest_v1")
    # Every task's three splits (few-shot examples come from train), each pinned by its SHA-256.
    assert set(source.layout.required) == {
        f"{t}/{s}.jsonl" for t in TASKS for s in ("train", "validation", "test")
    }
    assert len(source.file_sha256) == 15
    assert resolve("kobest", need_shared_data()) == SHARED_DATA / "kobest"


def test_macro_f1_equals_scikit_learn() -> None:
    from sklearn.metrics import f1_score

    rng = random.Random(3)
    for n_labels in (2, 4):
        for size in (1, 5, 40, 333):
            golds = [rng.randrange(n_labels) for _ in range(size)]
            preds = [rng.randrange(n_labels) for _ in range(size)]
            assert macro_f1(golds, preds) == pytest.approx(f1_score(golds, preds, average="macro"), abs=1e-12)
    # A label only ever predicted, or only ever gold, counts with F1 0, as in scikit-learn.
    assert macro_f1([0, 0, 0], [0, 0, 1]) == pytest.approx(f1_score([0, 0, 0], [0, 0, 1], average="macro"))
    assert macro_f1([0, 1], [0, 0]) == pytest.approx(f1_score([0, 1], [0, 0], average="macro"))


def test_gold_may_be_the_choice_text() -> None:
    assert gold_index(1, [" a", " b"]) == 1
    assert gold_index("b", [" a", " b"]) == 1
    assert gold_index("a", [" a", " a"]) == 0  # lm-eval's choices.index: the first
    with pytest.raises(HarnessError, match="none of the choices"):
        gold_index("c", [" a", " b"])


def _sample(doc_id: int, target: Any, lls: list[float], gold: int) -> dict[str, Any]:
    pred = max(range(len(lls)), key=lambda i: lls[i])
    return {
        "doc_id": doc_id,
        "doc_hash": f"h{doc_id}",
        "target": target,
        "arguments": [("ctx", " a"), ("ctx", " b")],
        "resps": [[(ll, False)] for ll in lls],
        "acc": float(pred == gold),
        "f1": (gold, pred),
    }


def test_collect_checks_f1_against_lm_eval() -> None:
    samples = [
        _sample(0, "a", [-1.0, -2.0], 0),
        _sample(1, "b", [-1.0, -2.0], 1),
        _sample(2, "b", [-3.0, -2.0], 1),
    ]
    info = TaskInfo("kobest_copa", "kobest", "v", "hash", {}, "")
    f1 = macro_f1([0, 1, 1], [0, 0, 1])
    output = {
        "samples": {"kobest_copa": samples},
        "results": {"kobest_copa": {"acc,none": 2 / 3, "f1,none": f1}},
    }
    outcome = collect_choice("kobest_copa", output, info, f1="macro")
    assert [(m.metric, m.stderr is None) for m in outcome.metrics] == [("acc", False), ("f1", True)]
    assert outcome.metrics[1].value == f1 and outcome.samples[1].target == " b"
    output["results"]["kobest_copa"]["f1,none"] = f1 + 1e-6
    with pytest.raises(HarnessError, match="f1: lm-eval aggregated"):
        collect_choice("kobest_copa", output, info, f1="macro")
    assert [m.metric for m in collect_choice("kobest_copa", output, info).metrics] == ["acc"]


# acc_norm, lm-eval's `process_results` for multiple choice: argmax of loglikelihood / len(choice),
# the choice in characters without the target delimiter. Hand-made documents:
# doc 0: choices "가" (1 character, 3 UTF-8 bytes) and "abc" (3, 3), loglikelihoods -1.0 and -2.4, gold 1.
#   acc: argmax(-1.0, -2.4) = 0 -> 0.  acc_norm: -1.0/1 = -1.0 < -2.4/3 = -0.8 -> 1 -> 1.
#   (Per byte, -1/3 > -0.8 would pick 0; with the delimiter, -1/2 = -0.5 > -2.4/4 = -0.6 would pick 0.)
# doc 1: choices "x" and "yy", loglikelihoods -1.0 and -5.0, gold 0: acc 1, acc_norm (-1.0 > -2.5) 1.
HELLASWAG_DOCS = [
    (["가", "abc"], [-1.0, -2.4], 1, 0.0, 1.0),
    (["x", "yy"], [-1.0, -5.0], 0, 1.0, 1.0),
]


def _hellaswag_output(acc_norm: float = 1.0) -> dict[str, Any]:
    samples = [
        {
            "doc_id": i,
            "doc_hash": f"h{i}",
            "target": gold,
            "arguments": [("문장: c", " " + choice) for choice in choices],
            "resps": [[(ll, False)] for ll in lls],
            "acc": acc,
            "acc_norm": norm,
        }
        for i, (choices, lls, gold, acc, norm) in enumerate(HELLASWAG_DOCS)
    ]
    return {
        "samples": {"kobest_hellaswag": samples},
        "results": {"kobest_hellaswag": {"acc,none": 0.5, "acc_norm,none": acc_norm, "f1,none": 1 / 3}},
    }


def test_acc_norm_divides_by_characters_of_the_choice() -> None:
    info = TaskInfo("kobest_hellaswag", "kobest", "v", "hash", {}, "")
    outcome = collect_choice("kobest_hellaswag", _hellaswag_output(), info, f1="macro", acc_norm=True)
    metrics = {m.metric: m for m in outcome.metrics}
    assert [m.metric for m in outcome.metrics] == ["acc", "acc_norm", "f1"]
    # acc: 0 and 1 -> 0.5, standard error sqrt(0.5 / 2) = 0.5; acc_norm: 1 and 1 -> 1.0, error 0.
    assert (metrics["acc"].value, metrics["acc"].stderr) == (0.5, pytest.approx(0.5))
    assert (metrics["acc_norm"].value, metrics["acc_norm"].stderr, metrics["acc_norm"].n) == (1.0, 0.0, 2)
    # Golds 1, 0; predictions 0, 0: F1 of label 0 is 2/3, of label 1 is 0 -> macro 1/3.
    assert metrics["f1"].value == pytest.approx(1 / 3)
    first = outcome.samples[0].scores
    assert (first["acc"], first["acc_norm"], first["pred"], first["pred_norm"]) == (0.0, 1.0, 0.0, 1.0)
    assert first["choice_lengths"] == [1.0, 3.0]


def test_acc_norm_must_equal_lm_evals() -> None:
    info = TaskInfo("kobest_hellaswag", "kobest", "v", "hash", {}, "")
    with pytest.raises(HarnessError, match="kobest_hellaswag acc_norm: lm-eval aggregated 0.5, harness 1.0"):
        collect_choice("kobest_hellaswag", _hellaswag_output(acc_norm=0.5), info, acc_norm=True)
    output = _hellaswag_output()
    output["samples"]["kobest_hellaswag"][0]["acc_norm"] = 0.0  # what a per-byte division would give
    with pytest.raises(HarnessError, match="document 0: lm-eval acc_norm 0.0 but harness 1.0"):
        collect_choice("kobest_hellaswag", output, info, acc_norm=True)


def test_hellaswag_alone_reports_acc_norm() -> None:
    fam = Kobest()
    configs = {t: fam.lm_eval_config(f"kobest_{t}", Path("/unused"), TaskOptions()) for t in TASKS}
    assert [t for t, c in configs.items() if "acc_norm" in [m["metric"] for m in c["metric_list"]]] == [
        "hellaswag"
    ]
    meta = fam.meta("kobest_hellaswag")
    assert (meta.family, meta.language, meta.primary_metric, meta.sample_metric) == (
        "kobest",
        "kor_Hang",
        "acc",
        "acc",
    )
