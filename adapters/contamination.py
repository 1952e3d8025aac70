"""A recipe's training text against its evaluation tasks (`harness.analysis.contamination`): for
`harness contamination --recipe` and for `harness adapt`, which records the result in every
checkpoint's manifest under `recipe["contamination"]`."""

from pathlib import Path
from typing import Any

from adapters.recipes import ParallelSource, SftParallelSource, SftSource, TextSource, recipe_path
from core.errors import HarnessError
from harness.analysis.contamination import ContaminationReport, TrainingFile, check
from harness.output import plain
from tasks.base import TaskOptions


def training_files(recipe: Any, recipe_file: Path) -> list[TrainingFile]:
    """Every file whose text the recipe trains on (and, for vocab, trains its tokenizer on)."""
    files: list[TrainingFile] = []

    def add(value: str, label: str, fields: tuple[str, ...] = ()) -> None:
        files.append(TrainingFile(recipe_path(value, recipe_file), f"{recipe_file}: {label}", fields))

    for i, source in enumerate(getattr(recipe, "data", [])):
        if isinstance(source, TextSource):
            for j, path in enumerate(source.paths):
                add(path, f"data[{i}].paths[{j}]")
        elif isinstance(source, ParallelSource):
            add(source.source, f"data[{i}].source")
            add(source.target, f"data[{i}].target")
    for i, task in enumerate(getattr(recipe, "tasks", [])):
        if isinstance(task, SftSource):
            add(task.path, f"tasks[{i}].path", (task.prompt_field, task.completion_field))
        elif isinstance(task, SftParallelSource):
            add(task.source, f"tasks[{i}].source")
            add(task.target, f"tasks[{i}].target")
    vocab = getattr(recipe, "vocab", None)
    for j, path in enumerate(vocab.texts if vocab is not None else []):
        add(path, f"vocab.texts[{j}]")
    unique: dict[Path, TrainingFile] = {}
    for item in files:
        unique.setdefault(item.path, item)
    return list(unique.values())


def check_recipe(
    recipe: Any,
    recipe_file: Path,
    tasks: list[str] | None = None,
    data_dir: str | None = None,
    n: int | None = None,
) -> ContaminationReport:
    """The recipe's training files against `tasks` (default: its in-training check, `eval_plan`, on
    that check's split), with the evaluation data
    from `data_dir` (default: its eval_data_dir, then HARNESS_DATA_DIR, then the cache)."""
    from harness.analysis.contamination import DEFAULT_NGRAM
    from harness.engine.data import resolve

    files = training_files(recipe, recipe_file)
    if not files:
        raise HarnessError(f"{recipe_file}: the {recipe.recipe} recipe trains on no text files")
    split = None
    if tasks:
        names = tasks
    elif getattr(recipe, "eval_every", None):
        names, _, split = recipe.eval_plan()  # its eval_tasks, or the default bpb check on dev
    else:
        names = list(getattr(recipe, "eval_tasks", []))
    if not names:
        raise HarnessError(f"{recipe_file}: no eval_tasks in the recipe; name the tasks with --tasks")
    if data_dir is None and getattr(recipe, "eval_data_dir", None):
        data_dir = str(recipe_path(recipe.eval_data_dir, recipe_file))
    options = TaskOptions(split=split)
    return check(files, names, lambda name: resolve(name, data_dir), n or DEFAULT_NGRAM, options)


def adapt_record(recipe: Any, recipe_file: Path) -> dict[str, Any] | None:
    """The contamination record of a recipe with training text and an in-training check (its
    eval_tasks, or the default bpb check on the dev split; None otherwise),
    logged in one line per contaminated task."""
    from adapters.manifest import log_line

    if not getattr(recipe, "eval_every", None) or not training_files(recipe, recipe_file):
        return None
    report = check_recipe(recipe, recipe_file)
    for task in report.tasks:
        if task.hits:
            ids = ", ".join(map(str, task.doc_ids[:10])) + (" …" if len(task.hits) > 10 else "")
            log_line(
                f"[bold red]contaminated[/] {plain(task.task)}: {len(task.hits)} of {task.documents} "
                f"{task.split} documents share a {report.ngram}-gram with the training text (doc {ids})"
            )
    if not report.contaminated:
        log_line(
            f"[bold green]no contamination[/]: {len(report.tasks)} task(s), {report.ngram}-grams, "
            f"{report.seconds:.1f} s"
        )
    return report.record()
