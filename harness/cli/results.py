"""`harness results`: list stored results as a table, CSV or JSON."""

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, fail


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def results_command(
    model: Annotated[str | None, typer.Option(help="Only this model name.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    run: Annotated[
        str | None, typer.Option(help="Only this run: its id or a unique id prefix (6+ characters).")
    ] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Include running and failed runs.")] = False,
    primary: Annotated[
        bool, typer.Option("--primary", help="Only each task's primary metric (as its family declares it).")
    ] = False,
    output_format: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
    samples: Annotated[
        bool,
        typer.Option(
            "--samples", help="With --format json: add every per-document record (for harness gate)."
        ),
    ] = False,
    db: Db = None,
) -> None:
    """List stored results. `contamination` says whether the checkpoint was trained on text holding
    evaluation documents (as `harness adapt` recorded in its manifest; docs/contamination.md);
    `outside_coverage` names the languages a neural metric (COMET, CometKiwi, xCOMET) read that its
    encoder was not trained on (docs/comet.md)."""
    try:
        _results(model, task, run, all_runs, primary, output_format, samples, db)
    except HarnessError as exc:
        fail(exc)


def _results(
    model: str | None,
    task: str | None,
    run: str | None,
    all_runs: bool,
    primary: bool,
    output_format: Format,
    samples: bool,
    db: str | None,
) -> None:
    from core.coverage import coverage_flag
    from db.contamination import flag_rows
    from db.queries import find_run, list_results, list_samples
    from db.session import make_engine
    from harness.output import console, rows_table, to_csv, to_json

    if samples and output_format is not Format.json:
        raise HarnessError("--samples needs --format json")
    engine = make_engine(db, read_only=True)
    run_id = None
    if run is not None:
        try:
            run_id = find_run(engine, run)
        except ValueError:
            run_id = None
        if run_id is None:
            raise HarnessError(
                f"--run {run}: no run with that id (or unique id prefix of 6+ characters) in the "
                "database; `harness results --all` lists every run"
            )
    rows = list_results(engine, model=model, task=task, run_id=run_id, include_incomplete=all_runs)
    if run_id is not None and not rows and not all_runs:
        hidden = list_results(engine, model=model, task=task, run_id=run_id, include_incomplete=True)
        if hidden:
            console(stderr=True).print(
                f"note: run {run_id} is {hidden[0].status}; `--all` lists its results", markup=False
            )
    if primary:
        rows = [r for r in rows if r.metric == r.primary_metric]
    # A neural metric's score for a language outside its encoder's training languages (core.coverage).
    flagged = [r | {"outside_coverage": coverage_flag(r["note"])} for r in flag_rows(engine, rows)]
    columns = [
        "run_id",
        "model",
        "step",
        "task",
        "family",
        "language",
        "source_language",
        "metric",
        "primary_metric",
        "value",
        "stderr",
        "n",
        "status",
        "finished_at",
        "signature",
        "note",
        "outside_coverage",
    ]
    if output_format is Format.json:
        payload: dict[str, list[dict]] = {"results": flagged}
        if samples:
            runs = sorted({r.run_id for r in rows})
            payload["samples"] = [asdict(s) for run_id in runs for s in list_samples(engine, run_id, task)]
        typer.echo(to_json(payload))
    elif output_format is Format.csv:
        typer.echo(to_csv(flagged, columns), nl=False)
    else:
        console().print(
            rows_table(
                flagged,
                ["run_id", "model", "step", "task", "language", "metric", "value", "stderr", "n", "status"]
                + (["contamination"] if any(r["contaminated"] is not None for r in flagged) else [])
                + (["outside_coverage"] if any(r["outside_coverage"] for r in flagged) else []),
                "results (* primary metric)",
            )
        )
