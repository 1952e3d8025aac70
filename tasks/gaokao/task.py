"""GAOKAO-Bench objective questions (2010-2022 and the yearly updates), scored in points as
GAOKAO-Bench scores them.

Tasks come from the data (see `tasks/gaokao/data.py`), two protocols:

- `gaokao_<years>_<file>` (e.g. `gaokao_2010-2022_biology_mcqs`, `gaokao_2023_math_mcqs`): GAOKAO-Bench's
  own protocol for every question type (OpenLMLab/GAOKAO-Bench `Bench/bench_function.py`
  `choice_test`, `Models/openai_gpt4.py`): the model *generates* an answer to the file's prefix prompt
  and the question, and `extract_choice_answer` reads it (`tasks/gaokao/scoring.py`; for single choice
  the last of A-D in the output).
- `gaokao_ll_<years>_<file>`, single_choice files only: OpenCompass's PPL protocol
  (open-compass/opencompass `configs/datasets/GaokaoBench/GaokaoBench_mixed_9af5ee.py`), not
  GAOKAO-Bench's: the prompt, the answer slot `【答案】`, and the letters A-D after lm-eval's space
  scored by loglikelihood; the top letter is the answer.

Prompt (generative tasks): lm-eval's `description` is the file's `prefix_prompt` (read verbatim from
the document's `prefix` field: lm-eval takes a `description` naming a document field as that field,
anything else as a Jinja template) and the document text is the question, stripped, and a newline
(`question.strip() + '\n'`, as `choice_test` builds it). lm-eval 0.4.13 (`ConfigurableTask.
fewshot_context`, `api/utils.py`) puts the description in a `system` message and the question in a
`user` message; without a chat template it joins them with nothing between (`prefix + question`,
byte for byte the text the official non-chat path sends, text-davinci-003 and MOSS), and with
`harness eval --apply-chat-template` it renders `[system: prefix, user: question]` through the
model's template with the generation prompt (the messages the official chat path sends, gpt-3.5-turbo
and `OpenaiAPI`). Caveat of lm-eval: a template that rejects the system role makes lm-eval drop the
system message, and the prefix with it. The loglikelihood tasks keep the whole prompt in the document
text (`prefix + question.strip() + '\n【答案】'`), as OpenCompass has it.

Generation budget: greedy, at most 1024 new tokens, no stop string but the model's end of text (a
multi-question answer holds several `<eoa>`). 1024 is the only budget the official runs sent
(`max_tokens = 1024` of the text-davinci-003 calls in `bench_function.py`); the chat calls send none
(the API's default), and `OpenaiAPI`'s `max_tokens=4096` is stored but never passed. The model needs a
window longer than 1024 tokens (lm-eval keeps the end of a prompt that does not fit in the rest).

Groups (points summed, `points_rate` their ratio, as GAOKAO-Bench totals a paper): `gaokao` is the
2010-2022 paper set only (the paper's overall scoring rate); `gaokao_2010-2022` the same;
`gaokao_<year>` each update year; `gaokao_<subject>` a subject across collections (`gaokao_english`
with every English section). Each has a loglikelihood twin `gaokao_ll...` (`gaokao_ll`,
`gaokao_ll_2023`, `gaokao_ll_biology`, ...) with the `gaokao_ll_` task of every single-choice file and
the generative task of every other file: OpenCompass's mixed protocol over the same papers.

Zero-shot; the whole file is the `test` split. Every record is graded by GAOKAO-Bench's points rules.
Metrics: `acc` (mean over records of the fraction of a record's sub-questions answered exactly),
`points` (sum of points earned), `points_available` (sum of the records' full marks) and
`points_rate` (`points / points_available`, GAOKAO-Bench's scoring rate).
"""

import inspect
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, OverWindow, TaskInfo, TaskOptions
from tasks.choice import check_engine, mean_stderr
from tasks.gaokao import scoring
from tasks.gaokao.data import (
    BASE_FOLDER,
    PREFIX,
    PromptEntry,
    SourceFile,
    discover,
    prompt_entry,
    read_prompts,
    read_records,
)
from tasks.gaokao.scoring import PARTIAL_CREDIT_SUBJECTS, SINGLE_CHOICE, extract_answers, score_item
from tasks.gaokao.source import SOURCES

VERSION = "gaokao-bench-obj-v2"
SPLIT = "test"
LL_PREFIX = f"{PREFIX}_ll"
"""Name prefix of the loglikelihood (OpenCompass PPL) variant of the single-choice tasks."""
ANSWER_SLOT = "【答案】"
CHOICES = list("ABCD")
PREFIX_FIELD = "prefix"
"""The document field holding the prefix prompt; lm-eval's `description` names it."""
GENERATION_KWARGS: dict[str, Any] = {
    "until": [],
    "max_gen_toks": 1024,
    "do_sample": False,
    "temperature": 0.0,
}
PROTOCOLS = {
    False: "GAOKAO-Bench official: greedy generation (prefix prompt as system turn), extract_choice_answer, "
    "OBJ_score_evaluation points",
    True: "OpenCompass GaokaoBench PPL: single choice by loglikelihood over 【答案】 A-D, not GAOKAO-Bench's "
    "generative protocol; OBJ_score_evaluation points",
}


@dataclass(frozen=True)
class TaskSource:
    """A task: its question file and whether it is the loglikelihood variant."""

    file: SourceFile
    loglikelihood: bool


def ll_name(task: str) -> str:
    """The loglikelihood variant's name of a default task (`gaokao_x` -> `gaokao_ll_x`)."""
    return f"{LL_PREFIX}_{task.removeprefix(PREFIX + '_')}"


def _single_choice(files: list[SourceFile]) -> set[str]:
    """Tasks whose prompt entry says single_choice; a prompt file that cannot be read lists none (its
    tasks fail with the reason when they are run or shown)."""
    out: set[str] = set()
    for prompt_file in {f.prompt_file for f in files}:
        try:
            entries = read_prompts(prompt_file)
        except HarnessError:
            continue
        out |= {
            f.task
            for f in files
            if f.prompt_file == prompt_file
            and f.keyword in entries
            and entries[f.keyword].question_type == SINGLE_CHOICE
        }
    return out


def catalogue(root: Path) -> dict[str, TaskSource]:
    """Every task of the data under `root`: one per file, and a `gaokao_ll_` one per single-choice file."""
    files = discover(root)
    out = {f.task: TaskSource(f, False) for f in files}
    single = _single_choice(files)
    out |= {ll_name(f.task): TaskSource(f, True) for f in files if f.task in single}
    return out


def build_docs(path: Path, entry: PromptEntry, subject: str, loglikelihood: bool) -> list[dict[str, Any]]:
    """lm-eval documents of a question file: the question (the whole prompt for the loglikelihood
    variant), the prefix prompt, the gold answers and the points per answer."""
    docs = []
    for index, record in enumerate(read_records(path, entry.question_type)):
        question = record["question"].strip() + "\n"
        doc: dict[str, Any] = {
            "index": index,
            "year": str(record.get("year", "")),
            "type": entry.question_type,
            "subject": subject,
            "loglikelihood": loglikelihood,
            PREFIX_FIELD: entry.prefix_prompt,
            "answer": list(record["answer"]),
            "target": " ".join(record["answer"]),
            "score": float(record["score"]),
        }
        if loglikelihood:
            query = entry.prefix_prompt + question + ANSWER_SLOT
            doc.update(query=query, choices=CHOICES, gold=CHOICES.index(record["answer"][0]))
        else:
            doc["query"] = question
        docs.append(doc)
    return docs


def load_file(path: str, prompt_file: str, keyword: str, subject: str, loglikelihood: bool, **_: Any) -> Any:
    """lm-eval `custom_dataset`: one question file's documents as split `test`."""
    import datasets

    entry = prompt_entry(Path(prompt_file), keyword, Path(path))
    docs = build_docs(Path(path), entry, subject, loglikelihood)
    return datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(docs)})


def _argmax(values: list[float]) -> int:
    """numpy's argmax: the first of equal maxima."""
    return max(range(len(values)), key=lambda i: values[i])


def process_results_choice(doc: dict[str, Any], results: list[tuple[float, bool]]) -> dict[str, float]:
    pred = CHOICES[_argmax([float(r[0]) for r in results])]
    item = score_item([pred], doc["answer"], doc["score"], doc["subject"])
    return {"acc": item.acc, "points": item.points, "points_available": item.points_available}


def process_results_generation(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    extracted = extract_answers(results[0], doc["type"], len(doc["answer"]))
    item = score_item(extracted, doc["answer"], doc["score"], doc["subject"])
    return {"acc": item.acc, "points": item.points, "points_available": item.points_available}


def total(values: list[float]) -> float:
    """lm-eval aggregation of points: their sum."""
    return float(sum(values))


METRICS: list[dict[str, Any]] = [
    {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
    {"metric": "points", "aggregation": total, "higher_is_better": True},
    {"metric": "points_available", "aggregation": total, "higher_is_better": True},
]


def prompt_fields(loglikelihood: bool) -> dict[str, Any]:
    """The lm-eval fields of a protocol."""
    metrics = [dict(m) for m in METRICS]
    if loglikelihood:
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
        "description": PREFIX_FIELD,
        "doc_to_text": "{{query}}",
        "doc_to_target": "{{target}}",
        "process_results": process_results_generation,
        "generation_kwargs": {**GENERATION_KWARGS, "until": []},
        "metric_list": metrics,
    }


def describe(entry: PromptEntry, subject: str, loglikelihood: bool) -> dict[str, Any]:
    """What makes a task's scores: its prompt, lm-eval fields, document builder and scoring rules
    (functions as their source), for the task hash."""
    fields: dict[str, Any] = {}
    for key, value in prompt_fields(loglikelihood).items():
        if key == "metric_list":
            value = [{k: v.__name__ if callable(v) else v for k, v in m.items()} for m in value]
        fields[key] = inspect.getsource(value) if callable(value) else value
    return {
        "type": entry.question_type,
        "subject": subject,
        "prefix_prompt": entry.prefix_prompt,
        "fields": fields,
        "docs": inspect.getsource(build_docs),
        "scoring": inspect.getsource(scoring),
    }


def readable_template(entry: PromptEntry, loglikelihood: bool) -> str:
    if loglikelihood:
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
    if doc["loglikelihood"]:
        lls = [float(r[0][0]) for r in s["resps"]]
        output = CHOICES[_argmax(lls)]
        item = score_item([output], doc["answer"], doc["score"], doc["subject"])
        details: dict[str, Any] = {"loglikelihoods": lls}
    else:
        output = str(s["filtered_resps"][0])
        extracted = extract_answers(output, doc["type"], len(doc["answer"]))
        item = score_item(extracted, doc["answer"], doc["score"], doc["subject"])
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


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Per-record points and answers from lm-eval's logged samples, equal to lm-eval's per sample and
    in aggregate; `acc`, `points`, `points_available` and `points_rate`."""
    samples = sorted((_record(name, s) for s in output["samples"][name]), key=lambda r: r.doc_id)
    if not samples:
        raise HarnessError(f"{name}: lm-eval logged no samples")
    doc = output["samples"][name][0]["doc"]
    question_type = doc["type"]
    how = (
        "loglikelihood-argmax-over-A-D"
        if doc["loglikelihood"]
        else f"greedy-generation|gaokao-bench-extraction:{question_type}"
    )
    n = len(samples)
    acc, acc_stderr = mean_stderr([r.scores["acc"] for r in samples])
    earned = sum(r.scores["points"] for r in samples)
    available = sum(r.scores["points_available"] for r in samples)
    check_engine(name, "acc", output, acc)
    check_engine(name, "points", output, earned)
    check_engine(name, "points_available", output, available)
    partial_credit = "|half-credit-partly-right" if doc["subject"] in PARTIAL_CREDIT_SUBJECTS else ""
    rule = f"gaokao-bench-points:{question_type}{partial_credit}"
    metrics = [
        MetricResult(name, "acc", acc, acc_stderr, n, f"acc|mean-over-records|sub-questions-exact|{how}"),
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


def _groups(root: Path) -> dict[str, list[str]]:
    """The default protocol's groups: the paper set, each collection, each subject."""
    files = discover(root)
    out: dict[str, list[str]] = {PREFIX: [f.task for f in files if f.path.parent == root / BASE_FOLDER]}
    for key in ("collection", "subject"):
        for f in sorted(files, key=lambda f: getattr(f, key)):
            out.setdefault(f"{PREFIX}_{getattr(f, key)}", []).append(f.task)
    return out


class Gaokao:
    name = PREFIX
    data_set = "gaokao_bench"
    sources = SOURCES
    discovered = True
    splits: tuple[str, ...] = ()
    version = VERSION
    over_window: OverWindow = "refuse"
    """GAOKAO-Bench's 1024-token budget is its protocol (multi-question answers run long): a model
    whose window cannot hold it is refused, not run on a shorter budget."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        if root is None:
            return {}
        default = _groups(root)
        tasks = catalogue(root)
        twins = {
            LL_PREFIX + group.removeprefix(PREFIX): [
                ll_name(t) if ll_name(t) in tasks else t for t in members
            ]
            for group, members in default.items()
        }
        return default | twins

    def owns(self, name: str, root: Path | None) -> bool:
        return root is not None and name in catalogue(root)

    def source(self, name: str, root: Path) -> TaskSource:
        tasks = catalogue(root)
        if name not in tasks:
            raise HarnessError(f"unknown GAOKAO-Bench task {name!r} (no such file under {root})")
        return tasks[name]

    def group_rule(self, group: str) -> GroupRule:
        return "points_sum"  # as GAOKAO-Bench totals a paper

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(
            self.name,
            "eng_Latn" if "_english_" in name else "zho_Hans",
            "points_rate",
            "points/points_available",
            PROTOCOLS[name.startswith(LL_PREFIX + "_")],
        )

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        source = self.source(name, root)
        f = source.file
        entry = prompt_entry(f.prompt_file, f.keyword, f.path)
        read_records(f.path, entry.question_type)  # bad records fail here, before a model loads
        files = {f.relative(p): sha256_file(p) for p in (f.path, f.prompt_file)}
        described = describe(entry, f.subject, source.loglikelihood)
        digest = content_hash({"version": self.version, "prompt": described, "split": SPLIT, "data": files})
        return TaskInfo(
            name, self.name, self.version, digest, files, readable_template(entry, source.loglikelihood)
        )

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        source = self.source(name, root)
        f = source.file
        loader = partial(
            load_file, str(f.path), str(f.prompt_file), f.keyword, f.subject, source.loglikelihood
        )
        return {
            "task": name,
            "custom_dataset": loader,
            "test_split": SPLIT,
            **prompt_fields(source.loglikelihood),
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)
