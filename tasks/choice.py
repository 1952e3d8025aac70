"""Shared pieces of multiple-choice tasks: JSONL reading with checks, and per-sample scoring
from lm-eval's logged loglikelihoods."""

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.specs import MetricResult, SampleRecord, TaskOutcome
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


def collect_choice(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Accuracy from the per-choice loglikelihoods lm-eval logged, one record per document.

    Each record keeps the loglikelihood of every choice, so any later analysis (and the gate)
    works from stored numbers; lm-eval's own aggregate must equal the mean of ours.
    """
    logged = output["samples"][name]
    samples = []
    for s in logged:
        lls = [float(resp[0][0]) for resp in s["resps"]]
        choices = [arg[1] for arg in s["arguments"]]
        gold = int(s["target"])
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
    return TaskOutcome(name, info.version, info.task_hash, metrics, sorted(samples, key=lambda r: r.doc_id))
