"""Group scores from task scores: the expected values are worked out by hand below."""

import math

from core.records import MetricResult
from harness.engine.groups import group_results
from tasks import registry
from tasks.base import GroupSpec
from tests.conftest import need_shared_data


def _m(
    task: str, metric: str, value: float | None, stderr: float | None, n: int, sig: str = "s"
) -> MetricResult:
    return MetricResult(task, metric, value, stderr, n, sig)


def test_mean_metrics_are_the_plain_mean_over_tasks() -> None:
    # C-Eval averages subjects, not questions: 0.5 over 10 and 0.2 over 40 -> 0.35 (not 0.26).
    results = [_m("ceval_a", "acc", 0.5, 0.3, 10), _m("ceval_b", "acc", 0.2, 0.4, 40)]
    [row] = group_results({"ceval": GroupSpec(["ceval_a", "ceval_b"], "macro")}, results)
    assert (row.task, row.metric, row.n) == ("ceval", "acc", 50)
    assert math.isclose(row.value or 0.0, 0.35)
    assert math.isclose(row.stderr or 0.0, 0.25)  # sqrt(0.09 + 0.16) / 2
    assert row.signature == "acc|macro-over-2-tasks|s"


def test_points_add_up_and_the_rate_is_of_the_sums() -> None:
    # 2 of 4 and 21 of 120 points: 23 of 124, a rate of 0.18548..., not the mean of 0.5 and 0.175.
    results = []
    for task, acc, points, available, n in (("g_a", 0.5, 2.0, 4.0, 4), ("g_b", 0.175, 21.0, 120.0, 4)):
        results += [
            _m(task, "acc", acc, 0.1, n, "acc|x"),
            _m(task, "points", points, None, n),
            _m(task, "points_available", available, None, n),
            _m(task, "points_rate", points / available, None, n),
        ]
    rows = {
        r.metric: r
        for r in group_results({"gaokao_english": GroupSpec(["g_a", "g_b"], "points_sum")}, results)
    }
    assert rows["points"].value == 23.0 and rows["points_available"].value == 124.0
    assert rows["points_rate"].value == 23.0 / 124.0
    assert rows["points"].signature == "points|sum-over-2-tasks"
    assert math.isclose(rows["acc"].value or 0.0, 0.3375)
    assert rows["points_rate"].stderr is None


def test_differing_signatures_missing_values_and_incomplete_groups() -> None:
    results = [
        _m("t1", "acc", 0.5, None, 4, "acc|loglikelihood"),
        _m("t2", "acc", 0.25, 0.1, 4, "acc|generation"),
        _m("t1", "spbleu", None, None, 4),
        _m("t2", "spbleu", None, None, 4),
        _m("t1", "only_here", 1.0, None, 4),
    ]
    rows = {r.metric: r for r in group_results({"g": GroupSpec(["t1", "t2"], "macro")}, results)}
    assert set(rows) == {"acc", "spbleu"}  # a metric one member lacks is not aggregated
    assert rows["acc"].signature == "acc|macro-over-2-tasks|member-signatures-differ"
    assert rows["acc"].stderr is None  # t1 has none
    assert rows["spbleu"].value is None and rows["spbleu"].note == "not computed: no value for t1, t2"
    # A group with a member not in the results, or of one task, gets no rows.
    assert group_results({"g": GroupSpec(["t1", "t3"], "macro")}, results) == []
    assert group_results({"g": GroupSpec(["t1"], "macro")}, results) == []


def test_requested_groups_are_the_groups_among_the_names() -> None:
    data = need_shared_data()

    def resolve(name: str):  # noqa: ANN202
        return data / name

    _, groups = registry.expand_with_groups(["flores_lin", "ceval_stem", "ceval_law", "xnli_en"], resolve)
    assert groups["flores_lin"] == GroupSpec(
        ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"], "macro"
    )
    assert set(groups) == {"flores_lin", "ceval_stem"}
    stem = groups["ceval_stem"].members
    assert "ceval_advanced_mathematics" in stem and "ceval_law" not in stem


def test_size_weighted_groups_follow_lm_evals_weight_by_size() -> None:
    # lm-eval's kobest group: acc weighted by test size, stderr pooled (lm_eval/api/metrics.py
    # pooled_sample_stderr); a metric only one member reports is aggregated over that member.
    # Worked by hand: acc 0.5 over n=4 (se 0.2) and 0.8 over n=6 (se 0.1):
    #   weighted = (0.5*4 + 0.8*6) / 10 = 0.68; unweighted = 0.65;
    #   pooled var = (3*0.04*4 + 5*0.01*6) / (10 - 2) = (0.48 + 0.30) / 8 = 0.0975; se = sqrt(0.0975/10)
    results = [
        _m("k1", "acc", 0.5, 0.2, 4),
        _m("k2", "acc", 0.8, 0.1, 6),
        _m("k2", "acc_norm", 0.9, 0.05, 6),
    ]
    rows = {r.metric: r for r in group_results({"kobest": GroupSpec(["k1", "k2"], "size_weighted")}, results)}
    assert math.isclose(rows["acc"].value or 0.0, 0.68)
    assert math.isclose(rows["acc"].stderr or 0.0, math.sqrt(0.0975 / 10))
    assert rows["acc"].signature == "acc|size-weighted-over-2-tasks|s"
    assert math.isclose(rows["acc_unweighted"].value or 0.0, 0.65)
    assert math.isclose(rows["acc_unweighted"].stderr or 0.0, math.sqrt(0.04 + 0.01) / 2)
    assert rows["acc_norm"].value == 0.9 and rows["acc_norm"].n == 6
    assert "1 of 2 tasks" in rows["acc_norm"].note


def test_macro_and_size_weighted_reports_the_papers_average_and_lm_evals_beside_it() -> None:
    # C-Eval: 0.5 over 10 and 0.2 over 40 -> paper (macro) 0.35, lm-eval ceval-valid (weighted)
    # (5 + 8) / 50 = 0.26.
    results = [_m("ceval_a", "acc", 0.5, 0.3, 10), _m("ceval_b", "acc", 0.2, 0.4, 40)]
    rows = {
        r.metric: r
        for r in group_results(
            {"ceval": GroupSpec(["ceval_a", "ceval_b"], "macro_and_size_weighted")}, results
        )
    }
    assert set(rows) == {"acc", "acc_size_weighted"}
    assert math.isclose(rows["acc"].value or 0.0, 0.35)
    assert math.isclose(rows["acc_size_weighted"].value or 0.0, 0.26)
    # pooled: (9*0.09*10 + 39*0.16*40) / (50 - 2) = (8.1 + 249.6) / 48; se = sqrt(that / 50)
    assert math.isclose(rows["acc_size_weighted"].stderr or 0.0, math.sqrt((8.1 + 249.6) / 48 / 50))
