"""AGIEval v1's Chinese college-entrance-exam (Gaokao) sets, scored like lm-eval's `agieval_gaokao_*`.

Tasks `agieval_gaokao_<subject>` (groups `agieval_gaokao` and `agieval`, the same nine tasks), read
from the official files `v1/gaokao-<subject>.jsonl` (fields `passage, question, options, label,
answer, other`):

- chinese, english, geography, history, biology, chemistry, physics, mathqa: multiple choice by
  loglikelihood. lm-eval's tasks read `hails/agieval-gaokao-*`, rows `query, choices, gold` made
  from these files with AGIEval's zero-shot prompt (its `src/dataset_loader.py`,
  `convert_zero_shot`); we build the same rows here (`multiple_choice_doc`). The choices are the
  official option strings as they stand (`(A)...`), `gold` the list of the label letters' indices.
  Metrics as lm-eval's `utils.process_results_mcqa`: `acc` (the top choice is one of the gold
  ones, so a multi-answer item counts as right when the model picks any one of its answers: 35
  gaokao-physics items with a list label, 7 gaokao-mathqa items whose label string holds several
  letters) and `acc_norm` (the same with each loglikelihood divided by its choice's length in
  characters), both recomputed from the stored loglikelihoods and checked against lm-eval's.
- mathcloze: greedy generation (at most 32 tokens, stop at `Q:`), scored by lm-eval's
  `utils.process_results`: the answers extracted from output and reference (last `\\boxed{}`, else
  the last `$...$`, else what follows the last `=` or the last number) are equal after AGIEval's
  (MATH's) LaTeX normalisation. Metric `acc`, as lm-eval names it.

Zero-shot, as lm-eval runs these tasks (it has no few-shot split for them); the whole file is the
`test` split.
"""

import inspect
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.agieval.source import SOURCES
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import check_engine, mean_stderr, read_jsonl

VERSION = "agieval-gaokao-prompt-v1"
SUBJECTS = (
    "chinese",
    "english",
    "geography",
    "history",
    "biology",
    "chemistry",
    "physics",
    "mathqa",
    "mathcloze",
)
"""In AGIEval's own order."""
CLOZE_SUBJECTS = ("mathcloze",)
ENGLISH_SUBJECTS = ("english",)
"""Sets that AGIEval prompts in English (its `english_qa_datasets`); the others in Chinese."""
LETTERS = "ABCDEFG"
GROUP = "agieval_gaokao"
SPLIT = "test"

GENERATION_KWARGS: dict[str, Any] = {
    "max_gen_toks": 32,
    "do_sample": False,
    "temperature": 0.0,
    "until": ["Q:"],
}
"""lm-eval's `gaokao-mathcloze.yaml`."""


def data_file(root: Path, subject: str) -> Path:
    return root / "v1" / f"gaokao-{subject}.jsonl"


# Rows: checks and the zero-shot prompt of AGIEval's dataset_loader.py (`convert_zero_shot`).


def _labels(row: dict[str, Any]) -> list[str]:
    """The answer letters: `label` is a letter, a list of letters (multi-answer items), or, in a few
    gaokao-mathqa rows, several letters in one string (`"AD"`, `"A B D"`), read as that list."""
    label = row["label"]
    if isinstance(label, list):
        return list(label)
    if isinstance(label, str):
        return [c for c in label if not c.isspace()]
    return [label]


def row_checker(subject: str) -> Callable[[dict[str, Any]], str | None]:
    """A `read_jsonl` check: a question, an optional passage, and options with label letter(s)
    (multiple choice) or an answer (cloze)."""

    def check(row: dict[str, Any]) -> str | None:
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            return "field 'question' missing or empty"
        if row.get("passage") is not None and not isinstance(row["passage"], str):
            return "field 'passage' is neither null nor a string"
        if subject in CLOZE_SUBJECTS:
            if not isinstance(row.get("answer"), str) or not row["answer"].strip():
                return "field 'answer' missing or empty"
            return None
        options = row.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= len(LETTERS):
            return f"field 'options' is not a list of 2 to {len(LETTERS)} options"
        if not all(isinstance(o, str) and o.strip() for o in options):
            return "field 'options' has an empty or non-string option"
        if "label" not in row:
            return "field 'label' missing"
        labels = _labels(row)
        allowed = LETTERS[: len(options)]
        if not labels or not all(isinstance(x, str) and len(x) == 1 and x in allowed for x in labels):
            return f"label {row['label']!r} is not a letter (or list of letters) of {', '.join(allowed)}"
        if len(set(labels)) != len(labels):
            return f"label {row['label']!r} repeats a letter"
        return None

    return check


def multiple_choice_doc(row: dict[str, Any], english: bool) -> dict[str, Any]:
    """The `query, choices, gold` row of `hails/agieval-gaokao-*`: AGIEval's zero-shot prompt (the
    passage, when there is one, runs straight into `Q: `/`问题：`), the options as choices, and
    the indices of the label letters."""
    passage = row["passage"] if row["passage"] is not None else ""
    options = " ".join(row["options"])
    last = LETTERS[len(row["options"]) - 1]
    if english:
        query = (
            f"{passage}Q: {row['question']} Answer Choices: {options}\n"
            f"A: Among A through {last}, the answer is"
        )
    else:
        query = f"{passage}问题：{row['question']} 选项：{options}\n答案：从A到{last}, 我们应选择"
    return {
        "query": query,
        "choices": list(row["options"]),
        "gold": [LETTERS.index(letter) for letter in _labels(row)],
    }


def cloze_doc(row: dict[str, Any]) -> dict[str, Any]:
    """The `query, answer` row of `hails/agieval-gaokao-mathcloze` (AGIEval's Chinese cloze prompt)."""
    passage = row["passage"] if row["passage"] is not None else ""
    return {"query": f"{passage}问题：{row['question']}\n答案：", "answer": row["answer"]}


def load_docs(data_root: str, subject: str) -> list[dict[str, Any]]:
    rows = read_jsonl(data_file(Path(data_root), subject), row_checker(subject))
    if subject in CLOZE_SUBJECTS:
        return [cloze_doc(row) for row in rows]
    return [multiple_choice_doc(row, subject in ENGLISH_SUBJECTS) for row in rows]


def load_subject(data_root: str, subject: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked rows of one set, as lm-eval's hub rows, split `test`."""
    import datasets

    return datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(load_docs(data_root, subject))})


# Scoring: lm-eval's agieval/utils.py (from AGIEval's post_process.py and MATH's
# math_equivalence.py), as our own functions with the same results.


def _argmax(values: list[float]) -> int:
    """numpy's argmax: the first of equal maxima."""
    return max(range(len(values)), key=lambda i: values[i])


def process_results_mcqa(doc: dict[str, Any], results: list[tuple[float, bool]]) -> dict[str, float]:
    lls = [float(result[0]) for result in results]
    lengths = [float(len(choice)) for choice in doc["choices"]]
    gold = doc["gold"]
    return {
        "acc": 1.0 if _argmax(lls) in gold else 0.0,
        "acc_norm": 1.0 if _argmax([ll / n for ll, n in zip(lls, lengths, strict=True)]) in gold else 0.0,
    }


def _remove_boxed(text: str | None) -> str | None:
    left = "\\boxed{"
    if text is None or not text.startswith(left) or not text.endswith("}"):
        return None
    answer = text[len(left) : -1]
    if "=" in answer:
        answer = answer.split("=")[-1].lstrip(" ")
    return answer


def _last_boxed_only_string(text: str) -> str | None:
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def _answer_with_dollar_sign(text: str) -> str | None:
    matches = re.findall(r"\$(.*)\$", text)
    if not matches:
        return None
    last: str = matches[-1]
    if "=" in last:
        last = last.split("=")[-1].lstrip(" ")
    return last


def _answer_without_dollar_sign(text: str) -> str | None:
    if "=" in text:
        last = text.split("=")[-1].lstrip(" ").rstrip(".")
        if "\\n" in last:
            last = last.split("\\n")[0]
        return last
    matches = re.findall("(?:\\$)?\\d+(?:\\.\\d+)?(?![\\w\\d])", text)
    return matches[-1] if matches else None


def parse_math_answer(text: str) -> str | None:
    """The answer in a solution: the last `\\boxed{}`, else the last `$...$`, else what follows the
    last `=` (or the last number)."""
    if "\\boxed" in text:
        return _remove_boxed(_last_boxed_only_string(text))
    answer = _answer_with_dollar_sign(text)
    if not answer:
        answer = _answer_without_dollar_sign(text)
    return answer


def _fix_fracs(text: str) -> str:
    parts = text.split("\\frac")
    out = parts[0]
    for part in parts[1:]:
        out += "\\frac"
        if part[0] == "{":  # an IndexError on `\frac` at the end, as in MATH's code
            out += part
            continue
        if len(part) < 2:
            return text
        a, b = part[0], part[1]
        if b != "{":
            out += "{" + a + "}{" + b + "}" + part[2:]
        else:
            out += "{" + a + "}" + b + part[2:]
    return out


def _fix_a_slash_b(text: str) -> str:
    if len(text.split("/")) != 2:
        return text
    a, b = text.split("/")
    try:
        numerator, denominator = int(a), int(b)
    except ValueError:
        return text
    if text != f"{numerator}/{denominator}":
        return text
    return "\\frac{" + str(numerator) + "}{" + str(denominator) + "}"


def _remove_right_units(text: str) -> str:
    if "\\text{ " in text:
        parts = text.split("\\text{ ")
        if len(parts) != 2:
            raise ValueError("more than one \\text{ unit")  # MATH's code fails an assert here
        return parts[0]
    return text


def _fix_sqrt(text: str) -> str:
    if "\\sqrt" not in text:
        return text
    parts = text.split("\\sqrt")
    out = parts[0]
    for part in parts[1:]:
        if part[0] != "{":  # an IndexError on `\sqrt` at the end, as in MATH's code
            out += "\\sqrt{" + part[0] + "}" + part[1:]
        else:
            out += "\\sqrt" + part
    return out


def _strip_string(text: str) -> str:
    """MATH's normalisation of a LaTeX answer."""
    text = text.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    text = text.replace("tfrac", "frac").replace("dfrac", "frac")
    text = text.replace("\\left", "").replace("\\right", "")
    text = text.replace("^{\\circ}", "").replace("^\\circ", "")
    text = text.replace("\\$", "")
    text = _remove_right_units(text)
    text = text.replace("\\%", "")
    text = text.replace(" .", " 0.").replace("{.", "{0.")
    if len(text) == 0:
        return text
    if text[0] == ".":
        text = "0" + text
    if len(text.split("=")) == 2 and len(text.split("=")[0]) <= 2:
        text = text.split("=")[1]
    text = _fix_sqrt(text)
    text = text.replace(" ", "")
    text = _fix_fracs(text)
    if text == "0.5":
        text = "\\frac{1}{2}"
    return _fix_a_slash_b(text)


def is_equiv(output: str | None, reference: str | None) -> bool:
    """Whether the answers extracted from two solutions are equal after normalisation; where the
    normalisation fails, whether the extracted answers are equal as they stand."""
    if output is None and reference is None:
        return True
    if output is None or reference is None:
        return False
    first, second = parse_math_answer(output), parse_math_answer(reference)
    try:
        return _strip_string(first) == _strip_string(second)  # type: ignore[arg-type]
    except Exception:  # None (nothing extracted) and MATH's own failures, as lm-eval
        return first == second


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, int]:
    return {"acc": 1 if is_equiv(results[0], doc["answer"]) else 0}


# What the runner asks of a family.

MC_METRICS: list[dict[str, Any]] = [
    {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
    {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True},
]
CLOZE_METRICS: list[dict[str, Any]] = [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}]


def prompt(subject: str) -> dict[str, Any]:
    """The lm-eval fields of a set (its YAML's, with our copy of its `utils.py` functions)."""
    if subject in CLOZE_SUBJECTS:
        return {
            "output_type": "generate_until",
            "doc_to_text": "{{query}}",
            "doc_to_target": "{{answer}}",
            "process_results": process_results,
            "generation_kwargs": {**GENERATION_KWARGS, "until": list(GENERATION_KWARGS["until"])},
            "metric_list": [dict(m) for m in CLOZE_METRICS],
        }
    return {
        "output_type": "multiple_choice",
        "doc_to_text": "{{query}}",
        "doc_to_target": "{{gold}}",
        "doc_to_choice": "{{choices}}",
        "process_results": process_results_mcqa,
        "metric_list": [dict(m) for m in MC_METRICS],
    }


def describe(subject: str) -> dict[str, Any]:
    """The prompt and the row builder, functions as their source, for the task hash and the stored
    template."""
    builder = cloze_doc if subject in CLOZE_SUBJECTS else multiple_choice_doc
    fields = {k: inspect.getsource(v) if callable(v) else v for k, v in prompt(subject).items()}
    return {
        **fields,
        "english": subject in ENGLISH_SUBJECTS,
        "row": inspect.getsource(builder),
        "checks": inspect.getsource(row_checker),
    }


def collect_multiple_choice(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """`acc` and `acc_norm` from the logged loglikelihoods and the choices' lengths, one record per
    document; each must equal lm-eval's, per document and in aggregate."""
    samples = []
    for s in output["samples"][name]:
        lls = [float(resp[0][0]) for resp in s["resps"]]
        choices = [str(c) for c in s["doc"]["choices"]]
        gold = [int(g) for g in s["doc"]["gold"]]
        lengths = [float(len(c)) for c in choices]
        pred = _argmax(lls)
        pred_norm = _argmax([ll / n for ll, n in zip(lls, lengths, strict=True)])
        scores: dict[str, Any] = {"acc": float(pred in gold), "acc_norm": float(pred_norm in gold)}
        for metric in ("acc", "acc_norm"):
            if float(s[metric]) != scores[metric]:
                raise HarnessError(
                    f"{name} document {s['doc_id']}: lm-eval {metric} {s[metric]} but harness "
                    f"{scores[metric]} (gold {gold})"
                )
        scores.update(
            pred=float(pred),
            pred_norm=float(pred_norm),
            gold=gold,
            loglikelihoods=lls,
            choice_lengths=lengths,
        )
        samples.append(
            SampleRecord(
                doc_id=int(s["doc_id"]),
                doc_hash=s["doc_hash"],
                prompt=s["arguments"][0][0],
                target="\n".join(choices[g] for g in gold),
                output=choices[pred],
                scores=scores,
            )
        )
    metrics = []
    for metric, how in (("acc", "loglikelihood-argmax"), ("acc_norm", "loglikelihood-per-char-argmax")):
        values = [r.scores[metric] for r in samples]
        mean, stderr = mean_stderr(values)
        check_engine(name, metric, output, mean)
        signature = f"{metric}|mean|{how}|any-gold"
        metrics.append(MetricResult(name, metric, mean, stderr, len(values), signature))
    return TaskOutcome(name, info.version, info.task_hash, metrics, sorted(samples, key=lambda r: r.doc_id))


def collect_cloze(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """`acc` (math equivalence of the extracted answers) per generation, equal to lm-eval's."""
    samples = []
    for s in output["samples"][name]:
        generated = str(s["filtered_resps"][0])
        reference = str(s["doc"]["answer"])
        acc = float(is_equiv(generated, reference))
        if float(s["acc"]) != acc:
            raise HarnessError(f"{name} document {s['doc_id']}: lm-eval acc {s['acc']} but harness {acc}")
        samples.append(
            SampleRecord(
                doc_id=int(s["doc_id"]),
                doc_hash=s["doc_hash"],
                prompt=s["arguments"][0][0],
                target=reference,
                output=generated,
                scores={
                    "acc": acc,
                    "extracted_output": parse_math_answer(generated),
                    "extracted_target": parse_math_answer(reference),
                },
            )
        )
    values = [r.scores["acc"] for r in samples]
    mean, stderr = mean_stderr(values)
    check_engine(name, "acc", output, mean)
    metric = MetricResult(name, "acc", mean, stderr, len(values), "acc|mean|agieval-math-equivalence")
    return TaskOutcome(name, info.version, info.task_hash, [metric], sorted(samples, key=lambda r: r.doc_id))


PROTOCOL = (
    "AGIEval v1 Gaokao sets, lm-eval agieval prompts: loglikelihood over the options;"
    " mathcloze by exact match"
)


class Agieval:
    name = "agieval"
    data_set = "agieval"
    sources = SOURCES
    discovered = False
    splits: tuple[str, ...] = ()
    version = VERSION

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        names = [f"{GROUP}_{s}" for s in SUBJECTS]
        return {self.name: names, GROUP: list(names)}

    def owns(self, name: str, root: Path | None) -> bool:
        return name.startswith(GROUP + "_") and name.removeprefix(GROUP + "_") in SUBJECTS

    def subject(self, name: str) -> str:
        if not self.owns(name, None):
            raise HarnessError(f"unknown AGIEval task {name!r}")
        return name.removeprefix(GROUP + "_")

    def group_rule(self, group: str) -> GroupRule:
        return "macro"

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(
            self.name, "eng_Latn" if name.endswith("_english") else "zho_Hans", "acc", "acc", PROTOCOL
        )

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        subject = self.subject(name)
        path = data_file(root, subject)
        if not path.is_file():
            raise HarnessError(f"data file missing: {path}")
        files = {f"v1/{path.name}": sha256_file(path)}
        described = describe(subject)
        digest = content_hash({"version": self.version, "prompt": described, "split": SPLIT, "data": files})
        return TaskInfo(name, self.name, self.version, digest, files, str(described))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        subject = self.subject(name)
        return {
            "task": name,
            "custom_dataset": partial(load_subject, str(root), subject),
            "test_split": SPLIT,
            **prompt(subject),
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        if self.subject(name) in CLOZE_SUBJECTS:
            return collect_cloze(name, output, info)
        return collect_multiple_choice(name, output, info)
