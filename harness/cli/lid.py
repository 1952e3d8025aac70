"""`harness lid build`: train and report the FLORES-200 language identifier."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import fail


def lid_build_command(
    data_dir: Annotated[
        str | None, typer.Option(help="Folder holding flores200/ (default: HARNESS_DATA_DIR or the cache).")
    ] = None,
    out: Annotated[str | None, typer.Option(help="Also copy the model here (report beside it).")] = None,
    langs: Annotated[
        str | None, typer.Option(help="Comma-separated FLORES-200 codes (default: every language).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Train a fastText language identifier on FLORES-200 dev (cached), and report its accuracy,
    per-language F1, macro-F1, worst languages and confusion clusters on devtest."""
    from pathlib import Path

    from harness.engine import data
    from harness.output import to_json
    from harness.scorers.lid_build import build, print_report

    try:
        root = data.resolve("flores200", data_dir)
        report = build(root, Path(out) if out else None, langs.split(",") if langs else None)
    except HarnessError as exc:
        fail(exc)
        return
    if json_output:
        typer.echo(to_json(report.to_json()))
    else:
        print_report(report)
