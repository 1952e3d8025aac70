"""Paired statistics checked against independent computations: numpy/scipy and sacrebleu's paired test."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from core.stats import holm, paired_bootstrap_corpus, paired_bootstrap_mean
from tests.conftest import need_shared_data


def test_holm_hand_computed() -> None:
    # sorted: 0.01*3 = 0.03; 0.03*2 = 0.06; 0.04*1 = 0.04 -> raised to 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_mean_bootstrap_matches_normal_theory_and_scipy() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    base = rng.binomial(1, 0.60, n).astype(float)
    # Candidate flips a random 8% of documents: a paired design with a true drop of ~2 points.
    cand = base.copy()
    flip = rng.random(n) < 0.08
    cand[flip] = rng.binomial(1, 0.35, flip.sum())
    result = paired_bootstrap_mean(base, cand, resamples=4000, seed=1)
    diff = cand - base
    se = diff.std(ddof=1) / np.sqrt(n)
    assert result.delta == pytest.approx(diff.mean())
    # Percentile interval against mean ± 1.96 SE (independent, analytic).
    assert result.ci_low == pytest.approx(diff.mean() - 1.96 * se, abs=0.25 * se)
    assert result.ci_high == pytest.approx(diff.mean() + 1.96 * se, abs=0.25 * se)
    # Two-sided p-value against scipy's paired t-test (large n: both near-normal).
    t_p = scipy_stats.ttest_rel(cand, base).pvalue
    assert result.p_value == pytest.approx(t_p, abs=0.01 + 0.3 * t_p)


def test_mean_bootstrap_identical_runs() -> None:
    scores = np.random.default_rng(3).random(500)
    result = paired_bootstrap_mean(scores, scores)
    assert (result.delta, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert result.p_value == pytest.approx(1.0, abs=1e-3)


def test_mean_bootstrap_rejects_unpaired_input() -> None:
    with pytest.raises(ValueError, match="equal, non-empty"):
        paired_bootstrap_mean([1.0, 0.0], [1.0])


def _chrf_pair(every: int, n: int = 300) -> tuple[list[str], list[str], list[str]]:
    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    base = (devtest / "kon_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    # Candidate: the same system with the last third of the words dropped on every `every`-th sentence.
    cand = [
        " ".join(h.split()[: 2 * len(h.split()) // 3]) if i % every == 0 else h for i, h in enumerate(base)
    ]
    return refs, base, cand


@pytest.mark.parametrize("every", [4, 60])  # a clear drop (p at its floor) and a marginal one (p near 0.04)
def test_corpus_bootstrap_agrees_with_sacrebleu_paired_test(every: int) -> None:
    from sacrebleu.metrics import CHRF
    from sacrebleu.significance import PairedTest

    refs, base, cand = _chrf_pair(every)
    metric = CHRF(word_order=2)
    base_stats = np.asarray(metric._extract_corpus_statistics(base, [refs]), dtype=float)
    cand_stats = np.asarray(metric._extract_corpus_statistics(cand, [refs]), dtype=float)
    ours = paired_bootstrap_corpus(
        base_stats, cand_stats, lambda s: metric._compute_score_from_stats(s).score, resamples=2000, seed=5
    )
    test = PairedTest(
        [("baseline", base), ("candidate", cand)],
        {"chrF++": CHRF(word_order=2)},
        [refs],
        test_type="bs",
        n_samples=2000,
    )
    _, results = test()
    (scores,) = (v for k, v in results.items() if k != "System")
    theirs = scores[1]
    assert ours.baseline == pytest.approx(scores[0].score, abs=1e-9)
    assert ours.candidate == pytest.approx(theirs.score, abs=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, abs=0.005 + 0.25 * theirs.p_value)
    # sacrebleu's CI is for the candidate alone; its half-width bounds our paired interval from above.
    assert ours.ci_high - ours.ci_low < 2 * theirs.ci
    assert ours.ci_low < ours.delta < ours.ci_high < 0
