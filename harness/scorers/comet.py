"""COMET (unbabel-comet) for the MT tasks, and what the COMET family's scorers share (`comet`,
`cometkiwi` in `harness.scorers.comet_qe`, `xcomet` in `harness.scorers.xcomet`): each runs one
`harness.scorers.comet_model.CometModel` over a task's (source, output[, reference]) triples, as
`comet-score` does, and writes one task row and one score per sample.

unbabel-comet pins transformers<5 and numpy<2, so it usually lives in its own environment
(`scripts/setup_comet.sh` makes `.venv-comet`): there, `harness rescore RUN --metric comet` scores
the outputs a run already stored, and `harness eval --comet-model` scores each MT task in-process.
Both go through `neural_outcome`, so the same outputs get the same numbers.

The task value is the model's `system_score` (mean of the segment scores) on COMET's own scale, as
`comet-score` prints it: not multiplied by 100, unlike chrF++ and BLEU. Every metric of the family
declares its language coverage (`core.coverage`: XLM-R's 100 training languages); a task whose
source or target language is outside it gets the flag in its row's note.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from core.coverage import XLMR, Coverage, coverage_note
from core.errors import HarnessError
from core.records import MetricResult, TaskOutcome
from harness.scorers.base import EvaluatedModel, ScorerContext, Written
from harness.scorers.comet_model import BATCH_SIZE, CometModel, CometScores, require_comet

METRIC = "comet"
HUB_DEFAULT = "Unbabel/wmt22-comet-da"
"""The model `comet-score` uses by default (needs network, or the Hugging Face cache)."""
MT_FAMILIES = ("flores", "flores+", "ifmt", "ifmt_terms")
"""Registry families whose tasks are translation and get COMET: FLORES-200 and the IF-MT tasks."""
NOTE = "COMET's own scale (mean of segment scores as comet-score prints it, not x100)"


def is_mt_family(family: str) -> bool:
    return family in MT_FAMILIES


@dataclass(frozen=True)
class NeuralMetric:
    """What one metric of the COMET family writes and reads."""

    metric: str
    """The task row's and each sample's score name."""
    note: str
    references: bool
    """Whether the model reads the reference (COMET, xCOMET) or not (CometKiwi)."""
    coverage: Coverage = XLMR
    spans_field: str | None = None
    """The sample field that stores each segment's error spans (xCOMET); None: no spans."""


COMET = NeuralMetric(METRIC, NOTE, references=True)


def languages_of(family: Any, task: str) -> list[tuple[str, str]]:
    """The (side, FLORES-200 code) pairs a translation task's metric reads; [] when the family does
    not name them."""
    declared = getattr(family, "translation_languages", None)
    if declared is None:
        return []
    source, target = declared(task)
    return [("source", source), ("target", target)]


def metric_row(
    task: str, metric: NeuralMetric, scores: CometScores, signature: str, languages: Sequence[tuple[str, str]]
) -> MetricResult:
    """The task-level row: the system score, with the standard error of the segment mean, and the
    coverage flag in its note when the task reads a language outside the metric's coverage."""
    n = len(scores.segments)
    stderr = None
    if n > 1:
        mean = sum(scores.segments) / n
        stderr = math.sqrt(sum((x - mean) ** 2 for x in scores.segments) / (n - 1) / n)
    note = "; ".join(p for p in (metric.note, coverage_note(metric.coverage, languages)) if p)
    return MetricResult(task, metric.metric, scores.system, stderr, n, signature, note)


def neural_outcome(
    metric: NeuralMetric, family: Any, task: str, outcome: TaskOutcome, model: CometModel
) -> TaskOutcome:
    """The outcome of an MT task with `metric` added: its row, each sample's score (and error spans
    where the metric gives them). Sources come from each sample's `source` score field, references
    from its target. Shared by `harness eval` and `harness rescore`."""
    samples = outcome.samples
    missing = [s.doc_id for s in samples if not isinstance(s.scores.get("source"), str)]
    if missing:
        raise HarnessError(
            f"{task} doc {missing[0]}: the sample carries no source sentence for {metric.metric}"
        )
    empty = [s.doc_id for s in samples if not str(s.scores["source"]).strip()]
    if empty:
        raise HarnessError(
            f"{task} doc {empty[0]}: no source sentence (the data gives none); "
            f"{metric.metric} needs the source"
        )
    references = [s.target for s in samples] if metric.references else None
    scores = model.score([str(s.scores["source"]) for s in samples], [s.output for s in samples], references)
    fields: list[dict[str, Any]] = [{metric.metric: score} for score in scores.segments]
    if metric.spans_field is not None:
        if scores.error_spans is None:
            raise HarnessError(f"{task}: {model.checkpoint.given} gave no error spans for {metric.metric}")
        for field, spans in zip(fields, scores.error_spans, strict=True):
            field[metric.spans_field] = spans
    row = metric_row(task, metric, scores, model.signature, languages_of(family, task))
    scored = [replace(s, scores={**s.scores, **f}) for s, f in zip(samples, fields, strict=True)]
    metrics = [m for m in outcome.metrics if m.metric != metric.metric] + [row]
    return replace(outcome, metrics=metrics, samples=scored)


def model_for_run(
    option: str | None,
    flag: str,
    metric: str,
    families: Sequence[str],
    device: str | None,
    warn: Callable[[str], None],
    hub_default: str = "",
) -> CometModel | None:
    """The model `harness eval FLAG` uses, checked before any model is loaded (unbabel-comet
    importable, checkpoint present); None without the option or when no task is MT."""
    if not option:
        return None
    require_comet(flag, metric)
    if not any(is_mt_family(f) for f in families):
        warn(f"{flag} {option}: none of the tasks is MT (FLORES, IF-MT); {metric} is not loaded")
        return None
    return CometModel(option, device=device, flag=flag, metric=metric, hub_default=hub_default)


class NeuralScorer:
    """A scorer of the COMET family (`harness.scorers.base.Scorer`) of the MT tasks; each metric is a
    subclass naming its `NeuralMetric`, its model option and the model class it takes."""

    name: ClassVar[str] = METRIC
    reads: ClassVar[tuple[str, ...]] = ("output", "target", "source")
    writes: ClassVar[tuple[Written, ...]] = (Written(METRIC, higher_is_better=True),)
    environment = "unbabel-comet, in its own environment (scripts/setup_comet.sh makes .venv-comet)"
    scores_what = "MT task (FLORES flores_*, IF-MT ifmt_*)"
    coverage: ClassVar[Coverage] = XLMR
    spec: ClassVar[NeuralMetric] = COMET
    option: ClassVar[str] = "comet_model"
    """The `ScorerOptions` field holding the model."""
    flag: ClassVar[str] = "--comet-model"
    hub_default: ClassVar[str] = HUB_DEFAULT
    model_class: ClassVar[tuple[str, str, bool | None] | None] = None
    """(class_identifier, what it is, whether it reads references) the checkpoint must declare; None:
    not checked."""

    def __init__(self, model: CometModel) -> None:
        self.model = model
        if self.model_class is not None:
            model.expect(*self.model_class)

    @classmethod
    def for_run(cls, context: ScorerContext) -> "NeuralScorer | None":
        options = context.options
        families = [f.name for f in context.families]
        given = getattr(options, cls.option)
        model = model_for_run(
            given, cls.flag, cls.name, families, options.device, context.warn, cls.hub_default
        )
        return cls(model) if model is not None else None

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> "NeuralScorer":
        """The model option, or the metric's hub model when it is not given (gated: the user's token)."""
        options = context.options
        model = getattr(options, cls.option) or cls.hub_default
        batch_size = options.comet_batch_size or BATCH_SIZE
        return cls(CometModel(model, batch_size, None, True, cls.flag, cls.hub_default, cls.name))

    @classmethod
    def applies(cls, family: Any, task: str) -> bool:
        return is_mt_family(family.name)

    def fingerprint(self) -> dict[str, Any]:
        return {**self.model.fingerprint(), "coverage": self.coverage.fingerprint()}

    def attach(self, evaluated: EvaluatedModel) -> None:
        """The COMET family does not use the evaluated model."""

    def score(self, family: Any, task: str, outcome: TaskOutcome) -> TaskOutcome:
        return neural_outcome(self.spec, family, task, outcome, self.model)


class Comet(NeuralScorer):
    """Reference-based COMET (`Unbabel/wmt22-comet-da` and other `RegressionMetric` checkpoints)."""

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> "NeuralScorer":
        if not context.options.comet_model:
            raise HarnessError(
                "--metric comet needs --comet-model: a local <model>/checkpoints/model.ckpt, its <model> "
                f"folder, or a hub name such as {HUB_DEFAULT}"
            )
        return super().for_rescore(context)
