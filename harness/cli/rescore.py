"""`harness rescore`: score a stored run's outputs with another metric."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import CometKiwiModel, Db, Verbose, XCometModel, fail, quiet_engine_logs, split_list


def rescore_command(
    run: Annotated[
        str,
        typer.Argument(help="Run id or its unique prefix, or MODEL / MODEL@STEP: its newest complete run."),
    ],
    metric: Annotated[
        str,
        typer.Option(
            help="Scorer to run on the stored outputs: comet, cometkiwi (reference-free QE), xcomet "
            "(scores and error spans), lid (off_target, source_copy) or judge (rule adherence)."
        ),
    ],
    comet_model: Annotated[
        str | None,
        typer.Option(
            help="COMET model: a local <model>/checkpoints/model.ckpt, its <model> folder, or a hub name "
            "(Unbabel/wmt22-comet-da, needs network)."
        ),
    ] = None,
    cometkiwi_model: CometKiwiModel = None,
    xcomet_model: XCometModel = None,
    tasks: Annotated[
        str | None,
        typer.Option(help="Comma-separated tasks of the run (default: all those the scorer applies to)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(help="COMET, CometKiwi and xCOMET batch size (comet-score's default).", min=1)
    ] = 16,
    lid_model: Annotated[
        str | None,
        typer.Option(help="With --metric lid: fastText model.bin (default: the `harness lid build` model)."),
    ] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(help="With --metric judge: the judge, a checkpoint folder, alias or hub id."),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda for the judge (default: cuda when available).")
    ] = None,
    data_dir: Annotated[
        str | None,
        typer.Option(
            help="FLORES-200 data for runs stored without their sources (default: the data the run read)."
        ),
    ] = None,
    db: Db = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Verbose = False,
) -> None:
    """Score a stored run's outputs with a post-generation scorer (COMET, CometKiwi, xCOMET, language
    ID, the judge), without loading the evaluated model or generating again: its metric rows per task
    and its scores per sample, replaced on rerun."""
    from harness.engine.rescore import rescore
    from harness.output import console, plain, print_results, to_json
    from harness.scorers.base import ScorerOptions

    quiet_engine_logs(verbose)
    err = console(stderr=True)

    def on_task(name: str, index: int, total: int, documents: int) -> None:
        err.print(
            f"[bold]\\[{index + 1}/{total}][/] {plain(name)}: {plain(metric)} of {documents} stored outputs"
        )

    try:
        options = ScorerOptions(
            comet_model=comet_model,
            cometkiwi_model=cometkiwi_model,
            xcomet_model=xcomet_model,
            lid_model=lid_model,
            judge_model=judge_model,
            device=device,
            comet_batch_size=batch_size,
        )
        result = rescore(
            run, metric, options, tasks=split_list(tasks), db_url=db, data_dir=data_dir, on_task=on_task
        )
    except HarnessError as exc:
        fail(exc)
        return
    for task, count in result.recovered_sources.items():
        err.print(f"{plain(task)}: {count} source sentence(s) recovered from the data (doc_hash checked)")
    if json_output:
        typer.echo(to_json(result.to_json()))
    else:
        print_results(result.results, title=f"rescore · run {result.run_id}")
