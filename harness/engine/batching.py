"""Batching across tasks: a run hands lm-eval's evaluator the tasks of a chunk together, so the
engine sees all of their requests at once, and scores each task of the chunk as soon as the chunk
is answered.

One `simple_evaluate` call per task costs about 0.4 s per task before the model does anything
useful, and an engine that only ever sees one task's requests cannot fill a batch with the
requests of small tasks (one FLORES direction at `--limit 1` is one generation; C-Eval has 52
subjects of about 26 questions). lm-eval's evaluator takes many tasks in one call: it builds every
task's requests, hands each request type to the model in one list, then computes each task's
metrics. Here the run's tasks are built one by one (data read, documents counted) and gathered
into chunks of at most `CHUNK_DOCUMENTS` scored documents (a task larger than that is a chunk of
its own); the chunk goes to the evaluator in one call, and its tasks come back one by one for
scoring and storing. The bound keeps what a chunk holds in memory (documents, requests and logged
samples) and what a crash before storing could cost at a fixed size; the response cache keeps
what the engine answered in any case.

The task objects are lm-eval's, built from the same configs by the same `TaskManager` as before,
with the same few-shot seed, limit and chat-template settings, so the prompts and requests are
those of a run of one task at a time.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from harness.engine.specs import EvalConfig
from tasks.base import TaskFamily, TaskOptions

CHUNK_DOCUMENTS = 10_000
"""Scored documents handed to the evaluator in one call (at least one task per call); the
environment variable HARNESS_CHUNK_DOCUMENTS overrides it (1: one task at a time)."""


def chunk_budget() -> int:
    """`CHUNK_DOCUMENTS`, or HARNESS_CHUNK_DOCUMENTS when set (a positive whole number)."""
    import os

    value = os.environ.get("HARNESS_CHUNK_DOCUMENTS")
    if value is None:
        return CHUNK_DOCUMENTS
    if not value.isdigit() or int(value) < 1:
        raise HarnessError(f"HARNESS_CHUNK_DOCUMENTS={value!r}: give a positive whole number of documents")
    return int(value)


@dataclass
class BuiltTask:
    """One task of a run, built into lm-eval's task object."""

    name: str
    family: TaskFamily
    task: Any
    """lm-eval's `Task`."""
    documents: int
    """Documents it scores (after `--limit`)."""


def scored_documents(task: Any, limit: int | float | None) -> int:
    """How many documents lm-eval scores of `task` under `limit` (its `get_sample_size` rule:
    a limit below 1 is a fraction of the documents)."""
    import math

    total = len(task.eval_docs)
    if limit is None:
        return total
    if limit < 1.0:
        return int(math.ceil(total * limit))
    return min(total, int(limit))


def build_task(
    name: str, family: TaskFamily, root: Path, config: EvalConfig, options: TaskOptions, manager: Any
) -> BuiltTask:
    """lm-eval's task object for `name` from its family's config (`--num-fewshot` set in the config:
    lm-eval ignores its num_fewshot argument for tasks whose default is 0)."""
    task_config = family.lm_eval_config(name, root, options)
    if config.num_fewshot is not None:
        task_config["num_fewshot"] = config.num_fewshot
    if not task_config.get("num_fewshot"):
        zero_shot(task_config)
    built = manager.load([task_config])["tasks"]
    if name not in built:
        raise HarnessError(f"{name}: lm-eval built {', '.join(built) or 'no task'} from its config")
    task = built[name]
    return BuiltTask(name, family, task, scored_documents(task, config.limit))


def zero_shot(task_config: dict[str, Any]) -> None:
    """A zero-shot task needs no few-shot examples: lm-eval would still list its few-shot split
    (row by row, about 50 ms for FLORES's 997 dev sentences) for a sampler it never calls. The
    split is replaced by an empty sample list; the prompts do not change. A family's own loader
    that takes `splits` (in `dataset_kwargs`) is asked for the scored split alone."""
    if task_config.get("fewshot_split") is None:
        return
    task_config["fewshot_split"] = None
    task_config["fewshot_config"] = {**(task_config.get("fewshot_config") or {}), "samples": []}
    loader_kwargs = task_config.get("dataset_kwargs") or {}
    if "splits" in loader_kwargs and task_config.get("test_split"):
        task_config["dataset_kwargs"] = {**loader_kwargs, "splits": [task_config["test_split"]]}


def chunks(
    tasks: list[tuple[str, TaskFamily]],
    roots: dict[str, Path],
    config: EvalConfig,
    options: TaskOptions,
    budget: int | None = None,
    built: dict[str, BuiltTask] | None = None,
) -> Iterator[list[BuiltTask]]:
    """The tasks, built one at a time (or taken from `built`, already built and checked before
    the model loaded: `harness.engine.fit`) and gathered into chunks of at most `budget` documents
    (default: `chunk_budget()`), in the run's order; a chunk is yielded as soon as the next task
    would not fit."""
    from lm_eval.tasks import TaskManager

    if budget is None:
        budget = chunk_budget()
    manager = TaskManager(include_defaults=False)
    chunk: list[BuiltTask] = []
    size = 0
    for name, family in tasks:
        if built and name in built:
            task = built[name]
        else:
            task = build_task(name, family, roots[family.data_set], config, options, manager)
        if chunk and size + task.documents > budget:
            yield chunk
            chunk, size = [], 0
        chunk.append(task)
        size += task.documents
    if chunk:
        yield chunk


def evaluate_chunk(lm: Any, chunk: list[BuiltTask], config: EvalConfig) -> dict[str, Any]:
    """One lm-eval evaluator call over the chunk's tasks: its output (results and logged samples
    keyed by task name)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    output = simple_evaluate(
        model=lm,
        tasks=[built.task for built in chunk],
        limit=config.limit,
        log_samples=True,
        bootstrap_iters=0,
        fewshot_random_seed=config.fewshot_seed,
        task_manager=TaskManager(include_defaults=False),
        apply_chat_template=config.apply_chat_template,
    )
    if output is None:
        raise HarnessError(f"{', '.join(b.name for b in chunk)}: lm-eval returned no results")
    missing = [b.name for b in chunk if b.name not in output["results"]]
    if missing:
        raise HarnessError(f"{', '.join(missing)}: lm-eval returned no results")
    return output
