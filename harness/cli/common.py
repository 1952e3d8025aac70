"""What every command shares: the error exit, the engine's log level, and the options that several
commands declare (declared once here, so that they read the same in every `--help`)."""

import logging
import os
from typing import Annotated, NoReturn

import typer

from core.errors import EnvironmentFailure, HarnessError

EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 1
"""An environment failure (an unreachable hub or server) and an unexpected error exit 1."""
VERBOSE_ENV = "HARNESS_VERBOSE"
"""Set (to anything but empty or 0) for the traceback of an unexpected error, as `--verbose` does."""

Db = Annotated[
    str | None,
    typer.Option(help="SQLAlchemy URL of the results database (default: HARNESS_DB, else local SQLite)."),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
Verbose = Annotated[bool, typer.Option(help="Show the engine's log.")]
Limit = Annotated[int | None, typer.Option(help="Score only the first N documents of each task.", min=1)]
NumFewshot = Annotated[int | None, typer.Option(help="Few-shot examples (from the dev split).", min=0)]
BatchSize = Annotated[int, typer.Option(help="Batch size.", min=1)]
Alpha = Annotated[float, typer.Option(help="Significance level after Holm's correction.", min=0, max=1)]
Trials = Annotated[
    int,
    typer.Option(
        help="Monte Carlo sign flips or swaps when too many documents differ to enumerate all.", min=1000
    ),
]
Seed = Annotated[int, typer.Option(help="Seed of the Monte Carlo draws and the bootstrap interval.")]
Dtype = Annotated[str, typer.Option(help="auto, float32, bfloat16 or float16.")]
DataDir = Annotated[
    str | None,
    typer.Option(
        help="Folder with the data sets (flores200/ ...); default HARNESS_DATA_DIR, then the cache."
    ),
]
Split = Annotated[
    str | None, typer.Option(help="Evaluation split where a family offers one (XNLI: validation|test).")
]
ChatTemplate = Annotated[
    bool,
    typer.Option(
        "--apply-chat-template",
        help="Render prompts through the model's chat template: a task's instruction (GAOKAO-Bench's "
        "prefix prompt) as the system message, the question as the user turn, few-shot examples as "
        "turns. Fails for a model without a chat template. Recorded in the run fingerprint.",
    ),
]

CometKiwiModel = Annotated[
    str | None,
    typer.Option(
        "--cometkiwi-model",
        help="CometKiwi model (reference-free QE, metric cometkiwi): a local <model>/checkpoints/model.ckpt, "
        "its <model> folder, or a hub name (default for rescore: Unbabel/wmt22-cometkiwi-da, gated: "
        "needs network and your Hugging Face token). Needs unbabel-comet (.venv-comet).",
    ),
]
XCometModel = Annotated[
    str | None,
    typer.Option(
        "--xcomet-model",
        help="xCOMET model (scores and error spans, metric xcomet): a local <model>/checkpoints/model.ckpt, "
        "its <model> folder, or a hub name (default for rescore: Unbabel/XCOMET-XL, gated: needs network "
        "and your Hugging Face token). Needs unbabel-comet (.venv-comet).",
    ),
]


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated option as a list without blanks; None when not given."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def exit_code(exc: HarnessError) -> int:
    """2 for bad input, 1 for an environment failure."""
    return EXIT_ENVIRONMENT if isinstance(exc, EnvironmentFailure) else EXIT_BAD_INPUT


def print_error(message: str) -> None:
    """`error: message` on stderr (the message as text: never markup, control characters written out)."""
    from harness.output import console, plain

    console(stderr=True).print(
        f"[bold red]error:[/] {plain(message, multiline=True)}", markup=True, soft_wrap=True
    )


def fail(exc: HarnessError) -> NoReturn:
    """Print the error and exit: 2 for bad input, 1 for an environment failure (`EnvironmentFailure`)."""
    print_error(str(exc))
    raise typer.Exit(exit_code(exc))


def verbose_requested(argv: list[str]) -> bool:
    """Whether the traceback of an unexpected error should show: `--verbose` anywhere on the command
    line (the global flag or a command's own) or HARNESS_VERBOSE set."""
    return "--verbose" in argv or os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def quiet_engine_logs(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.ERROR
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for name in ("lm_eval", "transformers", "datasets", "accelerate", "peft"):
        logging.getLogger(name).setLevel(level)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
