"""The `harness` command line, the top layer: one small module per command or command group
(parse, call, print), registered here in one explicit list. Nothing below the CLI imports it."""

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from core.errors import HarnessError
from harness import __version__
from harness.cli import (
    adapt,
    compare,
    contamination,
    data,
    eval,
    gate,
    ingest,
    lid,
    report,
    rescore,
    results,
    serve,
    sweep,
    tasks,
    tokenizer,
)

app = typer.Typer(
    help="Multilingual LLM evaluation harness: evaluate checkpoints, store every sample, compare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

COMMANDS: dict[str, Callable[..., Any]] = {
    "eval": eval.eval_command,
    "rescore": rescore.rescore_command,
    "results": results.results_command,
    "gate": gate.gate_command,
    "compare": compare.compare_command,
    "report": report.report_command,
    "app": serve.app_command,
    "adapt": adapt.adapt_command,
    "tokenizer-report": tokenizer.tokenizer_report_command,
    "contamination": contamination.contamination_command,
    "sweep": sweep.sweep_command,
}
GROUPS: dict[str, tuple[str, dict[str, Callable[..., Any]]]] = {
    "data": (
        "Evaluation data: download official distributions.",
        {"fetch": data.data_fetch, "list": data.data_list},
    ),
    "tasks": (
        "The task registry. FLORES names: flores_<src>-<tgt> (flores_eng_Latn-lin_Latn), flores_<iso> "
        "(both directions with English), flores_<iso>@<pivot-iso> (both directions with any pivot, "
        "every script pair: flores_lin@fra, flores_kor@zho; resolved by name, not listed), flores; "
        "the same with flores+ for FLORES+ (harness data fetch flores_plus).",
        {"list": tasks.tasks_list, "show": tasks.tasks_show},
    ),
    "lid": ("Output language identification (off_target, source_copy).", {"build": lid.lid_build_command}),
    "ingest": ("Import results produced by other tools.", {"lm-eval": ingest.ingest_lm_eval}),
}

for name, command in COMMANDS.items():
    app.command(name)(command)
for name, (help_text, commands) in GROUPS.items():
    group = typer.Typer(help=help_text, no_args_is_help=True)
    for sub, command in commands.items():
        group.command(sub)(command)
    app.add_typer(group, name=name)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="Show the traceback of an unexpected error (also HARNESS_VERBOSE=1; a command's own "
            "--verbose does both).",
        ),
    ] = False,
) -> None:
    """Multilingual LLM evaluation harness."""


def main() -> None:
    """Run the command line: a HarnessError (bad input, exit 2; environment, exit 1) and any
    unexpected error (exit 1) print one paragraph, not a traceback, unless --verbose asks for it."""
    from harness.cli.common import EXIT_ENVIRONMENT, exit_code, print_error, verbose_requested

    try:
        app()
    except HarnessError as exc:
        if verbose_requested(sys.argv[1:]):
            raise
        print_error(str(exc))
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if verbose_requested(sys.argv[1:]):
            raise
        message = " ".join(str(exc).split()) or "(no message)"
        print_error(
            f"unexpected {type(exc).__name__}: {message}. This is a bug or an unchecked input; run with "
            "--verbose (or HARNESS_VERBOSE=1) for the traceback."
        )
        sys.exit(EXIT_ENVIRONMENT)
