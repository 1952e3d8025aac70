"""`harness gate`: fail a build when a candidate scores worse than its baseline beyond noise."""

from enum import StrEnum
from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Alpha, Db, Seed, Trials, fail


class GateFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def gate_command(
    baseline: Annotated[
        str, typer.Option(help="Run id, model[@step] in the database, or a results JSON file.")
    ],
    candidate: Annotated[
        str, typer.Option(help="Run id, model[@step] in the database, or a results JSON file.")
    ],
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated tasks to gate (default: all baseline tasks).")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="Metric to gate (default: each task's primary, chrf++ for FLORES).")
    ] = None,
    max_drop: Annotated[
        float, typer.Option(help="Largest drop tolerated, in the metric's units.", min=0)
    ] = 0.0,
    alpha: Alpha = 0.05,
    trials: Trials = 10000,
    seed: Seed = 12345,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also fail when any document's output changed.")
    ] = False,
    output_format: Annotated[
        GateFormat, typer.Option("--format", help="text, markdown or json.")
    ] = GateFormat.text,
    db: Db = None,
) -> None:
    """Fail (exit 1) when the candidate scores worse than the baseline beyond noise; exit 2 when
    the two cannot be compared; exit 0 otherwise."""
    from harness.analysis.gate import compare, load_side
    from harness.analysis.gate_report import print_text, to_markdown
    from harness.analysis.gate_report import to_json as gate_json

    try:
        report = compare(
            load_side(baseline, db),
            load_side(candidate, db),
            tasks=[t.strip() for t in tasks.split(",") if t.strip()] if tasks else None,
            metric=metric,
            max_drop=max_drop,
            alpha=alpha,
            trials=trials,
            seed=seed,
            strict=strict,
        )
    except HarnessError as exc:
        if output_format is GateFormat.json:
            from harness.output import to_json

            typer.echo(to_json({"pass": False, "cannot_compare": str(exc)}))
        fail(exc)
        return
    if output_format is GateFormat.json:
        from harness.output import to_json

        typer.echo(to_json(gate_json(report)))
    elif output_format is GateFormat.markdown:
        typer.echo(to_markdown(report))
    else:
        print_text(report)
    raise typer.Exit(1 if report.regressed else 0)
