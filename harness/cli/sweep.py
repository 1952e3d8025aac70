"""`harness sweep`: every model on every task, here or over a Ray cluster."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import (
    BatchSize,
    DataDir,
    Dtype,
    JsonOutput,
    Limit,
    NumFewshot,
    Split,
    Verbose,
    fail,
    quiet_engine_logs,
)


def sweep_command(
    models: Annotated[
        str,
        typer.Option(help="Comma-separated checkpoint folders, PEFT adapter folders, aliases or hub ids."),
    ],
    tasks: Annotated[
        str, typer.Option(help="Comma-separated tasks or groups; each model runs each concrete task.")
    ],
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the units as Ray tasks on this running cluster (host:port, or auto); "
            "without it they run one after another in this process.",
        ),
    ] = None,
    limit: Limit = None,
    num_fewshot: NumFewshot = None,
    batch_size: BatchSize = 8,
    device: Annotated[
        str | None,
        typer.Option(
            help="cpu or cuda (default: cuda when available; with --ray, cuda when --gpus-per-unit > 0)."
        ),
    ] = None,
    dtype: Dtype = "auto",
    data_dir: DataDir = None,
    split: Split = None,
    backend: Annotated[str, typer.Option(help="hf (harness-hf) or hf-lm-eval.")] = "hf",
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the results database, reachable from every Ray node "
            "(default: HARNESS_DB, else local SQLite)."
        ),
    ] = None,
    apply_chat_template: Annotated[
        bool,
        typer.Option("--apply-chat-template", help="Render prompts through each model's chat template."),
    ] = False,
    cpus_per_unit: Annotated[float, typer.Option(help="CPUs Ray reserves for each unit.", min=0)] = 1.0,
    gpus_per_unit: Annotated[float, typer.Option(help="GPUs Ray reserves for each unit.", min=0)] = 0.0,
    json_output: JsonOutput = False,
    verbose: Verbose = False,
) -> None:
    """Evaluate every model on every task, one run per (checkpoint, task) unit in one database, here
    or spread over a Ray cluster; units the database already holds with the same settings are
    skipped. Exits 1 when a unit failed."""
    from harness.engine.sweep import SweepConfig, Unit, counts, run_sweep
    from harness.output import console, plain, printable, to_json

    quiet_engine_logs(verbose)
    config = SweepConfig(
        models=models.split(","),
        tasks=tasks.split(","),
        ray_address=ray_address,
        limit=limit,
        num_fewshot=num_fewshot,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
        data_dir=data_dir,
        split=split,
        backend=backend,
        db_url=db,
        apply_chat_template=apply_chat_template,
        cpus_per_unit=cpus_per_unit,
        gpus_per_unit=gpus_per_unit,
    )
    err = console(stderr=True)
    every: list[Unit] = []

    def on_plan(units: list[Unit]) -> None:
        every.extend(units)
        skipped = sum(u.status == "skipped" for u in units)
        where = f"on Ray at {ray_address}" if ray_address else "in this process"
        err.print(
            printable(
                f"{len(units)} unit(s): {skipped} already in the database, skipped; "
                f"{len(units) - skipped} to run {where}"
            ),
            markup=False,
        )

    def on_unit(unit: Unit) -> None:
        tally = counts(every)
        finished = tally["done"] + tally["failed"]
        to_run = sum(u.status != "skipped" for u in every)
        node = f", node {unit.node_id[:8]}" if unit.node_id else ""
        detail = unit.error if unit.status == "failed" else f"run {unit.run_id}"
        err.print(
            printable(
                f"[{finished}/{to_run}] {unit.status} {unit.model} {unit.task}: {detail} "
                f"({unit.seconds or 0:.1f} s{node}, pid {unit.pid}) · done {tally['done']}, "
                f"failed {tally['failed']}, skipped {tally['skipped']}"
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    try:
        result = run_sweep(config, on_unit=on_unit, on_plan=on_plan)
    except HarnessError as exc:
        fail(exc)
        return
    if json_output:
        typer.echo(to_json(result.to_json()))
    else:
        from rich.table import Table

        table = Table(title=f"sweep · {len(result.units)} units · {result.seconds:.1f} s")
        for column in ("model", "task", "status", "run", "metric", "value", "seconds", "node", "pid"):
            table.add_column(column, justify="right" if column in ("value", "seconds", "pid") else "left")
        colours = {"done": "green", "skipped": "cyan", "failed": "red"}
        for u in result.units:
            table.add_row(
                plain(u.model),
                plain(u.task),
                f"[{colours[u.status]}]{u.status}[/]",
                (u.run_id or "")[:8],
                plain(u.metric),
                "—" if u.value is None else f"{u.value:.2f}",
                "" if u.seconds is None else f"{u.seconds:.1f}",
                (u.node_id or "")[:8],
                "" if u.pid is None else str(u.pid),
            )
        out = console()
        out.print(table)
        for u in result.units:
            if u.status == "failed":
                out.print(
                    printable(f"failed: {u.model} {u.task}: {u.error}", multiline=True),
                    markup=False,
                    soft_wrap=True,
                )
    raise typer.Exit(1 if result.counts["failed"] else 0)
