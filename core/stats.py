"""Paired tests for comparing two runs document by document, valid at every n.

- Per-document metrics (accuracy, sentence chrF++, a record's points): a paired permutation test
  of the mean difference. Under the null hypothesis each document's two scores are exchangeable,
  so each difference is as likely to carry either sign; the p-value is the share of the 2^k sign
  assignments of the k differing documents whose |sum| reaches the observed one. It is exact
  (binomial for a 0/1 metric, where it equals the exact McNemar test; full enumeration by meeting
  in the middle up to `EXACT_MAX` documents) and Monte Carlo beyond, with the +1 correction.
- Corpus metrics (BLEU, chrF++, ratios of sums): paired approximate randomization (Riezler and
  Maxwell 2005, sacrebleu's `--paired-ar`): each document's two outputs are swapped at random and
  the corpus scores recomputed; exact over all 2^k swaps when that is no more than the trials.
- Effect intervals: the percentile interval of a paired bootstrap, clipped to the metric's range.
- Evidence: with k differing documents no outcome can give p below 2 / 2^k, so with fewer than
  6 a two-sided test at 0.05 cannot reject; such a result reports `enough_evidence() == False`
  ("not enough evidence") and never counts as a regression.

Documents are put in a canonical order (sorted by their values) before any random draw, so a
result does not depend on the order the documents come in.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import comb, fsum
from typing import Any, Literal

import numpy as np

DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples for effect intervals."""
DEFAULT_TRIALS = 10_000
"""Monte Carlo sign flips or swaps (sacrebleu's default for approximate randomization)."""
DEFAULT_SEED = 12345
EXACT_MAX = 30
"""Differing documents up to which the sign-flip test enumerates all 2^k assignments."""

Verdict = Literal["better", "worse", "no significant difference", "not enough evidence"]


@dataclass(frozen=True)
class PairedResult:
    """Candidate minus baseline."""

    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    """95% paired-bootstrap interval of `delta`, clipped to the metric's range."""
    p_value: float
    """Two-sided permutation p-value (1.0 when no document differs)."""
    n: int
    """Documents paired."""
    differing: int = 0
    """Documents whose scores (or statistics) differ between the two runs."""
    min_p: float = 1.0
    """The smallest p-value this test could give with `differing` documents, whatever they hold."""
    method: str = ""

    def enough_evidence(self, alpha: float = 0.05) -> bool:
        """Whether any outcome on these documents could be significant at `alpha`."""
        return self.min_p <= alpha


def evidence_floor(differing: int) -> float:
    """Smallest two-sided p-value of an exact paired permutation test with `differing` documents."""
    return 1.0 if differing <= 1 else min(1.0, 2.0 ** (1 - differing))


def min_differing(alpha: float = 0.05) -> int:
    """Fewest differing documents with which a two-sided exact test can reach `alpha` (6 at 0.05)."""
    k = 1
    while evidence_floor(k) > alpha:
        k += 1
    return k


def verdict(result: PairedResult, p_adjusted: float, alpha: float, lower_is_better: bool = False) -> Verdict:
    """The words a comparison may use: a direction only where the (adjusted) test supports it."""
    if not result.enough_evidence(alpha):
        return "not enough evidence"
    if p_adjusted >= alpha or result.delta == 0:
        return "no significant difference"
    return "better" if (result.delta < 0) == lower_is_better else "worse"


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


@lru_cache(maxsize=4)
def _signs(k: int, trials: int, seed: int) -> np.ndarray:
    """(trials x k) random signs +-1; tasks with as many differing documents share them."""
    signs = np.random.default_rng(seed).integers(0, 2, size=(trials, k), dtype=np.int8) * 2 - 1
    signs.setflags(write=False)
    return signs.astype(np.int8)


def _clip(interval: list[float], value_range: tuple[float, float] | None) -> tuple[float, float]:
    low, high = float(interval[0]), float(interval[1])
    if value_range is None:
        return low, high
    span = value_range[1] - value_range[0]
    return max(low, -span), min(high, span)


def _subset_sums(values: np.ndarray) -> np.ndarray:
    """All 2^len sums of +-values."""
    sums = np.zeros(1)
    for v in values:
        sums = np.concatenate([sums + v, sums - v])
    return sums


def _binomial_p(positive: int, k: int) -> float:
    """P(|2X - k| >= |2 positive - k|) for X ~ Binomial(k, 1/2): exact, in integers."""
    far = abs(2 * positive - k)
    tail = sum(comb(k, x) for x in range(k + 1) if abs(2 * x - k) >= far)
    return min(1.0, tail / 2**k)


def sign_flip_p(
    differences: Sequence[float] | np.ndarray, trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED
) -> tuple[float, float, str]:
    """(p, min_p, method) of the two-sided sign-flip test of sum(differences) = 0: exact binomial when
    every nonzero difference has one size, full enumeration up to EXACT_MAX nonzero differences,
    Monte Carlo beyond. Differences may be pre-weighted (any linear statistic)."""
    d = np.asarray(differences, dtype=np.float64)
    size = float(np.abs(d).max(initial=0.0))
    nonzero = np.sort(d[np.abs(d) > 1e-12 * max(size, 1e-300)])
    k = len(nonzero)
    if k == 0:
        return 1.0, 1.0, "no document differs"
    observed = abs(float(nonzero.sum()))
    tolerance = 1e-9 * float(np.abs(nonzero).sum())
    floor = evidence_floor(k)
    magnitudes = np.abs(nonzero)
    if np.allclose(magnitudes, magnitudes[0], rtol=1e-9, atol=0.0):
        return _binomial_p(int((nonzero > 0).sum()), k), floor, f"exact sign-flip, binomial (McNemar), k={k}"
    if observed <= tolerance:
        return 1.0, floor, f"exact sign-flip, k={k}"
    if k <= EXACT_MAX:
        half = k // 2
        left = _subset_sums(nonzero[:half])
        right = np.sort(_subset_sums(nonzero[half:]))
        threshold = observed - tolerance
        high = len(right) - np.searchsorted(right, threshold - left, side="left")
        low = np.searchsorted(right, -threshold - left, side="right")
        return float((high + low).sum()) / 2.0**k, floor, f"exact sign-flip, 2^{k} assignments"
    signs = _signs(k, trials, seed)
    count = 0
    for start in range(0, trials, 2000):
        sums = signs[start : start + 2000].astype(np.float64) @ nonzero
        count += int(np.sum(np.abs(sums) >= observed - tolerance))
    p = (count + 1) / (trials + 1)
    return p, max(floor, 1 / (trials + 1)), f"sign-flip, {trials} Monte Carlo assignments, k={k}"


def paired_permutation(
    baseline: Sequence[float] | np.ndarray,
    candidate: Sequence[float] | np.ndarray,
    value_range: tuple[float, float] | None = None,
    trials: int = DEFAULT_TRIALS,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedResult:
    """Paired permutation test of the mean of per-document scores (accuracy, sentence chrF++, ...),
    with a paired-bootstrap 95% interval of the difference clipped to `value_range`'s span."""
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired scores must be two equal, non-empty vectors (got {a.shape} and {b.shape})")
    n = len(a)
    diff = np.sort(b - a)
    p, floor, method = sign_flip_p(diff, trials, seed)
    resampled = diff[_draws(n, resamples, seed)].mean(axis=1)
    low, high = _clip(np.percentile(resampled, [2.5, 97.5]).tolist(), value_range)
    differing = int(np.count_nonzero(diff))
    # fsum: the same documents in another order give the same bits.
    means = (fsum(a.tolist()) / n, fsum(b.tolist()) / n, fsum(diff.tolist()) / n)
    return PairedResult(*means, low, high, p, n, differing, floor, method)


def _canonical(base: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Row order by the rows' values, so that draws do not depend on the documents' order."""
    keys = np.concatenate([base, cand], axis=1)
    return np.lexsort(keys.T[::-1])


def paired_randomization(
    baseline_stats: np.ndarray,
    candidate_stats: np.ndarray,
    score_from_stats: Callable[[list[Any]], float],
    value_range: tuple[float, float] | None = None,
    trials: int = DEFAULT_TRIALS,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    integer_stats: bool = True,
) -> PairedResult:
    """Paired approximate randomization of a corpus metric from per-document sufficient statistics
    (sacrebleu's counts, whole numbers; `integer_stats=False` for fractional ones such as half
    points), with a paired-bootstrap interval of the difference."""
    base_all = np.asarray(baseline_stats, dtype=np.float64)
    cand_all = np.asarray(candidate_stats, dtype=np.float64)
    if base_all.shape != cand_all.shape or base_all.ndim != 2 or len(base_all) == 0:
        raise ValueError(f"paired statistics must have one shape (got {base_all.shape} and {cand_all.shape})")

    def score(sums: np.ndarray) -> float:
        return float(score_from_stats((np.rint(sums).astype(np.int64) if integer_stats else sums).tolist()))

    order = _canonical(base_all, cand_all)
    base_all, cand_all = base_all[order], cand_all[order]
    base, cand = score(base_all.sum(0)), score(cand_all.sum(0))
    delta = cand - base
    differ = np.any(base_all != cand_all, axis=1)
    k = int(differ.sum())
    floor = evidence_floor(k)
    if k == 0:
        p, method = 1.0, "no document differs"
    else:
        common = base_all[~differ].sum(0)
        b_d, c_d = base_all[differ], cand_all[differ]
        exact = 2**k <= trials
        if exact:
            masks = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(np.float64)
        else:
            masks = np.random.default_rng(seed).integers(0, 2, size=(trials, k)).astype(np.float64)
        swapped_a = common + masks @ c_d + (1 - masks) @ b_d
        swapped_b = common + masks @ b_d + (1 - masks) @ c_d
        diffs = np.abs(np.array([score(x) - score(y) for x, y in zip(swapped_a, swapped_b, strict=True)]))
        count = int(np.sum(diffs >= abs(delta) - 1e-9 * max(1.0, abs(delta))))
        if exact:
            p, method = count / 2**k, f"exact approximate randomization, 2^{k} swaps"
        else:
            p, method = (count + 1) / (trials + 1), f"approximate randomization, {trials} trials, k={k}"
            floor = max(floor, 1 / (trials + 1))
    counts = bootstrap_counts(len(base_all), resamples, seed)
    signed = np.array([score(x) for x in counts @ cand_all]) - np.array([score(x) for x in counts @ base_all])
    low, high = _clip(np.percentile(signed, [2.5, 97.5]).tolist(), value_range)
    return PairedResult(base, cand, delta, low, high, min(1.0, p), len(base_all), k, floor, method)


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
