"""`harness report RUN|MODEL[@STEP]`: one run as a self-contained document for a pull request, a
model card or a paper appendix: the per-task table, the model's leaderboard row on the same tasks,
a per-language chart, a gate-style comparison with a baseline, and the run's fingerprint.

Fit for a model card: every number on its metric's display scale (`core.scale`: accuracies and rates
on 0-100, one precision per metric, one blank), intervals only where the documents support one
(`interval`), and nothing that names the machine it was made on (`public`).

Everything is read from the database (and, for the baseline, from whatever `harness gate` accepts:
a run id, `model[@step]` or a results file). Rendering lives in `harness.analysis.report_render` (Markdown,
HTML) and `harness.analysis.report_svg` (the chart).
"""

from pathlib import Path

from sqlalchemy import Engine, select

from core.errors import HarnessError
from core.languages import language_info, placed_language
from core.scale import shown
from db.app_queries import Filters, run_detail
from db.leaderboard import contamination_of, leaderboard
from db.models import Checkpoint, Model
from db.queries import ResultRow, find_run, list_results
from harness.analysis.gate import GateReport
from harness.analysis.report_model import (
    RESOURCE_ORDER,
    Bar,
    Report,
    ReportFormat,
    interval,
)


def resolve_run(engine: Engine, ref: str) -> str:
    """The run a reference names (run id or unique prefix, `model`, `model@step`); exit 2 otherwise."""
    name, at, step = ref.partition("@")
    if at and not step.isdigit():
        raise HarnessError(f"{ref!r}: the step after @ must be a whole number")
    run_id = find_run(engine, ref)
    if run_id is not None:
        return run_id
    with engine.connect() as conn:
        model = conn.execute(select(Model.id).where(Model.name == name)).scalar()
        if model is not None and at:
            steps = conn.execute(select(Checkpoint.step).where(Checkpoint.model_id == model)).scalars().all()
            known = ", ".join(str(s) for s in sorted(s for s in steps if s is not None)) or "none"
            raise HarnessError(f"model {name!r} has no complete run at step {step} (steps: {known})")
        if model is not None:
            raise HarnessError(f"model {name!r} has no complete run")
    raise HarnessError(f"{ref!r} is neither a run id nor a model in the database")


def _ordered(rows: list[ResultRow]) -> list[ResultRow]:
    return sorted(rows, key=lambda r: (r.task, r.metric != r.primary_metric, r.metric))


def _bars(results: list[ResultRow], gate: GateReport | None) -> list[Bar]:
    baseline = {(v.task, v.metric): v.result.baseline for v in gate.verdicts} if gate else {}
    bars = []
    for r in results:
        language = placed_language(r.language, r.source_language)  # a direction into English: its source
        if r.metric != r.primary_metric or r.value is None or language is None:
            continue
        info = language_info(language)
        value = shown(r.metric, r.value)
        assert value is not None
        ci = interval(r.metric, r.value, r.stderr, r.n)
        base = shown(r.metric, baseline.get((r.task, r.metric)))
        bars.append(Bar(language, info.name, info.resource, r.task, r.metric, value, ci, r.n, base))
    return sorted(bars, key=lambda b: (RESOURCE_ORDER.get(b.resource, 3), b.language, b.task))


def _gate(run_id: str, baseline: str, tasks: list[str], db: str | None) -> GateReport:
    from harness.analysis.gate import compare, load_side

    return compare(load_side(baseline, db), load_side(run_id, db), tasks=tasks)


def build_report(ref: str, baseline: str | None, tasks: list[str] | None, db: str | None) -> Report:
    from db.session import make_engine

    engine = make_engine(db, read_only=True)
    run_id = resolve_run(engine, ref)
    detail = run_detail(engine, run_id)
    assert detail is not None
    rows = list_results(engine, run_id=run_id, include_incomplete=True)
    stored = sorted({r.task for r in rows})
    if not stored:
        raise HarnessError(f"run {run_id} ({ref}) has no stored results")
    chosen = tasks or stored
    unknown = [t for t in chosen if t not in stored]
    if unknown:
        raise HarnessError(
            f"--tasks: {', '.join(unknown)} not in run {run_id[:8]} (it has: {', '.join(stored)})"
        )
    results = _ordered([r for r in rows if r.task in chosen])
    gate = _gate(run_id, baseline, chosen, db) if baseline else None
    board = leaderboard(engine, by="family", filters=Filters(tasks=chosen))
    return Report(
        ref=ref,
        run=detail,
        results=results,
        tasks=chosen,
        board=board,
        row=board.row(detail.model),
        bars=_bars(results, gate),
        gate=gate,
        baseline_ref=baseline,
        contamination=contamination_of(detail.recipe),
    )


def write_report(report: Report, output_format: ReportFormat, out: Path) -> list[Path]:
    """Write the report; returns every file written (Markdown: the .md and one .svg per chart)."""
    from harness.analysis.report_render import to_html, to_markdown

    out.parent.mkdir(parents=True, exist_ok=True)
    if output_format == "html":
        out.write_text(to_html(report), encoding="utf-8")
        return [out]
    text, charts = to_markdown(report, out.stem)
    written = [out]
    for name, svg in charts.items():
        path = out.with_name(name)
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    out.write_text(text, encoding="utf-8")
    return written


def check_out(out: str, output_format: str) -> None:
    """`--out` names the report file: a folder (existing, or written with a trailing slash) is
    refused before anything is written (a Markdown report's charts go beside the file)."""
    import os

    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        raise HarnessError(
            f"--out {out}: is a folder; give the report's file name, e.g. "
            f"{path / ('report.' + output_format)} (md: its charts are written beside it as .svg files)"
        )
    if path.exists() and not path.is_file():
        raise HarnessError(f"--out {out}: exists and is not a regular file; give the report's file name")


def run_report(
    ref: str,
    out: str,
    output_format: str,
    baseline: str | None,
    tasks: str | None,
    db: str | None,
    json_output: bool,
) -> None:
    """`harness report`: build, write, and say what was written (exit 2 on a `HarnessError`)."""
    from harness.output import console, to_json

    if output_format not in ("md", "html"):
        raise HarnessError(f"--format must be md or html, not {output_format!r}")
    check_out(out, output_format)
    chosen = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    report = build_report(ref, baseline, chosen, db)
    written = write_report(report, output_format, Path(out))  # type: ignore[arg-type]
    if json_output:
        gate = None
        if report.gate is not None:
            from harness.analysis.gate_report import to_json as gate_json

            gate = gate_json(report.gate)
        print(to_json({"run_id": report.run.run_id, "files": [str(p) for p in written], "gate": gate}))
    else:
        for path in written:
            console().print(f"wrote {path}", markup=False, soft_wrap=True)
