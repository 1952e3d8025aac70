"""`cpt`: full continued pretraining on a weighted, packed mixture of sources."""

from pathlib import Path

from adapters.mixture import PackedBlocks, build_mixture, mixture_record
from adapters.recipes import CptRecipe
from adapters.train import (
    RunSetup,
    checkpoint_callback,
    load_model,
    load_tokenizer,
    run_trainer,
    trainer_kwargs,
)


def run(recipe: CptRecipe, setup: RunSetup) -> list[Path]:
    """Train every weight; the saved checkpoint folders."""
    from transformers import TrainingArguments

    tokenizer = load_tokenizer(setup.base)
    training = recipe.training
    blocks, records = build_mixture(
        recipe.data, setup.recipe_file, tokenizer, training.seq_length, recipe.seed
    )
    model = load_model(setup.base)
    callback = checkpoint_callback(recipe, setup, data=mixture_record(records), blocks=len(blocks))
    args = TrainingArguments(**trainer_kwargs(training, setup.output_dir, recipe.seed))
    run_trainer(model, tokenizer, PackedBlocks(blocks), args, callback)
    return callback.saved
