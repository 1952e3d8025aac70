"""KoBEST (Korean Balanced Evaluation of Significant Tasks), scored by loglikelihood like lm-eval.

`kobest_boolq`, `kobest_copa`, `kobest_hellaswag`, `kobest_sentineg` and `kobest_wic` (group
`kobest`) with lm-eval's kobest prompts, choices and targets (its `kobest/*.yaml` and `utils.py`,
copied here as our own functions). Scored on `test`; few-shot examples from `train`, lm-eval's
training split (its configs name no few-shot split). Metrics: accuracy and macro-F1, and for
hellaswag also `acc_norm` (loglikelihood per character of the choice), as lm-eval's YAMLs list them.
The group `kobest` is the mean weighted by each task's number of documents (lm-eval's
`_kobest.yaml`, `weight_by_size: true`).
"""

import inspect
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import ACC_METRIC, F1_METRICS, collect_choice, read_jsonl
from tasks.kobest.source import SOURCES

VERSION = "kobest-prompt-v1"
SPLITS = ("train", "validation", "test")
TEST_SPLIT = "test"

FIELDS: dict[str, tuple[str, ...]] = {
    "boolq": ("paragraph", "question"),
    "copa": ("premise", "question", "alternative_1", "alternative_2"),
    "hellaswag": ("context", "ending_1", "ending_2", "ending_3", "ending_4"),
    "sentineg": ("sentence",),
    "wic": ("word", "context_1", "context_2"),
}
"""The text fields of each task's rows (Hugging Face `skt/kobest_v1`), besides `label`."""

LABELS: dict[str, tuple[int, ...]] = {
    "boolq": (0, 1),  # 아니오 (no), 예 (yes)
    "copa": (0, 1),  # alternative_1, alternative_2
    "hellaswag": (0, 1, 2, 3),  # ending_1 .. ending_4
    "sentineg": (0, 1),  # 부정 (negative), 긍정 (positive)
    "wic": (0, 1),  # different sense, same sense
}

COPA_QUESTIONS = ("원인", "결과")
"""COPA's questions, cause and effect (`copa_doc_to_text` maps each to its connective)."""


# lm-eval's kobest/utils.py, as our own functions.


def copa_doc_to_text(doc: dict[str, Any]) -> str:
    connector = {"원인": " 왜냐하면", "결과": " 그래서"}[doc["question"].strip()]
    return f"""{doc["premise"]} {connector}"""


def copa_doc_to_target(doc: dict[str, Any]) -> str:
    correct_choice = doc["alternative_1"] if doc["label"] == 0 else doc["alternative_2"]
    return f"""{correct_choice}"""


def copa_doc_to_choice(doc: dict[str, Any]) -> list[str]:
    return [f"""{doc["alternative_1"]}""", f"""{doc["alternative_2"]}"""]


def sentineg_doc_to_text(doc: dict[str, Any]) -> str:
    return f"""문장: {doc["sentence"]} 긍부정:"""


def wic_doc_to_text(doc: dict[str, Any]) -> str:
    return (
        f"""문장1: {doc["context_1"]} 문장2: {doc["context_2"]} """
        f"""두 문장에서 {doc["word"]}가 같은 뜻으로 쓰였나?"""
    )


def hellaswag_process_docs(dataset: Any) -> Any:
    def preprocessor(doc: dict[str, Any]) -> dict[str, Any]:
        return {
            "query": f"""문장: {doc["context"]}""",
            "choices": [doc["ending_1"], doc["ending_2"], doc["ending_3"], doc["ending_4"]],
            "gold": int(doc["label"]),
        }

    return dataset.map(preprocessor)


PROMPTS: dict[str, dict[str, Any]] = {
    "boolq": {
        "doc_to_text": "{{paragraph}} 질문: {{question}} 답변: ",
        "doc_to_target": "{{label}}",
        "doc_to_choice": ["아니오", "예"],
    },
    "copa": {
        "doc_to_text": copa_doc_to_text,
        "doc_to_target": copa_doc_to_target,
        "doc_to_choice": copa_doc_to_choice,
    },
    "hellaswag": {
        "doc_to_text": "{{query}}",
        "doc_to_target": "{{label}}",
        "process_docs": hellaswag_process_docs,
        "doc_to_choice": "choices",
    },
    "sentineg": {
        "doc_to_text": sentineg_doc_to_text,
        "doc_to_target": "{{label}}",
        "doc_to_choice": ["부정", "긍정"],
    },
    "wic": {
        "doc_to_text": wic_doc_to_text,
        "doc_to_target": "{{label}}",
        "doc_to_choice": ["아니오", "예"],
    },
}

ACC = ACC_METRIC
ACC_NORM = {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}
F1 = F1_METRICS["macro"]
METRICS: dict[str, list[dict[str, Any]]] = {
    task: [ACC, ACC_NORM, F1] if task == "hellaswag" else [ACC, F1] for task in FIELDS
}
"""Each task's lm-eval `metric_list`: `acc` and macro `f1`, and `acc_norm` for hellaswag alone."""


def row_checker(task: str) -> Callable[[dict[str, Any]], str | None]:
    """A `read_jsonl` check for one task's rows: every text field a non-empty string, a known label."""

    def check(row: dict[str, Any]) -> str | None:
        for field in FIELDS[task]:
            if not isinstance(row.get(field), str) or not row[field].strip():
                return f"field {field!r} missing or empty"
        label = row.get("label")
        if not isinstance(label, int) or isinstance(label, bool) or label not in LABELS[task]:
            allowed = ", ".join(map(str, LABELS[task]))
            return f"label {label!r} is not one of {allowed}"
        if task == "copa" and row["question"].strip() not in COPA_QUESTIONS:
            return f"question {row['question']!r} is neither 원인 (cause) nor 결과 (effect)"
        return None

    return check


def split_file(root: Path, task: str, split: str) -> Path:
    return root / task / f"{split}.jsonl"


def load_kobest(data_root: str, task: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked rows of one task, all three splits, fields in the
    Hugging Face order."""
    import datasets

    splits = {}
    for split in SPLITS:
        rows = read_jsonl(split_file(Path(data_root), task, split), row_checker(task))
        fields = [{key: row[key] for key in (*FIELDS[task], "label")} for row in rows]
        splits[split] = datasets.Dataset.from_list(fields)
    return datasets.DatasetDict(splits)


def describe(prompt: dict[str, Any]) -> dict[str, Any]:
    """The prompt with each function replaced by its source, for the task hash and the stored template."""
    return {key: inspect.getsource(value) if callable(value) else value for key, value in prompt.items()}


PROTOCOL = "lm-eval kobest: 0-shot prompts and choices of lm-eval's kobest tasks, loglikelihood"


class Kobest:
    name = "kobest"
    data_set = "kobest"
    sources = SOURCES
    discovered = False
    splits: tuple[str, ...] = ()
    version = VERSION

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return {self.name: [f"kobest_{task}" for task in FIELDS]}

    def owns(self, name: str, root: Path | None) -> bool:
        return name.removeprefix("kobest_") in FIELDS

    def task(self, name: str) -> str:
        task = name.removeprefix("kobest_")
        if task not in FIELDS:
            raise HarnessError(f"unknown KoBEST task {name!r}")
        return task

    def group_rule(self, group: str) -> GroupRule:
        return "size_weighted"  # lm-eval's _kobest.yaml: acc, acc_norm and f1 with weight_by_size

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, "kor_Hang", "acc", "acc", PROTOCOL)

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        task = self.task(name)
        files = {}
        for split in SPLITS:  # the scored split and the few-shot source
            path = split_file(root, task, split)
            if not path.is_file():
                raise HarnessError(f"data file missing: {path}")
            files[f"{task}/{split}.jsonl"] = sha256_file(path)
        prompt = describe(PROMPTS[task])
        digest = content_hash(
            {
                "version": self.version,
                "prompt": prompt,
                "split": TEST_SPLIT,
                "fewshot": "train",
                "data": files,
            }
        )
        return TaskInfo(name, self.name, self.version, digest, files, str(prompt))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        task = self.task(name)
        return {
            "task": name,
            "custom_dataset": partial(load_kobest, str(root), task),
            "training_split": "train",
            "validation_split": "validation",
            "test_split": TEST_SPLIT,
            "output_type": "multiple_choice",
            **{key: list(v) if isinstance(v, list) else v for key, v in PROMPTS[task].items()},
            "metric_list": [dict(m) for m in METRICS[task]],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        task = self.task(name)
        return collect_choice(name, output, info, f1="macro", acc_norm=ACC_NORM in METRICS[task])
