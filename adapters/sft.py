"""`sft`: multitask instruction finetuning with the loss on completions only (TRL's SFTTrainer,
prompt-completion examples, `completion_only_loss=True`), optionally through a LoRA adapter."""

import json
import random
from pathlib import Path
from typing import Any

from adapters.recipes import SftParallelSource, SftRecipe, SftSource, file_sha256, recipe_path
from adapters.train import RunSetup, checkpoint_callback, load_model, load_tokenizer, trainer_kwargs
from core.errors import HarnessError


def task_examples(
    task: SftSource | SftParallelSource, recipe_file: Path
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """One task's prompt-completion examples and its files' checksums."""
    if isinstance(task, SftSource):
        path = recipe_path(task.path, recipe_file)
        if not path.is_file():
            raise HarnessError(f"{recipe_file}: task file {path} does not exist")
        examples = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                examples.append(
                    {"prompt": str(row[task.prompt_field]), "completion": str(row[task.completion_field])}
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise HarnessError(
                    f"{path}:{number}: not a JSON object with {task.prompt_field!r} and "
                    f"{task.completion_field!r} ({exc})"
                ) from exc
        return examples, {str(path): file_sha256(path)}
    src_path, tgt_path = recipe_path(task.source, recipe_file), recipe_path(task.target, recipe_file)
    for path in (src_path, tgt_path):
        if not path.is_file():
            raise HarnessError(f"{recipe_file}: task file {path} does not exist")
    src = src_path.read_text(encoding="utf-8").splitlines()
    tgt = tgt_path.read_text(encoding="utf-8").splitlines()
    if len(src) != len(tgt):
        raise HarnessError(f"{recipe_file}: {src_path} has {len(src)} lines, {tgt_path} has {len(tgt)}")
    names = {"source_language": task.source_language, "target_language": task.target_language}
    examples = [
        {
            "prompt": task.prompt.format(**names, source=s.strip()),
            "completion": task.completion.format(**names, target=t.strip()),
        }
        for s, t in zip(src, tgt, strict=True)
        if s.strip() and t.strip()
    ]
    return examples, {str(src_path): file_sha256(src_path), str(tgt_path): file_sha256(tgt_path)}


def mix_examples(recipe: SftRecipe, recipe_file: Path) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Each task gets weight / sum(weights) of all the examples (repeated or subsampled), shuffled."""
    rng = random.Random(recipe.seed)
    loaded = [task_examples(task, recipe_file) for task in recipe.tasks]
    total = sum(len(examples) for examples, _ in loaded)
    total_weight = sum(task.weight for task in recipe.tasks)
    mixed: list[dict[str, str]] = []
    records = []
    for task, (examples, files) in zip(recipe.tasks, loaded, strict=True):
        if not examples:
            raise HarnessError(f"{recipe_file}: the task {list(files)} holds no example")
        count = round(task.weight / total_weight * total)
        order: list[int] = []
        while len(order) < count:
            epoch = list(range(len(examples)))
            rng.shuffle(epoch)
            order += epoch
        mixed += [examples[i] for i in order[:count]]
        records.append(
            {
                "kind": task.kind,
                "files": files,
                "weight": task.weight,
                "examples": len(examples),
                "examples_used": count,
            }
        )
    rng.shuffle(mixed)
    return mixed, records


def build_trainer(recipe: SftRecipe, setup: RunSetup) -> Any:
    """TRL's SFTTrainer on the mixed examples, with the checkpoint callback."""
    try:
        from trl import SFTConfig, SFTTrainer
    except ImportError as exc:
        raise HarnessError("the sft recipe needs TRL: pip install 'polyglot-harness[adapters]'") from exc
    from datasets import Dataset
    from transformers import set_seed

    from adapters.lora import lora_config

    examples, records = mix_examples(recipe, setup.recipe_file)
    tokenizer = load_tokenizer(setup.base)
    set_seed(recipe.seed)
    model = load_model(setup.base)
    callback = checkpoint_callback(recipe, setup, data=records, examples=len(examples))
    args = SFTConfig(
        **trainer_kwargs(recipe.training, setup.output_dir, recipe.seed, tokens="non_padding"),
        max_length=recipe.training.seq_length,
        completion_only_loss=True,
        packing=False,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=lora_config(recipe.lora) if recipe.lora else None,
        callbacks=[callback],
    )
    return trainer, callback


def run(recipe: SftRecipe, setup: RunSetup) -> list[Path]:
    trainer, callback = build_trainer(recipe, setup)
    trainer.train()
    return callback.saved
