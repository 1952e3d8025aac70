"""What a training step did to each language: the candidate against its base, task by task, with the
languages split into the adaptation's targets and the rest (`harness compare`, the app's Adaptation page).

References (`base`, `candidate`) name what is in the database:
- a run id, or a unique prefix of one (6+ characters): that run's results;
- `model@step`: the model's checkpoint at that training step, its newest complete result per task;
- `model`: the model's last evaluated checkpoint (highest step), its newest complete result per task.
With no candidate, `base` names the candidate (`model` or `model@step`) and it is compared against the
base of its lineage: following the checkpoint's parents (each manifest's `parent`) up to the first
checkpoint of another model, the one the recipe started from.

Every task both sides hold is compared on its primary metric, as its family declared it when the
result was stored, with `harness.analysis.gate.compare_task` (documents paired on their hash; a paired
permutation test for per-document metrics, paired approximate randomization for corpus metrics and
ratios of sums such as bits per byte; a 95% paired-bootstrap interval). Holm's correction runs over
all the tasks compared. Direction: `core.scale.LOWER_IS_BETTER` (bits per byte, off-target rate); a
change's `gain` is signed so that positive is better.

Targets: `--targets` (FLORES-200 codes such as `lin_Latn`; an ISO 639-3 code such as `lin` matches
every script of that language), else the `target_languages` of the recipe recorded in the candidate
checkpoint's manifest, else none.

`checkpoint_series(engine, model)` is the lineage for the app: the base (comparison None) and then each
evaluated checkpoint of `model` in step order, each with its recipe name and its `Comparison` against
the base (targets as above: `--targets`-style `targets`, else each checkpoint's recipe). The base's
side is read once. Bits-per-byte curves come from the comparisons' `TaskChange.base` / `.candidate`.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from core.errors import HarnessError
from core.scale import BLANK, fmt_delta
from core.stats import DEFAULT_TRIALS, holm, verdict
from harness.analysis.adaptation_refs import Resolved, label_of, load_side, resolve, resolve_base, targets_of
from harness.analysis.gate import CannotCompare, Side, compare_task, lower_is_better


@dataclass(frozen=True)
class TaskChange:
    """One task's change from the base to the candidate, on its primary metric."""

    task: str
    family: str
    language: str | None
    metric: str
    higher_is_better: bool
    base: float
    candidate: float
    delta: float
    """candidate - base, on the metric's stored scale (fractions 0-1, chrF++ 0-100, bits per byte)."""
    gain: float
    """`delta` signed so that positive is better (-delta for bits_per_byte, off_target)."""
    low: float
    high: float
    """95% paired-bootstrap interval of `delta`."""
    p: float
    p_holm: float
    """Holm-adjusted over every TaskChange of the comparison."""
    significant: bool
    """The adjusted test supports a direction (verdict better or worse)."""
    verdict: str
    """`core.stats.verdict`: better, worse, no significant difference, not enough evidence."""
    n: int
    """Documents paired."""
    target: bool
    """Its language is one of the comparison's targets."""
    differing: int = 0
    """Documents whose scores differ."""
    method: str = ""
    """The test used (`core.stats`)."""


@dataclass(frozen=True)
class MetricSummary:
    """The mean gain over one primary metric's tasks (means of `TaskChange.gain`, stored scale)."""

    metric: str
    higher_is_better: bool
    mean_gain_targets: float | None
    mean_change_rest: float | None
    targets: int
    """Tasks on target languages."""
    rest: int
    """Tasks on the other languages (and tasks without a language)."""


@dataclass(frozen=True)
class Comparison:
    """A candidate against its base, every task in common."""

    base: str
    candidate: str
    base_runs: list[str]
    candidate_runs: list[str]
    targets: list[str]
    """FLORES-200 codes."""
    targets_from: str
    """`--targets`, `recipe <name>` or `none`."""
    changes: list[TaskChange]
    """Targets first, then by language and task."""
    summaries: list[MetricSummary]
    forgetting: list[str]
    """Non-target languages with at least one significant loss."""
    gains: list[str]
    """Target languages with at least one significant gain."""
    skipped: list[str]
    """`task: why` for tasks that could not be compared."""
    alpha: float = 0.05

    def carried_by(self, language: str | None, word: str) -> list[TaskChange]:
        """The language's tasks with verdict `word` (`worse`: which benchmarks carry its forgetting)."""
        return [c for c in self.changes if c.language == language and c.verdict == word]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeriesPoint:
    """One checkpoint of a lineage (`checkpoint_series`)."""

    label: str
    checkpoint_id: int
    model: str
    step: int | None
    tokens_seen: int | None
    recipe: str | None
    """The recipe's name (`cpt`, `lora`, ...) from its manifest; None for the base."""
    comparison: Comparison | None
    """Against the base; None for the base itself."""


def compare(
    session: Engine,
    base: str,
    candidate: str | None = None,
    *,
    targets: list[str] | None = None,
    tasks: list[str] | None = None,
    alpha: float = 0.05,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
) -> Comparison:
    """`candidate` against `base` (both references, see the module docstring) in the database behind
    the engine `session`; with `candidate` None, `base` is the candidate, against its lineage's base."""
    if candidate is None:
        cand = resolve(session, base)
        ref = resolve_base(session, cand)
    else:
        ref, cand = resolve(session, base), resolve(session, candidate)
    chosen, source = targets_of(targets, cand)
    if tasks:
        unknown = [t for t in tasks if t not in ref.runs and t not in cand.runs]
        if unknown:
            raise HarnessError(f"--tasks: {', '.join(unknown)} not stored for {ref.label} or {cand.label}")
    base_side = load_side(session, ref, tasks)
    return compare_sides(
        base_side, load_side(session, cand, tasks), ref, cand, chosen, source, alpha, trials, seed
    )


def compare_sides(
    base_side: Side,
    cand_side: Side,
    ref: Resolved,
    cand: Resolved,
    targets: list[str],
    targets_from: str,
    alpha: float,
    trials: int,
    seed: int,
) -> Comparison:
    """The comparison of two loaded sides: every task in common, Holm over all of them."""
    skipped = [
        f"{t}: only in {side.label}"
        for side, other in ((base_side, cand_side), (cand_side, base_side))
        for t in sorted(side.tasks.keys() - other.tasks.keys())
    ]
    tested = []
    for task in sorted(base_side.tasks.keys() & cand_side.tasks.keys()):
        b, c = base_side.tasks[task], cand_side.tasks[task]
        try:
            tested.append((task, b, compare_task(task, b, c, None, trials, seed)))
        except CannotCompare as exc:
            skipped.append(str(exc))
    wanted = set(targets)
    changes = []
    for (task, side, test), p_holm in zip(
        tested, holm([t.result.p_value for _, _, t in tested]), strict=True
    ):
        r, lower = test.result, lower_is_better(test.metric)
        word = verdict(r, p_holm, alpha, lower)
        changes.append(
            TaskChange(
                task=task,
                family=side.family or "",
                language=side.language,
                metric=test.metric,
                higher_is_better=not lower,
                base=r.baseline,
                candidate=r.candidate,
                delta=r.delta,
                gain=-r.delta if lower else r.delta,
                low=r.ci_low,
                high=r.ci_high,
                p=r.p_value,
                p_holm=p_holm,
                significant=word in ("better", "worse"),
                verdict=word,
                n=r.n,
                target=side.language in wanted,
                differing=r.differing,
                method=r.method,
            )
        )
    changes.sort(key=lambda c: (not c.target, c.language or "~", c.task))
    return Comparison(
        base=ref.label,
        candidate=cand.label,
        base_runs=sorted(set(ref.runs.values())),
        candidate_runs=sorted(set(cand.runs.values())),
        targets=targets,
        targets_from=targets_from,
        changes=changes,
        summaries=summarize(changes),
        forgetting=_languages(c for c in changes if not c.target and c.verdict == "worse"),
        gains=_languages(c for c in changes if c.target and c.verdict == "better"),
        skipped=skipped,
        alpha=alpha,
    )


def _languages(changes: Iterable[TaskChange]) -> list[str]:
    return sorted({c.language for c in changes if c.language})


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(changes: list[TaskChange]) -> list[MetricSummary]:
    """One summary per primary metric, in order of first appearance."""
    out = []
    for metric in dict.fromkeys(c.metric for c in changes):
        mine = [c for c in changes if c.metric == metric]
        on = [c.gain for c in mine if c.target]
        off = [c.gain for c in mine if not c.target]
        out.append(MetricSummary(metric, mine[0].higher_is_better, _mean(on), _mean(off), len(on), len(off)))
    return out


def _carriers(comparison: Comparison, languages: list[str], word: str) -> str:
    if not languages:
        return "none"
    parts = []
    for language in languages:
        tasks = ", ".join(
            f"{c.task} {fmt_delta(c.metric, c.delta)}" for c in comparison.carried_by(language, word)
        )
        parts.append(f"{language} ({tasks})")
    return "; ".join(parts)


def summary_lines(comparison: Comparison, skipped: bool = True) -> list[str]:
    """The summary under `harness compare`'s table (and after each in-training check): mean gain per
    metric on the targets and the rest, forgetting and gains with the tasks that carry them, and
    (with `skipped`) what was not compared. Values on each metric's display scale (`core.scale`)."""
    lines = []
    for s in comparison.summaries:
        direction = "higher" if s.higher_is_better else "lower"
        on = fmt_delta(s.metric, s.mean_gain_targets) if s.mean_gain_targets is not None else BLANK
        off = fmt_delta(s.metric, s.mean_change_rest) if s.mean_change_rest is not None else BLANK
        lines.append(
            f"{s.metric} ({direction} is better; gain: positive is better): mean gain on targets {on} "
            f"({s.targets} task(s)), mean change on the rest {off} ({s.rest} task(s))"
        )
    forgot = _carriers(comparison, comparison.forgetting, "worse")
    lines.append(f"Forgetting (significantly worse, not a target): {forgot}")
    lines.append(
        f"Gained (significantly better, a target): {_carriers(comparison, comparison.gains, 'better')}"
    )
    lost = sorted(
        {c.language for c in comparison.changes if c.target and c.verdict == "worse" and c.language}
    )
    if lost:
        lines.append(f"Targets significantly worse: {_carriers(comparison, lost, 'worse')}")
    if skipped and comparison.skipped:
        lines.append(f"Not compared ({len(comparison.skipped)}): " + "; ".join(comparison.skipped))
    return lines


def checkpoint_series(
    session: Engine,
    model: str,
    *,
    targets: list[str] | None = None,
    tasks: list[str] | None = None,
    alpha: float = 0.05,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
) -> list[SeriesPoint]:
    """The base, then each evaluated checkpoint of `model` by step with its comparison against the base."""
    from db.queries import evaluated_checkpoints, newest_task_runs

    checkpoints = evaluated_checkpoints(session, model)
    if not checkpoints:
        raise HarnessError(f"model {model!r} has no checkpoint with a complete run in the database")
    ref = resolve_base(session, Resolved(label_of(checkpoints[-1]), checkpoints[-1], {}))
    base_side = load_side(session, ref, tasks)
    row = ref.checkpoint
    points = [SeriesPoint(ref.label, row.id, row.model, row.step, row.tokens_seen, None, None)]
    for row in checkpoints:
        if row.source == ref.checkpoint.source:
            continue  # the base itself, registered under this model too
        cand = Resolved(label_of(row), row, newest_task_runs(session, row.id))
        chosen, source = targets_of(targets, cand)
        comparison = compare_sides(
            base_side, load_side(session, cand, tasks), ref, cand, chosen, source, alpha, trials, seed
        )
        recipe = (row.recipe or {}).get("name")
        points.append(
            SeriesPoint(cand.label, row.id, row.model, row.step, row.tokens_seen, recipe, comparison)
        )
    return points
