"""Calibration of the paired tests (`core.stats`): simulated null pairs must be rejected at most
alpha of the time, for one task and, under Holm, for 20 tasks together; a real 10-point drop at
n = 200 must be found. `bench/calibration.py` prints the same rates with more simulations.

Per-document scores are real: sentence chrF++ (sacrebleu) of the FLORES-200 Kikongo devtest
sentences against the Lingala ones (a weak "system"), and, for a 0/1 metric, those sentences
marked right when their chrF++ is above the 40th percentile (accuracy 0.6). A null pair takes n
of these documents as the baseline and a copy in which a random 30% of the documents exchange
their score with another document; then each document's two scores are swapped with probability
1/2, so that under the null the two runs are exchangeable document by document.
"""

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pytest

from core.stats import holm, paired_permutation
from tests.conftest import need_shared_data

ALPHA = 0.05
SIZES = (2, 10, 50, 200, 1000)


@lru_cache(maxsize=1)
def real_scores() -> tuple[np.ndarray, np.ndarray]:
    """(sentence chrF++ of 1,012 real sentences, the same marked right/wrong)."""
    from sacrebleu.metrics import CHRF

    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    hyps = (devtest / "kon_Latn.devtest").read_text(encoding="utf-8").splitlines()
    chrf = CHRF(word_order=2)
    scores = np.array([chrf.sentence_score(h, [r]).score for h, r in zip(hyps, refs, strict=True)])
    return scores, (scores > np.percentile(scores, 40)).astype(float)


def null_pair(pool: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    base = rng.choice(pool, n, replace=n > len(pool))
    cand = base.copy()
    moved = rng.random(n) < 0.3
    cand[moved] = rng.choice(pool, int(moved.sum()))
    swap = rng.random(n) < 0.5
    return np.where(swap, cand, base), np.where(swap, base, cand)


def rejection_rate(
    pool: np.ndarray, n: int, sims: int, seed: int, tasks: int = 1, make: Callable | None = None
) -> float:
    """Share of simulations in which any of `tasks` tasks is significant after Holm."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(sims):
        pairs = [(make or null_pair)(pool, n, rng) for _ in range(tasks)]
        p = [
            paired_permutation(a, b, trials=2000, resamples=10, seed=int(rng.integers(2**31))).p_value
            for a, b in pairs
        ]
        hits += any(q < ALPHA for q in holm(p))
    return hits / sims


def bound(sims: int) -> float:
    """alpha plus 2.58 Monte Carlo standard errors (one-sided 99.5%)."""
    return ALPHA + 2.58 * np.sqrt(ALPHA * (1 - ALPHA) / sims)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_false_positive_rate_of_one_task(kind: str, n: int) -> None:
    continuous, binary = real_scores()
    sims = 1000 if kind == "binary" or n <= 200 else 300
    rate = rejection_rate(binary if kind == "binary" else continuous, n, sims, seed=n)
    assert rate <= bound(sims), f"{kind} n={n}: {rate:.3f} of {sims} null pairs rejected"


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_family_wise_rate_of_20_tasks_under_holm(kind: str) -> None:
    continuous, binary = real_scores()
    sims = 300
    rate = rejection_rate(binary if kind == "binary" else continuous, 50, sims, seed=7, tasks=20)
    assert rate <= bound(sims), f"{kind}: {rate:.3f} of {sims} families of 20 null tasks had a rejection"


def drop_pair(pool: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A real drop of 10 points of accuracy: right documents go wrong with probability 0.2 and wrong
    ones right with probability 0.05 (0.6 * 0.2 - 0.4 * 0.05 = 0.10)."""
    base = rng.choice(pool, n)
    u = rng.random(n)
    cand = np.where(base == 1, np.where(u < 0.2, 0.0, 1.0), np.where(u < 0.05, 1.0, 0.0))
    return base, cand


def test_power_for_a_ten_point_drop_at_200_documents() -> None:
    _, binary = real_scores()
    sims = 500
    power = rejection_rate(binary, 200, sims, seed=3, make=drop_pair)
    assert power >= 0.95, f"found {power:.3f} of {sims} real 10-point drops"
