"""`harness gate`: does a candidate run score worse than a baseline, beyond noise?

Both sides are loaded into the same shape, whether from the database (a run id, or
`model[@step]`) or from a file written by `harness results --format json --samples`.
Documents are paired on their hash. Corpus metrics (chrF++, BLEU, spBLEU, and ratios of sums
such as the points rate) are compared with paired approximate randomization over their
per-document statistics (as sacrebleu's `--paired-ar`); per-document metrics with an exact paired
permutation (sign-flip) test of the mean, which for a 0/1 metric is the exact McNemar test
(`core.stats`). A task fails when its drop exceeds `max_drop` and is significant at `alpha` after
Holm's correction over the tasks compared; for a lower-is-better metric (`off_target`,
`source_copy`) a rise is the regression. A task with too few differing documents for any outcome
to reach `alpha` (fewer than 6 at 0.05) is "not enough evidence" and never fails.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import HarnessError
from core.languages import placed_language
from core.scale import LOWER_IS_BETTER, stored_range
from core.stats import (
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    PairedResult,
    holm,
    paired_permutation,
    paired_randomization,
    verdict,
)

CORPUS_METRICS = ("chrf++", "bleu", "spbleu")
WORDS = {
    "worse": "regression",
    "better": "improvement",
    "no significant difference": "no significant change",
    "not enough evidence": "not enough evidence",
}
"""The gate's word for each `core.stats.verdict`."""


def lower_is_better(metric: str) -> bool:
    """Whether a rise of `metric` is a regression (the language-identification rates)."""
    return metric in LOWER_IS_BETTER


class CannotCompare(HarnessError):
    """The two sides differ in what was measured; exit code 2."""


@dataclass
class TaskSide:
    version: str
    task_hash: str
    primary_metric: str | None = None
    """The primary metric its family declared, stored with the results (None: stored before that)."""
    sample_metric: str | None = None
    """Its per-document form: a score key, or `numerator/denominator`."""
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    """metric -> {"value", "signature"}"""
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    """doc hash -> {"doc_id", "target", "output", "scores"}"""
    family: str | None = None
    language: str | None = None
    """The FLORES-200 code its family declared (None: none, or stored before it was recorded)."""


@dataclass
class Side:
    label: str
    tasks: dict[str, TaskSide]


@dataclass(frozen=True)
class TaskVerdict:
    task: str
    metric: str
    result: PairedResult
    p_holm: float
    failed: bool
    """A significant change in the bad direction larger than `max_drop`: the gate fails on it."""
    changed_outputs: int
    lower_is_better: bool = False
    """A rise, not a drop, of the metric is the regression."""
    verdict: str = "no significant change"
    """regression, improvement, no significant change or not enough evidence (Holm-adjusted)."""


@dataclass(frozen=True)
class GateReport:
    baseline: str
    candidate: str
    metric_note: str
    max_drop: float
    alpha: float
    verdicts: list[TaskVerdict]
    strict: bool

    @property
    def regressed(self) -> bool:
        return any(v.failed for v in self.verdicts) or (
            self.strict and any(v.changed_outputs for v in self.verdicts)
        )


def side_from_rows(
    label: str, results: list[dict[str, Any]], samples: list[dict[str, Any]], one_run: bool = True
) -> Side:
    """A side from stored rows (dicts of `ResultRow` / `SampleRow` fields). With `one_run` the rows
    must come from exactly one run (the gate's reference); without, each task from one run (the
    newest result per task of a checkpoint, `harness compare`)."""
    runs = {r["run_id"] for r in results}
    if one_run and len(runs) != 1:
        raise CannotCompare(f"{label}: holds {len(runs)} runs; a reference must name exactly one")
    if not one_run:
        per_task: dict[str, set[str]] = {}
        for r in results:
            per_task.setdefault(r["task"], set()).add(r["run_id"])
        mixed = sorted(t for t, ids in per_task.items() if len(ids) > 1)
        if mixed:
            raise CannotCompare(f"{label}: task {mixed[0]} has results from {len(per_task[mixed[0]])} runs")
        return Side(label, _tasks_from_rows(label, results, samples))
    return Side(f"{label} (run {next(iter(runs))[:8]})", _tasks_from_rows(label, results, samples))


def _tasks_from_rows(
    label: str, results: list[dict[str, Any]], samples: list[dict[str, Any]]
) -> dict[str, TaskSide]:
    tasks: dict[str, TaskSide] = {}
    for r in results:
        side = tasks.setdefault(
            r["task"],
            TaskSide(
                r["task_version"],
                r["task_hash"],
                r.get("primary_metric"),
                r.get("sample_metric"),
                family=r.get("family"),
                language=placed_language(r.get("language"), r.get("source_language")),
            ),
        )
        side.metrics[r["metric"]] = {"value": r["value"], "signature": r["signature"]}
    for s in samples:
        if s["task"] not in tasks:
            continue
        if s["doc_hash"] in tasks[s["task"]].samples:
            raise CannotCompare(f"{label}: {s['task']} has two samples with document hash {s['doc_hash']}")
        tasks[s["task"]].samples[s["doc_hash"]] = s
    return tasks


def load_side(ref: str, db_url: str | None) -> Side:
    """A results file, a run id (or prefix), or `model[@step]` in the database."""
    path = Path(ref)
    if path.is_file():
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return side_from_rows(path.name, payload["results"], payload.get("samples", []))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CannotCompare(
                f"{path}: not a file written by `harness results --format json --samples` ({exc})"
            ) from exc
    from dataclasses import asdict

    from db.queries import find_run, list_results, list_samples
    from db.session import make_engine

    try:
        engine = make_engine(db_url, read_only=True)
    except HarnessError as exc:
        raise CannotCompare(
            f"{ref!r} is not a file, and the results database cannot be read: {exc}"
        ) from None
    try:
        run_id = find_run(engine, ref)
    except ValueError as exc:
        raise CannotCompare(f"{ref!r}: the step after @ must be a whole number") from exc
    if run_id is None:
        raise CannotCompare(
            f"{ref!r} is neither a file, a run id, nor a model with a complete run in the database"
        )
    results = [asdict(r) for r in list_results(engine, run_id=run_id, include_incomplete=True)]
    return side_from_rows(ref, results, [asdict(s) for s in list_samples(engine, run_id)])


def primary_of(task: str, base: TaskSide, cand: TaskSide) -> tuple[str, str]:
    """(primary metric, its per-document form) as stored with both sides' results."""
    declared = {(s.primary_metric, s.sample_metric) for s in (base, cand) if s.primary_metric}
    if not declared:
        raise CannotCompare(
            f"{task}: neither side records its primary metric (stored before it was recorded); "
            "name one with --metric, or store the runs again"
        )
    if len(declared) > 1:
        raise CannotCompare(f"{task}: the two sides declare different primary metrics ({sorted(declared)})")
    primary, sample = declared.pop()
    return primary, sample or primary


def _ratio_test(
    keys: tuple[str, str],
    task: str,
    pairs: list[tuple[dict, dict]],
    trials: int,
    seed: int,
    value_range: tuple[float, float] | None,
) -> PairedResult:
    """Paired randomization of sum(numerator)/sum(denominator) over documents (points rate, term usage,
    bits per byte)."""
    for b, c in pairs:
        if any(k not in side["scores"] for k in keys for side in (b, c)):
            raise CannotCompare(f"{task}: document {b['doc_id']} has no per-document {'/'.join(keys)}")

    def stats(i: int) -> np.ndarray:
        return np.asarray([[p[i]["scores"][k] for k in keys] for p in pairs], dtype=np.float64)

    def ratio(totals: list[Any]) -> float:
        return float(totals[0]) / float(totals[1]) if totals[1] else 0.0

    return paired_randomization(
        stats(0), stats(1), ratio, value_range=value_range, trials=trials, seed=seed, integer_stats=False
    )


def _corpus_test(
    metric: str, task: str, pairs: list[tuple[dict, dict]], trials: int, seed: int
) -> PairedResult:
    from core.mt import make_metric

    scorer = make_metric(metric, task.rsplit("-", 1)[-1])  # type: ignore[arg-type]
    refs = [[b["target"] for b, _ in pairs]]
    base = np.asarray(
        scorer._extract_corpus_statistics([b["output"] for b, _ in pairs], refs), dtype=np.float64
    )
    cand = np.asarray(
        scorer._extract_corpus_statistics([c["output"] for _, c in pairs], refs), dtype=np.float64
    )
    return paired_randomization(
        base,
        cand,
        lambda stats: float(scorer._compute_score_from_stats(stats).score),
        value_range=stored_range(metric),
        trials=trials,
        seed=seed,
    )


def _pairs(task: str, base: TaskSide, cand: TaskSide) -> list[tuple[dict, dict]]:
    if not base.samples or not cand.samples:
        raise CannotCompare(
            f"{task}: no per-document samples on the {'baseline' if not base.samples else 'candidate'} side"
        )
    only_base = base.samples.keys() - cand.samples.keys()
    only_cand = cand.samples.keys() - base.samples.keys()
    if only_base or only_cand:
        raise CannotCompare(
            f"{task}: documents differ ({len(only_base)} only in the baseline, "
            f"{len(only_cand)} only in the candidate)"
        )
    pairs = [
        (base.samples[h], cand.samples[h])
        for h in sorted(base.samples, key=lambda h: base.samples[h]["doc_id"])
    ]
    for b, c in pairs:
        if b["target"] != c["target"]:
            raise CannotCompare(f"{task}: document {b['doc_id']} has different references on the two sides")
    return pairs


@dataclass(frozen=True)
class TaskTest:
    """One task's paired test, before any correction over tasks."""

    metric: str
    result: PairedResult
    changed_outputs: int
    """Documents whose output text differs."""


def compare_task(
    task: str,
    base: TaskSide,
    cand: TaskSide,
    metric: str | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
) -> TaskTest:
    """The paired test of one task's `metric` (default: its primary metric as stored), candidate minus
    baseline; CannotCompare when the two sides measured different things or lack per-document scores.
    Shared by the gate, `harness compare` and `harness report --baseline`."""
    if (base.version, base.task_hash) != (cand.version, cand.task_hash):
        raise CannotCompare(
            f"{task}: task differs (version {base.version} vs {cand.version}, "
            f"hash {base.task_hash[:12]} vs {cand.task_hash[:12]}); the scores measure different things"
        )
    name, per_doc = (metric, metric) if metric else primary_of(task, base, cand)
    if name not in base.metrics or name not in cand.metrics:
        raise CannotCompare(f"{task}: metric {name} not stored on both sides")
    if base.metrics[name]["signature"] != cand.metrics[name]["signature"]:
        raise CannotCompare(
            f"{task} {name}: signatures differ "
            f"({base.metrics[name]['signature']} vs {cand.metrics[name]['signature']})"
        )
    pairs = _pairs(task, base, cand)
    changed = sum(b["output"] != c["output"] for b, c in pairs)
    if name in CORPUS_METRICS:
        result = _corpus_test(name, task, pairs, trials, seed)
    elif "/" in per_doc:
        numerator, _, denominator = per_doc.partition("/")
        result = _ratio_test((numerator, denominator), task, pairs, trials, seed, stored_range(name))
    else:
        missing_scores = [
            b["doc_id"] for b, c in pairs if per_doc not in b["scores"] or per_doc not in c["scores"]
        ]
        if missing_scores:
            raise CannotCompare(f"{task}: document {missing_scores[0]} has no per-document {per_doc} score")
        result = paired_permutation(
            [b["scores"][per_doc] for b, _ in pairs],
            [c["scores"][per_doc] for _, c in pairs],
            value_range=stored_range(name),
            trials=trials,
            seed=seed,
        )
    return TaskTest(name, result, changed)


def compare(
    baseline: Side,
    candidate: Side,
    tasks: list[str] | None = None,
    metric: str | None = None,
    max_drop: float = 0.0,
    alpha: float = 0.05,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    strict: bool = False,
) -> GateReport:
    names = tasks or sorted(baseline.tasks)
    missing = [(t, s.label) for t in names for s in (baseline, candidate) if t not in s.tasks]
    if missing:
        raise CannotCompare("; ".join(f"task {t} missing from {label}" for t, label in missing))
    results: list[tuple[str, str, PairedResult, int]] = []
    for task in names:
        tested = compare_task(task, baseline.tasks[task], candidate.tasks[task], metric, trials, seed)
        results.append((task, tested.metric, tested.result, tested.changed_outputs))
    adjusted = holm([r.p_value for _, _, r, _ in results])
    verdicts = []
    for (task, name, r, changed), p in zip(results, adjusted, strict=True):
        word = WORDS[verdict(r, p, alpha, lower_is_better(name))]
        drop = r.delta if lower_is_better(name) else -r.delta
        verdicts.append(
            TaskVerdict(
                task,
                name,
                r,
                p,
                failed=word == "regression" and drop > max_drop,
                changed_outputs=changed,
                lower_is_better=lower_is_better(name),
                verdict=word,
            )
        )
    note = metric or "primary metric per task"
    return GateReport(baseline.label, candidate.label, note, max_drop, alpha, verdicts, strict)
