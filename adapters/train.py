"""What the training recipes share: the run's setup, the base model, the Trainer's arguments."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.callbacks import CheckpointCallback, CheckpointContext
from adapters.manifest import recipe_record
from adapters.recipes import RecipeBase, TrainedRecipe, Training, file_sha256, recipe_path
from core.errors import HarnessError
from harness.engine.models import ModelSpec


@dataclass(frozen=True)
class RunSetup:
    """One invocation of `harness adapt`."""

    recipe_file: Path
    recipe_sha256: str
    output_dir: Path
    model_name: str
    base: ModelSpec
    db_url: str | None
    contamination: dict[str, Any] | None = None
    """The recipe's training text against its eval_tasks (`adapters.contamination`), for the manifests."""


def resolve_base(value: str, recipe_file: Path) -> ModelSpec:
    """A model named in a recipe: a folder relative to the recipe file, else what `--model` takes."""
    from harness.engine.models import resolve_model

    candidate = recipe_path(value, recipe_file)
    return resolve_model(str(candidate) if candidate.exists() else value)


def prepare(recipe: RecipeBase, recipe_file: Path, output: str | None, db_url: str | None) -> RunSetup:
    """Resolve the output folder, the model name and the base model; refuse to mix two runs."""
    given = output or recipe.output_dir
    if given is None:
        raise HarnessError(f"{recipe_file}: no output folder: pass --output or set output_dir")
    output_dir = Path(given).expanduser().resolve() if output else recipe_path(given, recipe_file)
    if output_dir.is_dir() and any(output_dir.glob("checkpoint-*")):
        raise HarnessError(f"{output_dir} already holds checkpoints of another run; choose a new --output")
    output_dir.mkdir(parents=True, exist_ok=True)
    base = resolve_base(recipe.base_model, recipe_file)
    return RunSetup(
        recipe_file=recipe_file,
        recipe_sha256=file_sha256(recipe_file),
        output_dir=output_dir,
        model_name=recipe.model_name or output_dir.name,
        base=base,
        db_url=db_url,
    )


def load_tokenizer(spec: ModelSpec) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(spec.peft or spec.pretrained)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(spec: ModelSpec) -> Any:
    """Float32 weights (mixed precision is the Trainer's job); a LoRA adapter is merged in."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(spec.pretrained, dtype=torch.float32)
    if spec.peft:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, spec.peft).merge_and_unload()
    return model


def precision_flags(setting: str) -> dict[str, bool]:
    import torch

    if setting == "auto":
        setting = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return {"bf16": setting == "bf16", "fp16": setting == "fp16"}


def trainer_kwargs(training: Training, output_dir: Path, seed: int, tokens: str = "all") -> dict[str, Any]:
    """Arguments of TrainingArguments (and TRL's SFTConfig, which extends it)."""
    import torch

    return {
        "output_dir": str(output_dir),
        "max_steps": training.max_steps,
        "learning_rate": training.learning_rate,
        "per_device_train_batch_size": training.batch_size,
        "gradient_accumulation_steps": training.gradient_accumulation_steps,
        "warmup_steps": training.warmup_steps,
        "lr_scheduler_type": training.lr_scheduler,
        "weight_decay": training.weight_decay,
        "max_grad_norm": training.max_grad_norm,
        "gradient_checkpointing": training.gradient_checkpointing,
        "logging_steps": training.logging_steps,
        "save_strategy": "steps",
        "save_steps": training.save_every,
        "save_total_limit": training.save_total_limit,
        "save_only_model": True,
        "seed": seed,
        "data_seed": seed,
        "report_to": "none",
        "include_num_input_tokens_seen": tokens,
        "dataloader_num_workers": 0,
        "dataloader_pin_memory": torch.cuda.is_available(),
        **precision_flags(training.precision),
    }


def checkpoint_callback(
    recipe: TrainedRecipe, setup: RunSetup, tokens_before: int = 0, **recorded: Any
) -> CheckpointCallback:
    """The callback that writes each checkpoint's manifest, registers and evaluates it."""
    eval_dir = recipe_path(recipe.eval_data_dir, setup.recipe_file) if recipe.eval_data_dir else None
    eval_tasks, eval_limit, eval_split = recipe.eval_plan()
    context = CheckpointContext(
        model_name=setup.model_name,
        base_source=setup.base.path,
        recipe=recipe_record(
            recipe,
            setup.recipe_file,
            setup.recipe_sha256,
            setup.base.path,
            **recorded,
            **({"contamination": setup.contamination} if setup.contamination else {}),
        ),
        db_url=setup.db_url,
        eval_every=recipe.eval_every,
        eval_tasks=eval_tasks,
        eval_limit=eval_limit,
        eval_split=eval_split,
        eval_data_dir=str(eval_dir) if eval_dir else None,
        eval_batch_size=recipe.eval_batch_size,
        tokens_before=tokens_before,
    )
    return CheckpointCallback(context)


def run_trainer(model: Any, tokenizer: Any, dataset: Any, args: Any, callback: CheckpointCallback) -> Any:
    """Train with transformers' Trainer (progress bar included); the finished Trainer."""
    from transformers import Trainer, default_data_collator

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        data_collator=default_data_collator,
        callbacks=[callback],
    )
    trainer.train()
    return trainer
