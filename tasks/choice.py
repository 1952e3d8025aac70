"""Shared pieces of multiple-choice tasks: JSONL reading with checks, and per-sample scoring
from lm-eval's logged loglikelihoods."""

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from core.errors import HarnessError
from core.records import MetricResult, SampleRecord, TaskOutcome
from tasks.base import TaskInfo


def read_jsonl(path: Path, check: Callable[[dict[str, Any]], str | None]) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a malformed row is an error naming the file and line.

    `check(row)` returns a description of what is wrong with a row, or None.
    """
    if not path.is_file():
        raise HarnessError(f"data file missing: {path}")
    rows = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise HarnessError(
                    f"{path}:{number}: not valid UTF-8 at byte {exc.start + 1} of the line (a cut or damaged "
                    "file?); fetch the data set again (`harness data fetch`) or restore the file"
                ) from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            problem = check(row) if isinstance(row, dict) else "not a JSON object"
            if problem:
                raise HarnessError(f"{path}:{number}: {problem}")
            rows.append(row)
    return rows


def _f1_per_label(golds: Sequence[int], preds: Sequence[int]) -> dict[int, tuple[float, int]]:
    """label -> (F1, gold support) for every label seen as gold or prediction; F1 is
    2TP / (2TP + FP + FN), 0 for a label never predicted or never gold (scikit-learn's zero_division)."""
    pairs = list(zip(golds, preds, strict=True))
    out = {}
    for label in sorted(set(golds) | set(preds)):
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        out[label] = (2 * tp / (2 * tp + fp + fn), tp + fn)
    return out


def macro_f1(golds: Sequence[int], preds: Sequence[int]) -> float:
    """F1 averaged over the labels seen as gold or prediction, unweighted (scikit-learn's
    `f1_score(average="macro")`, lm-eval's kobest `macro_f1_score`)."""
    scores = _f1_per_label(golds, preds)
    return sum(f1 for f1, _ in scores.values()) / len(scores)


def weighted_f1(golds: Sequence[int], preds: Sequence[int]) -> float:
    """Per-label F1 averaged with each label's number of gold documents as its weight
    (scikit-learn's `f1_score(average="weighted")`, lm-eval's `utils.weighted_f1_score`); a label
    only ever predicted has weight 0."""
    scores = _f1_per_label(golds, preds)
    return sum(f1 * support for f1, support in scores.values()) / sum(s for _, s in scores.values())


F1_AVERAGES: dict[str, Callable[[Sequence[int], Sequence[int]], float]] = {
    "macro": macro_f1,
    "weighted": weighted_f1,
}
"""lm-eval's F1 aggregations by scikit-learn `average`."""


def _sklearn_f1(average: str, items: list[tuple[int, int]]) -> float:
    """lm-eval's aggregation of the per-document (gold, prediction) pairs: scikit-learn's f1_score.
    It runs inside lm-eval; `F1_AVERAGES` above recomputes it independently from the samples."""
    from sklearn.metrics import f1_score

    golds, preds = zip(*items, strict=True)
    return float(f1_score(golds, preds, average=average))


def macro_f1_score(items: list[tuple[int, int]]) -> float:
    return _sklearn_f1("macro", items)


def weighted_f1_score(items: list[tuple[int, int]]) -> float:
    return _sklearn_f1("weighted", items)


ACC_METRIC = {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
F1_METRICS: dict[str, dict[str, Any]] = {
    "macro": {"metric": "f1", "aggregation": macro_f1_score, "average": "macro", "higher_is_better": True},
    "weighted": {
        "metric": "f1",
        "aggregation": weighted_f1_score,
        "average": "weighted",
        "higher_is_better": True,
    },
}
"""Entries of an lm-eval `metric_list`: accuracy, and F1 by scikit-learn `average`."""


def check_engine(name: str, metric: str, output: dict[str, Any], value: float | None) -> None:
    """The one check that a metric we computed equals lm-eval's own aggregate in the same output."""
    engine = float(output["results"][name][f"{metric},none"])
    if value is None or abs(engine - value) > 1e-9:
        raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine}, harness {value}")


def mean_stderr(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and its standard error, sample standard deviation / sqrt(n) (lm-eval's `mean_stderr`)."""
    n = len(values)
    mean = sum(values) / n
    stderr = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else None
    return mean, stderr


def _argmax(values: Sequence[float]) -> int:
    """The first index of the largest value (numpy's argmax, as lm-eval uses)."""
    return max(range(len(values)), key=lambda i: values[i])


def gold_index(target: Any, choices: list[str]) -> int:
    """The gold choice of a logged sample: lm-eval logs an index, or the gold choice's text (KoBEST
    COPA), which it resolves with `choices.index` (first match); logged choices carry the
    target delimiter (a space) in front."""
    if isinstance(target, str):
        for text in (" " + target, target):
            if text in choices:
                return choices.index(text)
        raise HarnessError(f"gold {target!r} is none of the choices {choices!r}")
    return int(target)


def choice_texts(continuations: Sequence[str], delimiter: str = " ") -> list[str]:
    """The choices as `doc_to_choice` gave them: lm-eval logs each continuation with the target
    delimiter (a space by default) in front, and its `acc_norm` divides by the length without it."""
    texts = []
    for continuation in continuations:
        if not continuation.startswith(delimiter):
            raise HarnessError(
                f"continuation {continuation!r} does not start with the delimiter {delimiter!r}"
            )
        texts.append(continuation[len(delimiter) :])
    return texts


def _check_sample(name: str, s: dict[str, Any], metric: str, ours: float, gold: int) -> None:
    if float(s[metric]) != ours:
        raise HarnessError(
            f"{name} document {s['doc_id']}: lm-eval {metric} {s[metric]} but harness {ours} (gold {gold})"
        )


def choice_record(name: str, s: dict[str, Any], *, acc_norm: bool) -> SampleRecord:
    """One logged document scored from its per-choice loglikelihoods; each per-document value must
    equal the one lm-eval logged.

    `acc`: the argmax of the loglikelihoods is gold. `acc_norm` (lm-eval `ConfigurableTask.process_results`):
    the argmax of loglikelihood / `len(choice)`, the choice's length in characters (Python `len`,
    not bytes; `acc_bytes` would be bytes), the choice without the target delimiter."""
    lls = [float(resp[0][0]) for resp in s["resps"]]
    continuations = [arg[1] for arg in s["arguments"]]
    gold = gold_index(s["target"], continuations)
    pred = _argmax(lls)
    scores: dict[str, Any] = {"acc": float(pred == gold)}
    _check_sample(name, s, "acc", scores["acc"], gold)
    if acc_norm:
        lengths = [float(len(text)) for text in choice_texts(continuations)]
        pred_norm = _argmax([ll / length for ll, length in zip(lls, lengths, strict=True)])
        scores["acc_norm"] = float(pred_norm == gold)
        _check_sample(name, s, "acc_norm", scores["acc_norm"], gold)
        scores.update(pred_norm=float(pred_norm), choice_lengths=lengths)
    scores.update(pred=float(pred), gold=float(gold), loglikelihoods=lls)
    return SampleRecord(
        doc_id=int(s["doc_id"]),
        doc_hash=s["doc_hash"],
        prompt=s["arguments"][0][0],
        target=continuations[gold],
        output=continuations[pred],
        scores=scores,
    )


SIGNATURES = {
    "acc": "acc|mean|loglikelihood-argmax",
    "acc_norm": "acc_norm|mean|loglikelihood-per-char-argmax",
}


def collect_choice(
    name: str,
    output: dict[str, Any],
    info: TaskInfo,
    *,
    f1: Literal["macro", "weighted"] | None = None,
    acc_norm: bool = False,
) -> TaskOutcome:
    """Accuracy from the per-choice loglikelihoods lm-eval logged, one record per document; with
    `acc_norm`, also the length-normalised accuracy; with `f1`, also F1 over the stored predictions
    and golds, averaged as lm-eval's task does (`macro` or `weighted`, see `F1_AVERAGES`).

    Each record keeps the loglikelihood of every choice, so any later analysis (and the gate)
    works from stored numbers; lm-eval's own aggregates must equal ours (`check_engine`).
    """
    samples = sorted(
        (choice_record(name, s, acc_norm=acc_norm) for s in output["samples"][name]), key=lambda r: r.doc_id
    )
    n = len(samples)
    metrics = []
    for metric in ("acc", "acc_norm") if acc_norm else ("acc",):
        mean, stderr = mean_stderr([r.scores[metric] for r in samples])
        check_engine(name, metric, output, mean)
        metrics.append(MetricResult(name, metric, mean, stderr, n, SIGNATURES[metric]))
    if f1 is not None:
        golds = [int(r.scores["gold"]) for r in samples]
        value = F1_AVERAGES[f1](golds, [int(r.scores["pred"]) for r in samples])
        check_engine(name, "f1", output, value)
        metrics.append(MetricResult(name, "f1", value, None, n, f"f1|{f1}|loglikelihood-argmax"))
    return TaskOutcome(name, info.version, info.task_hash, metrics, samples)
