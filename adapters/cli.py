"""`harness adapt RECIPE.yaml`: validate the recipe, then run it by its `recipe` name."""

import importlib
from dataclasses import replace
from pathlib import Path

from adapters.recipes import load_recipe

RECIPES = {
    "cpt": "adapters.cpt:run",
    "lora": "adapters.lora:run",
    "layra": "adapters.lora:run",
    "vocab": "adapters.vocab:run",
    "sft": "adapters.sft:run",
    "merge": "adapters.merge:run",
}
"""Recipe name -> the function that runs it, imported only when used."""


def adapt(recipe_file: Path, output: str | None = None, db_url: str | None = None) -> list[Path]:
    """Run the recipe in `recipe_file`; the checkpoint folders it saved and registered."""
    recipe_file = recipe_file.expanduser().resolve()
    recipe = load_recipe(recipe_file)
    from adapters.contamination import adapt_record
    from adapters.train import prepare

    setup = prepare(recipe, recipe_file, output, db_url)
    setup = replace(setup, contamination=adapt_record(recipe, recipe_file))
    module, attr = RECIPES[recipe.recipe].split(":")
    saved: list[Path] = getattr(importlib.import_module(module), attr)(recipe, setup)
    return saved
