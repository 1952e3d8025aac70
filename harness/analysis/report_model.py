"""What a report holds and the rules it follows, with no rendering: the `Report` and its chart
bars, when a number is directional only, which intervals are shown, and how stored strings lose
the machine's paths (`public`). `harness.analysis.report` builds one; `report_render` and
`report_svg` draw it."""

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.scale import BLANK, clip, shown, text
from db.app_queries import Z95, RunDetail
from db.leaderboard import Contamination, Leaderboard, Row
from db.queries import ResultRow
from harness.analysis.gate import GateReport

ReportFormat = Literal["md", "html"]
RESOURCE_ORDER = {"high": 0, "medium": 1, "low": 2, "unknown": 3}
DAGGER = "†"
DIRECTIONAL_N = 100
"""Below this many documents a task's numbers are directional only (the report's banner, † marks)."""
MIN_INTERVAL_N = 10
"""Below this many documents no interval is shown: a normal interval from 2-9 documents is noise."""
_PATH = re.compile(r"(?<![\w.:/~-])(?:~|[A-Za-z]:)?(?:/[^\s/|'\"`<>()\[\]{},;]+)+/?")


def _machine_roots() -> list[str]:
    """Folders of this machine that must not appear in a report (longest first)."""
    roots = {str(Path.home()), os.getcwd(), tempfile.gettempdir(), str(Path(__file__).resolve().parents[2])}
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
