"""`lora` and `layra`: LoRA continued pretraining on a weighted, packed mixture; `layra` adapts
only the first k and the last k transformer layers, every other weight frozen."""

from pathlib import Path
from typing import Any

from adapters.mixture import PackedBlocks, build_mixture, mixture_record
from adapters.recipes import LayraRecipe, LoraRecipe, LoraSettings
from adapters.train import (
    RunSetup,
    checkpoint_callback,
    load_model,
    load_tokenizer,
    run_trainer,
    trainer_kwargs,
)
from core.errors import HarnessError


def layra_layers(num_layers: int, k: int) -> list[int]:
    """Indices of the first k and the last k of `num_layers` layers."""
    if 2 * k > num_layers:
        raise HarnessError(f"layers: k={k} adapts 2k={2 * k} layers but the model has {num_layers}")
    return list(range(k)) + list(range(num_layers - k, num_layers))


def lora_config(settings: LoraSettings, layers: list[int] | None = None) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        layers_to_transform=layers,
        bias="none",
        task_type="CAUSAL_LM",
    )


def apply_lora(model: Any, settings: LoraSettings, layers: list[int] | None = None) -> Any:
    """The model wrapped with LoRA adapters (on `layers` only when given); base weights frozen."""
    from peft import get_peft_model

    found = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in settings.target_modules if m not in found]
    if missing:
        raise HarnessError(f"lora.target_modules: the model has no module named {', '.join(missing)}")
    return get_peft_model(model, lora_config(settings, layers))


def run(recipe: LoraRecipe | LayraRecipe, setup: RunSetup) -> list[Path]:
    """Train the adapters; the saved checkpoint (adapter) folders."""
    from transformers import TrainingArguments, set_seed

    tokenizer = load_tokenizer(setup.base)
    training = recipe.training
    blocks, records = build_mixture(
        recipe.data, setup.recipe_file, tokenizer, training.seq_length, recipe.seed
    )
    model = load_model(setup.base)
    layers = None
    if isinstance(recipe, LayraRecipe):
        layers = layra_layers(model.config.num_hidden_layers, recipe.layers)
    set_seed(recipe.seed)  # LoRA's A matrices are drawn at random
    model = apply_lora(model, recipe.lora, layers)
    if training.gradient_checkpointing:
        model.enable_input_require_grads()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    callback = checkpoint_callback(
        recipe,
        setup,
        data=mixture_record(records),
        blocks=len(blocks),
        adapted_layers=layers,
        trainable_parameters=trainable,
    )
    args = TrainingArguments(**trainer_kwargs(training, setup.output_dir, recipe.seed))
    run_trainer(model, tokenizer, PackedBlocks(blocks), args, callback)
    return callback.saved
