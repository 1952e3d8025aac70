"""`harness adapt`: train or merge a model by a recipe (adapters/)."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, Verbose, fail, quiet_engine_logs


def adapt_command(
    recipe: Annotated[str, typer.Argument(help="Recipe YAML file (see adapters/examples/).")],
    output: Annotated[
        str | None, typer.Option(help="Folder for the checkpoints (overrides the recipe's output_dir).")
    ] = None,
    db: Db = None,
    verbose: Verbose = False,
) -> None:
    """Train or merge a model by a recipe (cpt, lora, layra, vocab, sft, merge); every checkpoint
    gets a manifest and is registered (and evaluated, with eval_every) in the database. Runs under
    `accelerate launch -m harness.cli adapt ...` as well."""
    from pathlib import Path

    from adapters.cli import adapt

    quiet_engine_logs(verbose)
    try:
        saved = adapt(Path(recipe), output, db)
    except HarnessError as exc:
        fail(exc)
        return
    typer.echo(f"{len(saved)} checkpoint(s): {', '.join(str(p) for p in saved)}")
