"""`harness tokenizer-report`: tokenizer statistics per language on FLORES-200."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, fail, quiet_engine_logs


def tokenizer_report_command(
    model: Annotated[
        str, typer.Option(help="Model(s), comma-separated: folder, alias or hub id, as for eval.")
    ],
    langs: Annotated[
        str | None, typer.Option(help="FLORES-200 codes, comma-separated (default: all); eng_Latn always.")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Folder holding flores200/ (else HARNESS_DATA_DIR).")
    ] = None,
    split: Annotated[str, typer.Option(help="FLORES-200 split: dev or devtest.")] = "devtest",
    base: Annotated[
        str | None, typer.Option(help="Also report this model and show each model's change.")
    ] = None,
    db: Db = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Tokens per word and character, bytes per token, parity with English, unknown and byte-fallback
    tokens per language on FLORES-200 (docs/tokenizers.md); stored under each model's checkpoint."""
    from harness.analysis import tokenizer_report as tr

    quiet_engine_logs(False)
    try:
        report = tr.run_report(model.split(","), langs, data_dir, split, base, db)
    except HarnessError as exc:
        fail(exc)
        return
    if json_output:
        from harness.output import to_json

        typer.echo(to_json(report.to_json()))
    else:
        tr.print_report(report)
