"""Typed records a task produces: its metrics and scored documents, ready to store or print."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricResult:
    """One metric of one task."""

    task: str
    metric: str
    value: float | None
    stderr: float | None
    n: int
    signature: str
    note: str = ""


@dataclass(frozen=True)
class SampleRecord:
    """One scored document."""

    doc_id: int
    doc_hash: str
    prompt: str
    target: str
    output: str
    scores: dict[str, Any]
    """Per-document metrics (numbers) and details such as each choice's loglikelihood."""


@dataclass
class TaskOutcome:
    """All a task produced in one run."""

    task: str
    version: str
    task_hash: str
    metrics: list[MetricResult]
    samples: list[SampleRecord] = field(default_factory=list)


@dataclass(frozen=True)
class TaskMeta:
    """What a task's family declares about it, stored with each of its results so that the app, the
    gate and `harness results` never guess from the task's name."""

    family: str
    """The registry family (`flores`, `kobest`, ...)."""
    language: str | None
    """The language the task evaluates, a FLORES-200 code (`lin_Latn`); None when it has none."""
    primary_metric: str
    """The metric that stands for the task on the leaderboard and in the gate."""
    sample_metric: str
    """The per-document form of the primary metric for paired comparisons: a key of the samples'
    scores (its mean over documents), or `numerator/denominator` (two keys whose sums divide)."""
    protocol: str
    """Whose protocol the numbers follow, in one line ("lm-eval kobest", "GAOKAO-Bench official,
    generative")."""
    source_language: str | None = None
    """A translation task's source language (a FLORES-200 code); `language` is then its target.
    None for tasks that are not translation directions. Language views place a result by both
    (`core.languages.placed_language`)."""
