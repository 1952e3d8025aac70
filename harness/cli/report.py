"""`harness report`: one run as a self-contained Markdown or HTML document."""

from enum import StrEnum
from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, fail


class ReportFormat(StrEnum):
    md = "md"
    html = "html"


def report_command(
    ref: Annotated[str, typer.Argument(help="Run id (or unique prefix), MODEL or MODEL@STEP.")],
    out: Annotated[str, typer.Option(help="File to write (md: charts go beside it as .svg files).")],
    output_format: Annotated[ReportFormat, typer.Option("--format", help="md or html.")] = ReportFormat.md,
    baseline: Annotated[
        str | None,
        typer.Option(help="Compare with it as `harness gate` does: run id, MODEL, MODEL@STEP or file."),
    ] = None,
    tasks: Annotated[str | None, typer.Option(help="Comma-separated tasks (default: all the run's).")] = None,
    db: Db = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the files written as JSON.")] = False,
) -> None:
    """Write a self-contained report of one run (tables, leaderboard row, per-language chart,
    comparison with a baseline, fingerprint) as Markdown or offline HTML."""
    from harness.analysis.report import run_report

    try:
        run_report(ref, out, output_format.value, baseline, tasks, db, json_output)
    except HarnessError as exc:
        fail(exc)
