"""`merge`: task arithmetic, adapted + scale * (instruct - base), parameter by parameter.

Rows the adapted model added to its vocabulary (embedding matrices longer than the base's) get
no task vector: instruct and base hold no such rows.
"""

from pathlib import Path
from typing import Any

from adapters.manifest import Manifest, log_line, recipe_record, register, write_manifest
from adapters.recipes import MergeRecipe
from adapters.train import RunSetup, load_model, load_tokenizer, resolve_base
from core.errors import HarnessError
from harness.output import plain


def task_arithmetic(
    adapted: dict[str, Any], instruct: dict[str, Any], base: dict[str, Any], scale: float
) -> dict[str, Any]:
    """adapted + scale * (instruct - base) for every parameter of `adapted`."""
    merged = {}
    for name, weight in adapted.items():
        if name not in instruct or name not in base:
            raise HarnessError(
                f"merge: parameter {name} of the adapted model is missing from instruct or base"
            )
        delta = instruct[name].float() - base[name].float()
        if delta.shape != base[name].shape or instruct[name].shape != base[name].shape:
            raise HarnessError(f"merge: {name} differs in shape between instruct and base")
        out = weight.float().clone()
        if out.shape == delta.shape:
            out += scale * delta
        elif out.dim() == 2 and out.shape[1] == delta.shape[1] and out.shape[0] > delta.shape[0]:
            out[: delta.shape[0]] += scale * delta  # an extended vocabulary: only the old rows
        else:
            raise HarnessError(
                f"merge: {name} is {tuple(out.shape)} in the adapted model, {tuple(delta.shape)} in base"
            )
        merged[name] = out.to(weight.dtype)
    return merged


def run(recipe: MergeRecipe, setup: RunSetup) -> list[Path]:
    """Write the merged model into the output folder, with its manifest; register it."""
    adapted_spec = resolve_base(recipe.adapted, setup.recipe_file)
    instruct_spec = resolve_base(recipe.instruct, setup.recipe_file)
    model = load_model(adapted_spec)
    merged = task_arithmetic(
        model.state_dict(),
        load_model(instruct_spec).state_dict(),
        load_model(setup.base).state_dict(),
        recipe.scale,
    )
    model.load_state_dict(merged)
    model.save_pretrained(setup.output_dir)
    load_tokenizer(adapted_spec).save_pretrained(setup.output_dir)
    info = {"adapted": adapted_spec.path, "instruct": instruct_spec.path, "scale": recipe.scale}
    record = recipe_record(recipe, setup.recipe_file, setup.recipe_sha256, setup.base.path, merge=info)
    write_manifest(setup.output_dir, Manifest(setup.model_name, None, None, adapted_spec.path, record))
    lineage = register(setup.output_dir, setup.db_url)
    log_line(
        f"[bold green]saved[/] {plain(setup.output_dir)} — {plain(lineage.model_name)} = adapted + "
        f"{recipe.scale} x (instruct - base); registered in the database"
    )
    return [setup.output_dir]
