"""`harness report RUN|MODEL[@STEP]`: one run as a self-contained document for a pull request, a
model card or a paper appendix: the per-task table, the model's leaderboard row on the same tasks,
a per-language chart, a gate-style comparison with a baseline, and the run's fingerprint.

Fit for a model card: every number on its metric's display scale (`core.scale`: accuracies and rates
on 0-100, one precision per metric, one blank), intervals only where the documents support one
(`interval`), and nothing that names the machine it was made on (`public`).

Everything is read from the database (and, for the baseline, from whatever `harness gate` accepts:
a run id, `model[@step]` or a results file). Rendering lives in `harness.report_render` (Markdown,
HTML) and `harness.report_svg` (the chart).
"""

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, select

from core.errors import HarnessError
from core.languages import language_info
from core.scale import BLANK, clip, shown, text
from db.app_queries import Z95, Filters, RunDetail, run_detail
from db.leaderboard import Contamination, Leaderboard, Row, contamination_of, leaderboard
from db.models import Checkpoint, Model
from db.queries import ResultRow, find_run, list_results
from harness.gate import GateReport

ReportFormat = Literal["md", "html"]
RESOURCE_ORDER = {"high": 0, "medium": 1, "low": 2, "unknown": 3}
DIRECTIONAL_N = 100
"""Below this many documents a task's numbers are directional only (the report's banner, † marks)."""
MIN_INTERVAL_N = 10
"""Below this many documents no interval is shown: a normal interval from 2-9 documents is noise."""
_PATH = re.compile(r"(?<![\w.:/~-])(?:~|[A-Za-z]:)?(?:/[^\s/|'\"`<>()\[\]{},;]+)+/?")


def _machine_roots() -> list[str]:
    """Folders of this machine that must not appear in a report (longest first)."""
    roots = {str(Path.home()), os.getcwd(), tempfile.gettempdir(), str(Path(__file__).resolve().parents[1])}
    roots |= {
        os.environ[v]
        for v in ("HARNESS_CACHE", "SACREBLEU", "HF_HOME", "XDG_CACHE_HOME")
        if os.environ.get(v)
    }
    return sorted((r.rstrip("/") for r in roots if len(r.rstrip("/")) > 1), key=len, reverse=True)


def public(value: str) -> str:
    """`value` with every absolute local path cut to `…/<last part>` (a checkpoint folder, the
    SentencePiece model in an spBLEU note, a cache file in the fingerprint): a report is published,
    and the machine's folders are neither reproducible nor anyone's business."""

    def short(match: re.Match[str]) -> str:
        name = match.group(0).rstrip("/").rsplit("/", 1)[-1]
        return f"…/{name}" if name else "…"

    value = _PATH.sub(short, value)
    for root in _machine_roots():
        value = value.replace(root, "…")
    return value


def interval(metric: str, value: float | None, stderr: float | None, n: int) -> tuple[float, float] | None:
    """The 95% interval of a stored score on its display scale, clipped to the metric's range; None
    when it would mislead: no standard error, fewer than `MIN_INTERVAL_N` documents, or a zero
    standard error from fewer than `DIRECTIONAL_N` documents (a zero-width interval from a handful
    of documents says nothing about the spread)."""
    if value is None or stderr is None or n < MIN_INTERVAL_N or (stderr == 0 and n < DIRECTIONAL_N):
        return None
    low, high = clip(metric, shown(metric, value - Z95 * stderr), shown(metric, value + Z95 * stderr))
    return None if low is None or high is None else (low, high)


@dataclass(frozen=True)
class Bar:
    """One task's primary score in the per-language chart."""

    language: str
    language_name: str
    resource: str
    task: str
    metric: str
    value: float
    """On the metric's display scale (`core.scale`), as every number of the chart."""
    ci: tuple[float, float] | None
    """See `interval`: None where an interval would mislead."""
    n: int
    baseline: float | None
    """The baseline's score on the same documents (from the gate comparison), when given."""


@dataclass(frozen=True)
class Report:
    ref: str
    run: RunDetail
    results: list[ResultRow]
    """The run's stored rows for the reported tasks, by task, primary metric first."""
    tasks: list[str]
    board: Leaderboard
    """The leaderboard on the reported tasks (every model that has any of them)."""
    row: Row | None
    bars: list[Bar]
    gate: GateReport | None
    baseline_ref: str | None
    contamination: Contamination | None

    @property
    def title(self) -> str:
        step = f" step {self.run.step}" if self.run.step is not None else ""
        return f"{self.run.model}{step} · run {self.run.run_id[:8]}"

    @property
    def sizes(self) -> dict[str, int]:
        """Documents per reported task (the largest n among its metrics)."""
        sizes: dict[str, int] = {}
        for r in self.results:
            sizes[r.task] = max(sizes.get(r.task, 0), r.n)
        return sizes

    @property
    def small_tasks(self) -> list[str]:
        """Tasks with fewer than `DIRECTIONAL_N` documents: their numbers are directional only."""
        return sorted(task for task, n in self.sizes.items() if n < DIRECTIONAL_N)

    @property
    def standing(self) -> bool:
        """Whether the leaderboard's row for this model is made of this run's results only."""
        return self.row is not None and self.row.runs == (self.run.run_id,)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested dict as `a.b` -> shown value (a dash for missing, no local path)."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), public(text(value)))]


def notes(report: Report) -> list[str]:
    """Protocols and notes, numbered in order of first use."""
    notes: list[str] = []
    for r in report.results:
        for note in (r.protocol, r.note):
            if note and public(note) not in notes:
                notes.append(public(note))
    return notes


def run_facts(report: Report) -> list[tuple[str, str]]:
    run = report.run
    facts = [
        ("model", run.model),
        ("checkpoint", run.checkpoint),
        ("kind", run.kind),
        ("step", text(run.step)),
        ("tokens seen", BLANK if run.tokens_seen is None else f"{run.tokens_seen:,}"),
        ("parent", text(run.parent)),
        ("run", run.run_id),
        ("status", run.status),
        ("started", text(run.started_at)),
        ("finished", text(run.finished_at)),
    ]
    if report.contamination is not None:
        flag = "⚠ " if report.contamination.contaminated else ""
        facts.append(("contamination", flag + report.contamination.describe()))
    return [(field, public(value)) for field, value in facts]


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
        if r.metric != r.primary_metric or r.value is None or r.language is None:
            continue
        info = language_info(r.language)
        value = shown(r.metric, r.value)
        assert value is not None
        ci = interval(r.metric, r.value, r.stderr, r.n)
        base = shown(r.metric, baseline.get((r.task, r.metric)))
        bars.append(Bar(r.language, info.name, info.resource, r.task, r.metric, value, ci, r.n, base))
    return sorted(bars, key=lambda b: (RESOURCE_ORDER.get(b.resource, 3), b.language, b.task))


def _gate(run_id: str, baseline: str, tasks: list[str], db: str | None) -> GateReport:
    from harness.gate import compare, load_side

    return compare(load_side(baseline, db), load_side(run_id, db), tasks=tasks)


def build_report(ref: str, baseline: str | None, tasks: list[str] | None, db: str | None) -> Report:
    from db.session import make_engine

    engine = make_engine(db)
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
    from harness.report_render import to_html, to_markdown

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
    chosen = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    report = build_report(ref, baseline, chosen, db)
    written = write_report(report, output_format, Path(out))  # type: ignore[arg-type]
    if json_output:
        gate = None
        if report.gate is not None:
            from harness.gate_report import to_json as gate_json

            gate = gate_json(report.gate)
        print(to_json({"run_id": report.run.run_id, "files": [str(p) for p in written], "gate": gate}))
    else:
        for path in written:
            console().print(f"wrote {path}", markup=False, soft_wrap=True)
