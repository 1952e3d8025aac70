"""Shared pieces of multiple-choice tasks: JSONL reading with checks, and per-sample scoring
from lm-eval's logged loglikelihoods."""

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
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


def macro_f1(golds: Sequence[int], preds: Sequence[int]) -> float:
    """F1 averaged over the labels seen as gold or prediction, unweighted (scikit-learn's
    `f1_score(average="macro")`, a label never predicted or never gold scoring 0)."""
    scores = []
    for label in sorted(set(golds) | set(preds)):
        tp = sum(1 for g, p in zip(golds, preds, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(golds, preds, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(golds, preds, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


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


def collect_choice(
    name: str, output: dict[str, Any], info: TaskInfo, *, with_f1: bool = False
) -> TaskOutcome:
    """Accuracy from the per-choice loglikelihoods lm-eval logged, one record per document;
    with `with_f1`, also macro-F1 over the stored predictions and golds.

    Each record keeps the loglikelihood of every choice, so any later analysis (and the gate)
    works from stored numbers; lm-eval's own aggregates must equal ours.
    """
    logged = output["samples"][name]
    samples = []
    for s in logged:
        lls = [float(resp[0][0]) for resp in s["resps"]]
        choices = [arg[1] for arg in s["arguments"]]
        gold = gold_index(s["target"], choices)
        pred = max(range(len(lls)), key=lambda i: lls[i])
        acc = float(s["acc"])
        if acc != float(pred == gold):
            raise HarnessError(
                f"{name} document {s['doc_id']}: lm-eval acc {acc} but argmax is {pred}, gold {gold}"
            )
        samples.append(
            SampleRecord(
                doc_id=int(s["doc_id"]),
                doc_hash=s["doc_hash"],
                prompt=s["arguments"][0][0],
                target=choices[gold],
                output=choices[pred],
                scores={"acc": acc, "pred": float(pred), "gold": float(gold), "loglikelihoods": lls},
            )
        )
    n = len(samples)
    values = [r.scores["acc"] for r in samples]
    mean = sum(values) / n
    stderr = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else None
    engine = float(output["results"][name]["acc,none"])
    if abs(engine - mean) > 1e-9:
        raise HarnessError(f"{name} acc: lm-eval aggregated {engine}, harness {mean}")
    metrics = [MetricResult(name, "acc", mean, stderr, n, "acc|mean|loglikelihood-argmax")]
    if with_f1:
        f1 = macro_f1([int(r.scores["gold"]) for r in samples], [int(r.scores["pred"]) for r in samples])
        engine = float(output["results"][name]["f1,none"])
        if abs(engine - f1) > 1e-9:
            raise HarnessError(f"{name} f1: lm-eval aggregated {engine}, harness {f1}")
        metrics.append(MetricResult(name, "f1", f1, None, n, "f1|macro|loglikelihood-argmax"))
    return TaskOutcome(name, info.version, info.task_hash, metrics, sorted(samples, key=lambda r: r.doc_id))
