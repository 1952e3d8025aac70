"""The one interface of the scorers that run after generation (judge, COMET, language ID, ...).

A scorer declares what it reads of each stored sample, what it writes (task metrics and
per-sample scores, and whether higher or lower is better), the environment it needs and its
fingerprint. `harness eval` builds the scorers a run asks for (`for_run`) before any model loads
and passes every task's outcome through each in turn; `harness rescore --metric NAME` builds one
(`for_rescore`) and passes it the outcome rebuilt from a stored run's samples. Both call the same
`score`, so the same outputs get the same numbers. A scorer is one module plus one line in
`harness.scorers.registry`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from core.records import MetricResult, SampleRecord, TaskOutcome


@dataclass(frozen=True)
class Written:
    """One metric a scorer adds to a task."""

    metric: str
    higher_is_better: bool
    per_sample: bool = True
    """Each sample gets a score of this name (the task metric is its mean or sum)."""


@dataclass(frozen=True)
class ScorerOptions:
    """The options of `harness eval` or `harness rescore` that scorers read."""

    comet_model: str | None = None
    cometkiwi_model: str | None = None
    xcomet_model: str | None = None
    lid_model: str | None = None
    judge_model: str | None = None
    device: str | None = None
    dtype: str = "auto"
    batch_size: int = 8
    comet_batch_size: int | None = None
    """COMET's own batch size (`harness rescore --batch-size`); None: COMET's default."""


@dataclass(frozen=True)
class ScorerContext:
    """What a run hands its scorers before any model loads."""

    options: ScorerOptions
    families: Sequence[Any]
    """The task families of the run (`tasks.base.TaskFamily`)."""
    warn: Callable[[str], None]
    resolve_model: Callable[[str], Any] | None = None
    """A model name, folder or alias -> the engine's model spec (for a scorer that loads a model)."""
    load_model: Callable[[Any], Any] | None = None
    """A model spec -> an lm-eval model on this run's device (loaded on the first call)."""
    tasks: dict[str, Any] = field(default_factory=dict)
    """Task name -> its family, for the tasks the run holds."""


@dataclass(frozen=True)
class EvaluatedModel:
    """The model a run evaluates, once loaded: a scorer may reuse it (the judge, when it is the same)."""

    lm: Any
    spec: Any


class Scorer(Protocol):
    name: ClassVar[str]
    """`harness rescore --metric NAME`, and the key of its entry in the run fingerprint."""
    reads: ClassVar[tuple[str, ...]]
    """Sample fields it reads: `output`, `target`, `prompt`, or a score field such as `source`."""
    writes: ClassVar[tuple[Written, ...]]
    environment: ClassVar[str]
    """What it needs installed, as a user reads it."""

    def fingerprint(self) -> dict[str, Any]: ...

    def applies(self, family: Any, task: str) -> bool:
        """Whether it scores this task (a classmethod on every scorer)."""
        ...

    def attach(self, evaluated: EvaluatedModel) -> None:
        """Called by `harness eval` once the evaluated model is loaded."""
        ...

    def score(self, family: Any, task: str, outcome: TaskOutcome) -> TaskOutcome:
        """The outcome with this scorer's metrics and per-sample scores added (earlier ones replaced)."""
        ...


class ScorerFactory(Protocol):
    """What the registry names: a scorer class with its two constructors."""

    name: ClassVar[str]
    reads: ClassVar[tuple[str, ...]]
    writes: ClassVar[tuple[Written, ...]]
    environment: ClassVar[str]
    scores_what: ClassVar[str]
    """The tasks it scores, as an error message names them ("MT task (FLORES flores_*, ...)")."""

    @classmethod
    def applies(cls, family: Any, task: str) -> bool:
        """Whether it scores this task."""
        ...

    @classmethod
    def for_run(cls, context: ScorerContext) -> Scorer | None:
        """The scorer for `harness eval`, or None when the run does not ask for it (a warning says why
        when the user might expect it). Checks what it can before any model loads."""
        ...

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> Scorer:
        """The scorer for `harness rescore --metric NAME`; an error naming the missing option otherwise."""
        ...


def with_results(
    outcome: TaskOutcome,
    rows: Sequence[MetricResult],
    per_doc: dict[int, dict[str, Any]],
) -> TaskOutcome:
    """`outcome` with `rows` in place of metrics of the same names and each sample's fields merged."""
    names = {r.metric for r in rows}
    samples = [
        replace(s, scores={**s.scores, **per_doc[s.doc_id]}) if s.doc_id in per_doc else s
        for s in outcome.samples
    ]
    return replace(
        outcome, metrics=[m for m in outcome.metrics if m.metric not in names] + list(rows), samples=samples
    )


def added(before: TaskOutcome, after: TaskOutcome, scorer: Any) -> tuple[list[MetricResult], dict[int, dict]]:
    """What `scorer` added: its metric rows, and each document's new or changed score fields."""
    names = {w.metric for w in scorer.writes}
    rows = [m for m in after.metrics if m.metric in names]
    old = {s.doc_id: s.scores for s in before.samples}
    per_doc = {
        s.doc_id: {k: v for k, v in s.scores.items() if old.get(s.doc_id, {}).get(k, object()) != v}
        for s in after.samples
    }
    return rows, per_doc


def outcome_of_samples(task: str, version: str, task_hash: str, samples: Sequence[Any]) -> TaskOutcome:
    """A stored task rebuilt as an outcome (rows as `db.queries.list_samples` returns them)."""
    records = [
        SampleRecord(s.doc_id, s.doc_hash, s.prompt, s.target, s.output, dict(s.scores)) for s in samples
    ]
    return TaskOutcome(task, version, task_hash, [], records)
