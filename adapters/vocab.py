"""`vocab`: train a tokenizer on target-language text, add the tokens the base lacks, initialise
their embeddings (mean, subtoken_mean or clp), optionally train only the new rows first, then
continue pretraining every weight on the mixture."""

import shutil
from pathlib import Path
from typing import Any

from adapters import embeddings
from adapters.manifest import log_line
from adapters.mixture import PackedBlocks, build_mixture, mixture_record, source_documents
from adapters.recipes import TextSource, VocabRecipe, VocabSettings
from adapters.train import (
    RunSetup,
    checkpoint_callback,
    load_model,
    load_tokenizer,
    resolve_base,
    run_trainer,
    trainer_kwargs,
)
from adapters.vocabulary import extend_tokenizer, new_tokens_of, train_target_tokenizer
from core.errors import HarnessError


def _target_texts(recipe: VocabRecipe, recipe_file: Path) -> list[str]:
    if recipe.vocab.texts:
        source = TextSource(kind="text", paths=recipe.vocab.texts, weight=1)
        return source_documents(source, recipe_file)[0]
    texts = [
        doc
        for s in recipe.data
        if isinstance(s, TextSource) and s.kind == "text"
        for doc in source_documents(s, recipe_file)[0]
    ]
    if not texts:
        raise HarnessError(
            f"{recipe_file}: vocab needs target-language text: add vocab.texts or a text source"
        )
    return texts


def init_new_rows(
    model: Any, settings: VocabSettings, new_tokens: list[str], tokenizers: tuple[Any, Any], recipe_file: Path
) -> dict[str, Any]:
    """Resize the embeddings and fill the new rows; what was done, for the manifest."""
    import torch

    old_tokenizer, new_tokenizer = tokenizers
    matrices = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    old_rows = matrices[0].shape[0]
    model.resize_token_embeddings(len(new_tokenizer), mean_resizing=False)
    matrices = [model.get_input_embeddings().weight]
    if output is not None and model.get_output_embeddings().weight is not matrices[0]:
        matrices.append(model.get_output_embeddings().weight)
    ids = new_tokenizer.convert_tokens_to_ids(new_tokens)
    info: dict[str, Any] = {"init": settings.init, "new_tokens": len(new_tokens), "first_new_id": min(ids)}
    with torch.no_grad():
        for weight in matrices:
            old = weight[:old_rows]
            if settings.init == "mean":
                weight[ids] = embeddings.mean_rows(old, len(ids))
            elif settings.init == "subtoken_mean":
                pieces = embeddings.subtoken_ids(new_tokens, new_tokenizer, old_tokenizer)
                weight[ids] = embeddings.subtoken_mean_rows(old, pieces)
            else:
                info |= _clp(weight, old, new_tokens, tokenizers, settings, recipe_file)
    return info


def _clp(
    weight: Any,
    old: Any,
    new_tokens: list[str],
    tokenizers: tuple[Any, Any],
    settings: VocabSettings,
    recipe_file: Path,
) -> dict[str, Any]:
    """CLP rows for the new tokens the helper knows; sub-token means for the others."""
    old_tokenizer, new_tokenizer = tokenizers
    assert settings.clp_helper is not None
    helper_spec = resolve_base(settings.clp_helper, recipe_file)
    helper = load_model(helper_spec).get_input_embeddings().weight.detach()
    helper_vocab = load_tokenizer(helper_spec).get_vocab()
    old_vocab = old_tokenizer.get_vocab()
    weights, overlap, lacking = embeddings.clp_weights(new_tokens, old_vocab, helper_vocab, helper)
    found = [t for t in new_tokens if t not in set(lacking)]
    ratio = 0.0
    if found:
        rows = embeddings.clp_rows(weights, overlap, old_vocab, old)
        weight[new_tokenizer.convert_tokens_to_ids(found)] = rows
        # Similarities summing to nearly 0 (a helper whose cosines are as often negative as
        # positive) blow the rows up; CLP's formula has no guard, so say so.
        ratio = float(rows.norm(dim=1).max() / old.norm(dim=1).max())
        if ratio > 10:
            log_line(
                f"[yellow]warning:[/] clp: a new row is {ratio:.0f}x longer than the longest old row; "
                "the helper's similarities nearly cancel out"
            )
    if lacking:
        pieces = embeddings.subtoken_ids(lacking, new_tokenizer, old_tokenizer)
        weight[new_tokenizer.convert_tokens_to_ids(lacking)] = embeddings.subtoken_mean_rows(old, pieces)
    return {
        "clp_helper": helper_spec.path,
        "clp_max_norm_ratio": round(ratio, 4),
        "clp_overlap": len(overlap),
        "clp_fallback_subtoken_mean": len(lacking),
    }


def train_new_rows(
    model: Any, tokenizer: Any, dataset: Any, recipe: VocabRecipe, setup: RunSetup, first_id: int
) -> int:
    """Train only the embedding rows from `first_id` on; the tokens seen."""
    import torch
    from transformers import Trainer, TrainingArguments, default_data_collator

    output = model.get_output_embeddings()
    matrices = [model.get_input_embeddings().weight] + ([output.weight] if output is not None else [])
    weights = {id(p): p for p in matrices}
    for param in model.parameters():
        param.requires_grad_(id(param) in weights)
    hooks = []
    for param in weights.values():
        mask = (torch.arange(param.shape[0]) >= first_id).to(param.dtype).unsqueeze(1)
        hooks.append(param.register_hook(lambda grad, mask=mask: grad * mask))
    kwargs = trainer_kwargs(recipe.training, setup.output_dir / "new-rows", recipe.seed)
    kwargs |= {
        "max_steps": recipe.vocab.new_rows_steps,
        "learning_rate": recipe.vocab.new_rows_learning_rate,
        "weight_decay": 0.0,  # decay would move the frozen rows
        "save_strategy": "no",
        "lr_scheduler_type": "constant",
        "warmup_steps": 0,
    }
    trainer = Trainer(
        model=model,
        args=TrainingArguments(**kwargs),
        train_dataset=dataset,
        processing_class=tokenizer,
        data_collator=default_data_collator,
    )
    trainer.train()
    shutil.rmtree(kwargs["output_dir"], ignore_errors=True)  # nothing is saved in this phase
    for hook in hooks:
        hook.remove()
    for param in model.parameters():
        param.requires_grad_(True)
    return int(trainer.state.num_input_tokens_seen)


def run(recipe: VocabRecipe, setup: RunSetup) -> list[Path]:
    """Extend, initialise, train; the saved checkpoint folders (full models with the new tokenizer)."""
    from transformers import TrainingArguments, set_seed

    settings = recipe.vocab
    old_tokenizer = load_tokenizer(setup.base)
    trained = train_target_tokenizer(
        old_tokenizer, _target_texts(recipe, setup.recipe_file), settings.vocab_size
    )
    new_tokens = new_tokens_of(old_tokenizer, trained, settings.max_new_tokens)
    if not new_tokens:
        raise HarnessError(f"{setup.recipe_file}: the trained tokenizer learned no token the base lacks")
    tokenizer, first_id = extend_tokenizer(old_tokenizer, trained, new_tokens)
    set_seed(recipe.seed)
    model = load_model(setup.base)
    info = init_new_rows(model, settings, new_tokens, (old_tokenizer, tokenizer), setup.recipe_file)
    training = recipe.training
    blocks, records = build_mixture(
        recipe.data, setup.recipe_file, tokenizer, training.seq_length, recipe.seed
    )
    dataset = PackedBlocks(blocks)
    tokens_before = 0
    if settings.new_rows_steps:
        tokens_before = train_new_rows(model, tokenizer, dataset, recipe, setup, first_id)
        info["new_rows_tokens"] = tokens_before
    callback = checkpoint_callback(
        recipe, setup, tokens_before, data=mixture_record(records), blocks=len(blocks), vocabulary=info
    )
    args = TrainingArguments(**trainer_kwargs(training, setup.output_dir, recipe.seed))
    run_trainer(model, tokenizer, dataset, args, callback)
    return callback.saved
