"""Paired statistics for comparing two runs document by document.

Both tests follow the paired bootstrap of Koehn (2004) as sacrebleu and Moses implement it:
resample the documents with replacement (the same indices for both systems), recompute both
scores, and take the two-sided p-value of the observed difference against the centred
distribution of resampled absolute differences, `(#{|d*| - mean|d*| >= |d|} + 1) / (B + 1)`.
The 95% interval is the percentile interval of the resampled signed differences.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345


@dataclass(frozen=True)
class PairedResult:
    """Candidate minus baseline."""

    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def bootstrap_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples x n) matrix: how often each document is drawn in each resample."""
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    offsets = (np.arange(resamples) * n)[:, None]
    return (
        np.bincount((draws + offsets).ravel(), minlength=resamples * n)
        .reshape(resamples, n)
        .astype(np.float64)
    )


@lru_cache(maxsize=2)
def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples x n) document indices; tasks of the same size share them (same seed, same draws)."""
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n), dtype=np.int32)
    draws.setflags(write=False)
    return draws


def _summarize(base: float, cand: float, signed: np.ndarray, n: int) -> PairedResult:
    """`signed`: candidate minus baseline score in each resample."""
    delta = cand - base
    absolute = np.abs(signed)
    centred = absolute - absolute.mean()
    # `>=` rather than sacrebleu's `>`: a run compared with itself gets p = 1, not 1/(B+1).
    p_value = (int(np.sum(centred >= abs(delta))) + 1) / (len(signed) + 1)
    low, high = np.percentile(signed, [2.5, 97.5])
    return PairedResult(base, cand, delta, float(low), float(high), p_value, n)


def paired_bootstrap_mean(
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedResult:
    """Paired bootstrap of the mean of per-document scores (accuracy, sentence chrF++, ...)."""
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired scores must be two equal, non-empty vectors (got {a.shape} and {b.shape})")
    n = len(a)
    signed = (b - a)[_draws(n, resamples, seed)].mean(axis=1)
    return _summarize(float(a.mean()), float(b.mean()), signed, n)


def paired_bootstrap_corpus(
    baseline_stats: np.ndarray,
    candidate_stats: np.ndarray,
    score_from_stats: Callable[[list[Any]], float],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    integer_stats: bool = True,
) -> PairedResult:
    """Paired bootstrap of a corpus metric given per-document sufficient statistics (sacrebleu's
    counts, which are whole numbers; `integer_stats=False` for fractional ones such as half points)."""
    if baseline_stats.shape != candidate_stats.shape or len(baseline_stats) == 0:
        raise ValueError(
            f"paired statistics must have one shape (got {baseline_stats.shape} and {candidate_stats.shape})"
        )
    n = len(baseline_stats)
    counts = bootstrap_counts(n, resamples, seed)

    def scores(stats: np.ndarray) -> np.ndarray:
        sums = counts @ stats
        sums = np.rint(sums).astype(np.int64) if integer_stats else sums
        return np.array([score_from_stats(row.tolist()) for row in sums])

    def total(stats: np.ndarray) -> list[Any]:
        sums = stats.sum(0)
        return (sums.astype(np.int64) if integer_stats else sums).tolist()

    base = score_from_stats(total(baseline_stats))
    cand = score_from_stats(total(candidate_stats))
    return _summarize(base, cand, scores(candidate_stats) - scores(baseline_stats), n)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
