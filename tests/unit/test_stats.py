"""Paired tests checked against independent computations: scipy's exact binomial test, brute-force
enumeration of every sign assignment, and sacrebleu's own paired approximate randomization."""

import itertools

import numpy as np
import pytest
from scipy import stats as scipy_stats

from core.stats import (
    evidence_floor,
    holm,
    min_differing,
    paired_permutation,
    paired_randomization,
    sign_flip_p,
    verdict,
)
from tests.conftest import need_shared_data


def test_holm_hand_computed() -> None:
    # sorted: 0.01*3 = 0.03; 0.03*2 = 0.06; 0.04*1 = 0.04 -> raised to 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


@pytest.mark.parametrize(("worse", "better"), [(3, 0), (0, 6), (5, 1), (12, 9), (40, 22), (300, 260), (1, 0)])
def test_binary_scores_give_the_exact_mcnemar_p(worse: int, better: int) -> None:
    # Documents the candidate lost (1 -> 0), gained (0 -> 1), and 50 that did not change.
    base = [1.0] * worse + [0.0] * better + [1.0] * 30 + [0.0] * 20
    cand = [0.0] * worse + [1.0] * better + [1.0] * 30 + [0.0] * 20
    result = paired_permutation(base, cand)
    expected = scipy_stats.binomtest(better, worse + better, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.differing == worse + better
    assert result.min_p == pytest.approx(min(1.0, 2 * 0.5 ** (worse + better)))


def _brute_force_p(d: np.ndarray) -> float:
    observed = abs(d.sum())
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed - 1e-9
        for signs in itertools.product((1, -1), repeat=len(d))
    )
    return hits / 2 ** len(d)


@pytest.mark.parametrize("seed", range(6))
def test_exact_enumeration_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 13))
    # Continuous differences with ties and zeros: sentence-score-like values.
    d = np.round(rng.normal(-0.5, 3.0, k), 1)
    d[rng.random(k) < 0.2] = 0.0
    p, floor, method = sign_flip_p(d)
    assert p == pytest.approx(_brute_force_p(d[d != 0]) if np.any(d) else 1.0, abs=1e-12)
    assert floor == evidence_floor(int(np.count_nonzero(d)))


def test_monte_carlo_agrees_with_exact_within_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.stats

    d = np.random.default_rng(11).normal(0.4, 2.0, 26)
    exact, _, method = sign_flip_p(d)
    assert method.startswith("exact")
    monkeypatch.setattr(core.stats, "EXACT_MAX", 10)
    mc, floor, method = sign_flip_p(d, trials=20000, seed=3)
    assert method.startswith("sign-flip, 20000 Monte Carlo")
    assert 0.02 < exact < 0.5  # a p-value where the comparison says something
    assert mc == pytest.approx(exact, abs=4 * np.sqrt(exact * (1 - exact) / 20000) + 1 / 20001)


@pytest.mark.parametrize("n", [7, 40, 300])
def test_document_order_does_not_change_the_result(n: int) -> None:
    rng = np.random.default_rng(n)
    base = rng.random(n)
    cand = np.clip(base + rng.normal(-0.05, 0.2, n), 0, 1)
    order = rng.permutation(n)
    assert paired_permutation(base, cand) == paired_permutation(base[order], cand[order])


def test_evidence_floor() -> None:
    assert min_differing(0.05) == 6 and min_differing(0.01) == 8
    assert evidence_floor(5) == 0.0625 and evidence_floor(6) == 0.03125
    result = paired_permutation([1.0] * 5 + [0.0] * 95, [0.0] * 100)
    assert result.p_value == 0.0625 and not result.enough_evidence(0.05)
    assert verdict(result, result.p_value, 0.05) == "not enough evidence"
    result = paired_permutation([1.0] * 6 + [0.0] * 94, [0.0] * 100)
    assert result.enough_evidence(0.05) and verdict(result, result.p_value, 0.05) == "worse"
    assert verdict(result, result.p_value, 0.05, lower_is_better=True) == "better"
    assert verdict(result, 0.2, 0.05) == "no significant difference"


def test_identical_runs() -> None:
    scores = np.random.default_rng(3).random(500)
    result = paired_permutation(scores, scores)
    assert (result.delta, result.ci_low, result.ci_high, result.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert result.differing == 0 and not result.enough_evidence()


def test_interval_stays_inside_the_metric_range() -> None:
    result = paired_permutation([0.0, 0.0], [1.0, 1.0], value_range=(0.0, 1.0))
    assert -1.0 <= result.ci_low <= result.ci_high <= 1.0


def test_mean_interval_matches_normal_theory() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    base = rng.binomial(1, 0.60, n).astype(float)
    cand = base.copy()
    flip = rng.random(n) < 0.08
    cand[flip] = rng.binomial(1, 0.35, flip.sum())
    result = paired_permutation(base, cand, resamples=4000, seed=1)
    diff = cand - base
    se = diff.std(ddof=1) / np.sqrt(n)
    assert result.delta == pytest.approx(diff.mean())
    assert result.ci_low == pytest.approx(diff.mean() - 1.96 * se, abs=0.25 * se)
    assert result.ci_high == pytest.approx(diff.mean() + 1.96 * se, abs=0.25 * se)
    # Exact McNemar against scipy (independent).
    lost, gained = int(np.sum(diff < 0)), int(np.sum(diff > 0))
    assert result.p_value == pytest.approx(scipy_stats.binomtest(gained, lost + gained).pvalue, rel=1e-9)


def test_unpaired_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="equal, non-empty"):
        paired_permutation([1.0, 0.0], [1.0])


def _chrf_pair(every: int, n: int = 300) -> tuple[list[str], list[str], list[str]]:
    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    base = (devtest / "kon_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    # Candidate: the same system with the last third of the words dropped on every `every`-th sentence.
    cand = [
        " ".join(h.split()[: 2 * len(h.split()) // 3]) if i % every == 0 else h for i, h in enumerate(base)
    ]
    return refs, base, cand


@pytest.mark.parametrize(("every", "name"), [(4, "chrF++"), (10, "chrF++"), (4, "BLEU"), (3, "BLEU")])
def test_corpus_randomization_agrees_with_sacrebleu_paired_ar(every: int, name: str) -> None:
    from sacrebleu.metrics import BLEU, CHRF
    from sacrebleu.significance import PairedTest

    def make() -> CHRF | BLEU:
        return CHRF(word_order=2) if name == "chrF++" else BLEU()

    refs, base, cand = _chrf_pair(every)
    metric = make()
    base_stats = np.asarray(metric._extract_corpus_statistics(base, [refs]), dtype=float)
    cand_stats = np.asarray(metric._extract_corpus_statistics(cand, [refs]), dtype=float)
    ours = paired_randomization(
        base_stats, cand_stats, lambda s: metric._compute_score_from_stats(s).score, trials=10000, seed=5
    )
    test = PairedTest([("baseline", base), ("candidate", cand)], {name: make()}, [refs], test_type="ar")
    _, results = test()
    (scores,) = (v for k, v in results.items() if k != "System")
    theirs = scores[1]
    assert ours.baseline == pytest.approx(scores[0].score, abs=1e-9)
    assert ours.candidate == pytest.approx(theirs.score, abs=1e-9)
    # Two independent Monte Carlo estimates of one p-value, 10,000 trials each.
    p = theirs.p_value
    assert ours.p_value == pytest.approx(p, abs=4 * np.sqrt(2 * p * (1 - p) / 10000) + 2 / 10001)
    assert ours.differing == 300 // every + (300 % every > 0)
    assert ours.ci_low <= ours.delta <= ours.ci_high


def test_exact_randomization_with_few_differing_documents() -> None:
    # 4 differing documents: 16 swaps enumerated; ratio of sums, checked by hand.
    base = np.array([[1.0, 2.0], [0.0, 2.0], [2.0, 2.0], [1.0, 2.0], [2.0, 2.0]])
    cand = np.array([[0.0, 2.0], [0.0, 2.0], [1.0, 2.0], [0.0, 2.0], [0.5, 2.0]])

    def ratio(totals: list[float]) -> float:
        return totals[0] / totals[1]

    result = paired_randomization(base, cand, ratio, integer_stats=False)
    # Differences per differing document: -1, -1, -1, -1.5 (denominators equal, so the statistic
    # is |sum of signed differences| / 10): 2 of 16 swaps reach |-4.5|.
    assert result.differing == 4 and result.p_value == pytest.approx(2 / 16)
    assert result.method.startswith("exact") and not result.enough_evidence(0.05)
