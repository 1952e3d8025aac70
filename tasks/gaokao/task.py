"""GAOKAO-Bench objective questions (2010-2022 and the yearly updates), scored in points as
GAOKAO-Bench scores them.

Tasks come from the data (see `tasks/gaokao/data.py`): one per question file, e.g.
`gaokao_2010-2022_biology_mcqs` or `gaokao_2023_english_cloze_test`. Groups: `gaokao` (all), one per
collection (`gaokao_2010-2022`, `gaokao_2023`, ...), one per subject across collections
(`gaokao_biology`, `gaokao_math`, `gaokao_english` with every English section, ...).

Prompt: the official one, the file's `prefix_prompt` from its `Obj_Prompt.json` followed by the
question, stripped, and a newline (what `choice_test` of GAOKAO-Bench's `Bench/bench_function.py`
sends). Zero-shot; the whole file is the `test` split.

The split by question type is OpenCompass's (open-compass/opencompass
`opencompass/configs/datasets/GaokaoBench/GaokaoBench_mixed_9af5ee.py`: PPL over `【答案】{A..D}` for
single_choice, generation of at most 1024 tokens for the others):

- single_choice files: multiple choice by loglikelihood, as lm-eval scores letter-answer questions:
  after the prompt comes the answer slot `【答案】` (the official answer format, `【答案】 A <eoa>`),
  and the choices are the letters A-D after lm-eval's space. The top letter is the answer.
- multi_question_choice, multi_choice and five_out_of_seven files: greedy generation (at most 1024 new
  tokens, as OpenCompass and the official text-davinci-003 runs' `max_tokens`; no stop string but the
  model's end of text, since a multi-question answer holds several `<eoa>`), answers read with
  GAOKAO-Bench's extraction (`tasks/gaokao/scoring.py`). The model needs a window longer than 1024
  tokens (lm-eval keeps the end of a prompt that does not fit in the rest).

Every record is graded by GAOKAO-Bench's points rules. Metrics: `acc` (mean over records of the
fraction of a record's sub-questions answered exactly; for single-answer records, right or wrong),
`points` (sum of points earned), `points_available` (sum of the records' full marks) and
`points_rate` (`points / points_available`, GAOKAO-Bench's scoring rate).
"""

import inspect
import math
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.gaokao import scoring
from tasks.gaokao.data import PREFIX, PromptEntry, SourceFile, discover, prompt_entry, read_records
from tasks.gaokao.scoring import SINGLE_CHOICE, extract_answers, score_item

VERSION = "gaokao-bench-obj-v1"
SPLIT = "test"
ANSWER_SLOT = "【答案】"
CHOICES = list("ABCD")
GENERATION_KWARGS: dict[str, Any] = {
    "until": [],
    "max_gen_toks": 1024,
    "do_sample": False,
    "temperature": 0.0,
}


def build_docs(path: Path, entry: PromptEntry) -> list[dict[str, Any]]:
    """lm-eval documents of a question file: the prompt, the gold answers and the points per answer."""
    docs = []
    for index, record in enumerate(read_records(path, entry.question_type)):
        prompt = entry.prefix_prompt + record["question"].strip() + "\n"
        doc: dict[str, Any] = {
            "index": index,
            "year": str(record.get("year", "")),
            "type": entry.question_type,
            "answer": list(record["answer"]),
            "target": " ".join(record["answer"]),
            "score": float(record["score"]),
        }
        if entry.question_type == SINGLE_CHOICE:
            doc.update(query=prompt + ANSWER_SLOT, choices=CHOICES, gold=CHOICES.index(record["answer"][0]))
        else:
            doc["query"] = prompt
        docs.append(doc)
    return docs


def load_file(path: str, prompt_file: str, keyword: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: one question file's documents as split `test`."""
    import datasets

    entry = prompt_entry(Path(prompt_file), keyword, Path(path))
    return datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(build_docs(Path(path), entry))})


def _argmax(values: list[float]) -> int:
    """numpy's argmax: the first of equal maxima."""
    return max(range(len(values)), key=lambda i: values[i])


def process_results_choice(doc: dict[str, Any], results: list[tuple[float, bool]]) -> dict[str, float]:
    pred = CHOICES[_argmax([float(r[0]) for r in results])]
    item = score_item([pred], doc["answer"], doc["score"], doc["type"])
    return {"acc": item.acc, "points": item.points, "points_available": item.points_available}


def process_results_generation(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    extracted = extract_answers(results[0], doc["type"], len(doc["answer"]))
    item = score_item(extracted, doc["answer"], doc["score"], doc["type"])
    return {"acc": item.acc, "points": item.points, "points_available": item.points_available}


def total(values: list[float]) -> float:
    """lm-eval aggregation of points: their sum."""
    return float(sum(values))


METRICS: list[dict[str, Any]] = [
    {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
    {"metric": "points", "aggregation": total, "higher_is_better": True},
    {"metric": "points_available", "aggregation": total, "higher_is_better": True},
]


def prompt_fields(question_type: str) -> dict[str, Any]:
    """The lm-eval fields of a question type."""
    metrics = [dict(m) for m in METRICS]
    if question_type == SINGLE_CHOICE:
        return {
            "output_type": "multiple_choice",
            "doc_to_text": "{{query}}",
            "doc_to_target": "{{gold}}",
            "doc_to_choice": "{{choices}}",
            "process_results": process_results_choice,
            "metric_list": metrics,
        }
    return {
        "output_type": "generate_until",
        "doc_to_text": "{{query}}",
        "doc_to_target": "{{target}}",
        "process_results": process_results_generation,
        "generation_kwargs": {**GENERATION_KWARGS, "until": []},
        "metric_list": metrics,
    }


def describe(entry: PromptEntry) -> dict[str, Any]:
    """What makes a task's scores: its prompt, lm-eval fields, document builder and scoring rules
    (functions as their source), for the task hash."""
    fields: dict[str, Any] = {}
    for key, value in prompt_fields(entry.question_type).items():
        if key == "metric_list":
            value = [{k: v.__name__ if callable(v) else v for k, v in m.items()} for m in value]
        fields[key] = inspect.getsource(value) if callable(value) else value
    return {
        "type": entry.question_type,
        "prefix_prompt": entry.prefix_prompt,
        "fields": fields,
        "docs": inspect.getsource(build_docs),
        "scoring": inspect.getsource(scoring),
    }


def readable_template(entry: PromptEntry) -> str:
    if entry.question_type == SINGLE_CHOICE:
        return f"{entry.prefix_prompt}{{question}}\n{ANSWER_SLOT} {{A|B|C|D}}"
    return f"{entry.prefix_prompt}{{question}}\n"


# Collecting lm-eval's output: the per-sample scores recomputed and checked against lm-eval's.


def _check_sample(name: str, s: dict[str, Any], scores: dict[str, Any]) -> None:
    for metric in ("acc", "points", "points_available"):
        if abs(float(s[metric]) - scores[metric]) > 1e-9:
            raise HarnessError(
                f"{name} document {s['doc_id']}: lm-eval {metric} {s[metric]} but harness {scores[metric]}"
            )


def _record(name: str, s: dict[str, Any]) -> SampleRecord:
    doc = s["doc"]
    if doc["type"] == SINGLE_CHOICE:
        lls = [float(r[0][0]) for r in s["resps"]]
        output = CHOICES[_argmax(lls)]
        item = score_item([output], doc["answer"], doc["score"], doc["type"])
        details: dict[str, Any] = {"loglikelihoods": lls}
    else:
        output = str(s["filtered_resps"][0])
        item = score_item(
            extract_answers(output, doc["type"], len(doc["answer"])), doc["answer"], doc["score"], doc["type"]
        )
        details = {"graded": item.graded}
    scores: dict[str, Any] = {
        "acc": item.acc,
        "points": item.points,
        "points_available": item.points_available,
        "extracted": item.extracted,
        "gold": list(doc["answer"]),
        "right": item.right,
        "sub_questions": item.sub_questions,
        "score_per_answer": float(doc["score"]),
        **details,
    }
    _check_sample(name, s, scores)
    return SampleRecord(int(s["doc_id"]), s["doc_hash"], s["arguments"][0][0], doc["target"], output, scores)


def _stderr(values: list[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def _check_engine(name: str, metric: str, output: dict[str, Any], value: float) -> None:
    engine = float(output["results"][name][f"{metric},none"])
    if abs(engine - value) > 1e-9:
        raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine}, harness {value}")


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Per-record points and answers from lm-eval's logged samples, equal to lm-eval's per sample and
    in aggregate; `acc`, `points`, `points_available` and `points_rate`."""
    samples = sorted((_record(name, s) for s in output["samples"][name]), key=lambda r: r.doc_id)
    if not samples:
        raise HarnessError(f"{name}: lm-eval logged no samples")
    question_type = output["samples"][name][0]["doc"]["type"]
    how = (
        "loglikelihood-argmax-over-A-D"
        if question_type == SINGLE_CHOICE
        else f"greedy-generation|gaokao-bench-extraction:{question_type}"
    )
    n = len(samples)
    acc = [r.scores["acc"] for r in samples]
    earned = sum(r.scores["points"] for r in samples)
    available = sum(r.scores["points_available"] for r in samples)
    _check_engine(name, "acc", output, sum(acc) / n)
    _check_engine(name, "points", output, earned)
    _check_engine(name, "points_available", output, available)
    rule = f"gaokao-bench-points:{question_type}"
    metrics = [
        MetricResult(
            name, "acc", sum(acc) / n, _stderr(acc), n, f"acc|mean-over-records|sub-questions-exact|{how}"
        ),
        MetricResult(name, "points", earned, None, n, f"points|sum|{rule}|{how}"),
        MetricResult(name, "points_available", available, None, n, "points_available|sum|score-per-answer"),
        MetricResult(
            name,
            "points_rate",
            earned / available,
            None,
            n,
            f"points_rate|points/points_available|{rule}|{how}",
        ),
    ]
    return TaskOutcome(name, info.version, info.task_hash, metrics, samples)


PROTOCOL = (
    "GAOKAO-Bench points rules; single choice by loglikelihood (OpenCompass PPL), other types by generation"
)


class Gaokao:
    name = PREFIX
    data_set = "gaokao_bench"
    discovered = True
    splits: tuple[str, ...] = ()
    version = VERSION

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        if root is None:
            return {}
        files = discover(root)
        out: dict[str, list[str]] = {self.name: [f.task for f in files]}
        for key in ("collection", "subject"):
            for f in sorted(files, key=lambda f: getattr(f, key)):
                out.setdefault(f"{PREFIX}_{getattr(f, key)}", []).append(f.task)
        return out

    def owns(self, name: str, root: Path | None) -> bool:
        return root is not None and any(f.task == name for f in discover(root))

    def source(self, name: str, root: Path) -> SourceFile:
        for f in discover(root):
            if f.task == name:
                return f
        raise HarnessError(f"unknown GAOKAO-Bench task {name!r} (no such file under {root})")

    def group_rule(self, group: str) -> GroupRule:
        return "points_sum"  # as GAOKAO-Bench totals a paper

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(
            self.name,
            "eng_Latn" if "_english_" in name else "zho_Hans",
            "points_rate",
            "points/points_available",
            PROTOCOL,
        )

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        source = self.source(name, root)
        entry = prompt_entry(source.prompt_file, source.keyword, source.path)
        read_records(source.path, entry.question_type)  # bad records fail here, before a model loads
        files = {source.relative(p): sha256_file(p) for p in (source.path, source.prompt_file)}
        described = describe(entry)
        digest = content_hash({"version": self.version, "prompt": described, "split": SPLIT, "data": files})
        return TaskInfo(name, self.name, self.version, digest, files, readable_template(entry))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        source = self.source(name, root)
        entry = prompt_entry(source.prompt_file, source.keyword, source.path)
        return {
            "task": name,
            "custom_dataset": partial(load_file, str(source.path), str(source.prompt_file), source.keyword),
            "test_split": SPLIT,
            **prompt_fields(entry.question_type),
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)
