"""`harness ingest lm-eval DIR`: import lm-eval's `results_*.json` and `samples_*.jsonl`.

Each results file becomes one complete run (its id derived from the file's content, so
importing the same output twice adds nothing). Task versions, lm-eval's task hashes, every
reported metric with its stderr, and each logged sample (prompt, target, output, numeric
per-sample scores, per-choice loglikelihoods) are stored, so imported runs can be listed,
compared and gated like our own. lm-eval's metrics keep lm-eval's names and meaning (its
`chrf` is chrF2); their signature says where they came from.
"""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome

NAMESPACE = uuid.UUID("6f1c1e8e-2b7c-4a51-9d7e-3c4a7b9b0f11")


@dataclass
class ImportedRun:
    run_id: str
    model: str
    source: str
    results_file: Path
    fingerprint: dict[str, Any]
    tasks: list[TaskOutcome]
    metas: list[TaskMeta]
    """What is stored with each task's results: family `lm-eval`, no language, and as primary metric
    the first one lm-eval reported (its task config's first metric)."""


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise HarnessError(f"{path}: not an lm-eval results file (no 'results' object)")
    return data


def _metrics(task: str, values: dict[str, Any], n: int, version: str) -> list[MetricResult]:
    out = []
    for key, value in values.items():
        metric, sep, filter_name = key.partition(",")
        if not sep or metric.endswith("_stderr") or not isinstance(value, int | float):
            continue
        stderr = values.get(f"{metric}_stderr,{filter_name}")
        name = metric if filter_name == "none" else f"{metric}/{filter_name}"
        out.append(
            MetricResult(
                task,
                name,
                float(value),
                float(stderr) if isinstance(stderr, int | float) else None,
                n,
                f"lm-eval:{metric}|filter:{filter_name}|task-version:{version}",
            )
        )
    return out


def _prompt(arguments: Any) -> str:
    """The context of the first request: lm-eval writes `{"gen_args_0": {"arg_0": ...}}` to disk."""
    if isinstance(arguments, dict):
        first = arguments.get("gen_args_0", {})
        return str(first.get("arg_0", "")) if isinstance(first, dict) else ""
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list):
        return str(arguments[0][0])
    return ""


def _sample(line: dict[str, Any], metrics: list[str]) -> SampleRecord:
    scores: dict[str, Any] = {m: float(line[m]) for m in metrics if isinstance(line.get(m), int | float)}
    filtered = line.get("filtered_resps", [])
    output = ""
    if filtered and all(isinstance(r, list) and len(r) == 2 for r in filtered):
        # multiple choice: one (loglikelihood, is_greedy) pair per choice, written as strings
        lls = [float(r[0]) for r in filtered]
        scores["loglikelihoods"] = lls
        output = str(max(range(len(lls)), key=lambda i: lls[i]))
    elif filtered:
        output = str(filtered[0])
    return SampleRecord(
        doc_id=int(line["doc_id"]),
        doc_hash=str(line.get("doc_hash", "")),
        prompt=_prompt(line.get("arguments")),
        target=str(line.get("target", "")),
        output=output,
        scores=scores,
    )


def _samples(folder: Path, task: str, stamp: str, metrics: list[str]) -> list[SampleRecord]:
    path = folder / f"samples_{task}_{stamp}.jsonl"
    if not path.is_file():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                records.append(_sample(json.loads(text), metrics))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise HarnessError(f"{path}:{number}: not an lm-eval sample ({exc})") from exc
    return sorted(records, key=lambda r: r.doc_id)


def read_results(path: Path, model_name: str | None = None) -> ImportedRun:
    """One lm-eval results file with the samples files written beside it in the same run."""
    data = _load_json(path)
    stamp = path.stem.removeprefix("results_")
    model_args = data.get("config", {}).get("model_args")
    source = (
        str(model_args.get("pretrained")) if isinstance(model_args, dict) else str(data.get("model_name", ""))
    )
    if not source:
        source = str(data.get("model_name") or path.parent.name)
    # A checkpoint path names its model by its folder, as `harness eval` does.
    name = model_name or (Path(source).name if source.startswith(("/", ".")) else source)
    tasks = []
    metas: list[TaskMeta] = []
    for task, values in data["results"].items():
        if task in data.get("group_subtasks", {}) and data["group_subtasks"][task]:
            continue  # a group's aggregate, not a task
        version = str(data.get("versions", {}).get(task, ""))
        n = int(data.get("n-samples", {}).get(task, {}).get("effective", values.get("sample_len", 0)) or 0)
        metrics = _metrics(task, values, n, version)
        samples = _samples(path.parent, task, stamp, sorted({m.metric for m in metrics}))
        task_hash = str(data.get("task_hashes", {}).get(task, ""))
        if not metrics:
            raise HarnessError(f"{path}: task {task} has no numeric metric")
        tasks.append(TaskOutcome(task, version, task_hash, metrics, samples))
        protocol = f"lm-eval {task} (version {version}), imported from lm-eval's own output"
        metas.append(TaskMeta("lm-eval", None, metrics[0].metric, metrics[0].metric, protocol))
    fingerprint = {
        "imported_from": str(path.resolve()),
        "backend": "lm-eval",
        "versions": {
            "lm_eval": data.get("lm_eval_version"),
            "transformers": data.get("transformers_version"),
        },
        "model_args": model_args,
        "n_shot": data.get("n-shot"),
        "lm_eval_git_hash": data.get("git_hash"),
    }
    run_id = str(uuid.uuid5(NAMESPACE, path.read_bytes().decode("utf-8", "replace")))
    return ImportedRun(run_id, name, source, path, fingerprint, tasks, metas)


def find_results(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise HarnessError(f"{folder}: not a folder")
    files = sorted(folder.rglob("results_*.json"))
    if not files:
        raise HarnessError(
            f"{folder}: no lm-eval results_*.json files below it (was lm_eval run with --output_path?)"
        )
    return files
