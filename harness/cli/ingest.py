"""`harness ingest lm-eval`: import lm-eval's results as runs."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import Db, fail


def ingest_lm_eval(
    folder: Annotated[str, typer.Argument(help="lm-eval's --output_path (searched for results_*.json).")],
    model_name: Annotated[str | None, typer.Option(help="Register the runs under this model name.")] = None,
    db: Db = None,
) -> None:
    """Import lm-eval's results_*.json and samples_*.jsonl as complete runs (idempotent)."""
    from pathlib import Path

    from core.lineage import Lineage
    from db.session import make_engine, make_session_factory
    from db.store import store_imported_run
    from harness.analysis.ingest import find_results, read_results
    from harness.output import printable

    try:
        files = find_results(Path(folder))
        factory = make_session_factory(make_engine(db))
        for path in files:
            run = read_results(path, model_name)
            added = store_imported_run(
                factory,
                run.run_id,
                Lineage(model_name=run.model),
                run.source,
                run.fingerprint,
                list(zip(run.tasks, run.metas, strict=True)),
            )
            samples = sum(len(t.samples) for t in run.tasks)
            state = "imported" if added else "already stored"
            typer.echo(
                printable(
                    f"{state}: run {run.run_id} ({run.model}, {len(run.tasks)} tasks, {samples} samples)"
                    f" from {path}"
                )
            )
    except HarnessError as exc:
        fail(exc)
