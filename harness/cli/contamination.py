"""`harness contamination`: n-gram overlap of training text with evaluation documents."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import fail, quiet_engine_logs


def contamination_command(
    recipe: Annotated[
        str | None, typer.Option(help="Recipe YAML: check its training files against its eval_tasks.")
    ] = None,
    text: Annotated[str | None, typer.Option(help="Training text file(s), comma-separated.")] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Tasks or groups, comma-separated (default with --recipe: eval_tasks).")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Folder with the data sets (default: eval_data_dir, HARNESS_DATA_DIR).")
    ] = None,
    ngram: Annotated[int, typer.Option(help="n of the n-grams (lm-eval's decontamination: 13).", min=2)] = 13,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """N-gram overlap (lm-eval's decontamination, docs/contamination.md) between training text and
    each task's evaluation documents: the share contaminated and the documents hit. Exit 0 clean,
    1 contaminated, 2 bad input."""
    from pathlib import Path

    from harness.analysis import contamination as hc
    from harness.engine.data import resolve

    quiet_engine_logs(False)
    names = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    try:
        if (recipe is None) == (text is None):
            raise HarnessError("give exactly one of --recipe FILE and --text FILE[,FILE...]")
        if recipe is not None:
            from adapters.contamination import check_recipe
            from adapters.recipes import load_recipe

            path = Path(recipe).expanduser().resolve()
            report = check_recipe(load_recipe(path), path, names, data_dir, ngram)
        elif not names:
            raise HarnessError("--tasks: name the tasks to check the --text files against")
        else:
            report = hc.check(hc.text_files(str(text)), names, lambda name: resolve(name, data_dir), ngram)
    except HarnessError as exc:
        fail(exc)
        return
    if json_output:
        from harness.output import to_json

        typer.echo(to_json(report.to_json()))
    else:
        hc.print_report(report)
    raise typer.Exit(1 if report.contaminated else 0)
