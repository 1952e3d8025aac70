"""`harness tasks show NAME`: what a task is, with its prompt rendered on a real document."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from harness.engine.fit import check_fewshot
from tasks import registry
from tasks.base import TaskOptions


def describe(
    name: str, resolve: Callable[[str], Path], options: TaskOptions, num_fewshot: int | None = None
) -> dict[str, Any]:
    """Version, content hash, data files and checksums, metrics, and the first scored document's
    prompt as lm-eval builds it (with few-shot examples when the task uses them)."""
    from lm_eval.api.task import ConfigurableTask

    expanded = registry.expand([name], resolve)
    if [task for task, _ in expanded] != [name]:
        raise HarnessError(f"{name!r} is a group; show one of its tasks (harness tasks list --group {name})")
    fam = expanded[0][1]
    root = resolve(fam.data_set)
    info = fam.task_info(name, root, options)
    config = fam.lm_eval_config(name, root, options)
    if num_fewshot is not None:
        config["num_fewshot"] = num_fewshot
    task = ConfigurableTask(config=config)
    check_fewshot(name, task)
    task.set_fewshot_seed(1234)
    docs = task.eval_docs
    if len(docs) == 0:
        raise HarnessError(f"{name}: no documents in {root}")
    doc = docs[0]
    shots = int(config.get("num_fewshot") or 0)
    meta = fam.meta(name)
    out: dict[str, Any] = {
        "task": name,
        "family": fam.name,
        "language": meta.language,
        "primary_metric": meta.primary_metric,
        "protocol": meta.protocol,
        "version": info.version,
        "task_hash": info.task_hash,
        "data_root": str(root),
        "data_files": info.data_files,
        "output_type": config["output_type"],
        "metrics": [m["metric"] for m in config["metric_list"]],
        "num_fewshot": shots,
        "documents": len(docs),
        "prompt": task.fewshot_context(doc, shots),
        "target": task.doc_to_target(doc),
    }
    if config["output_type"] == "multiple_choice":
        out["choices"] = task.doc_to_choice(doc)
    return out
