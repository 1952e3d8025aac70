"""Group scores from task scores: the expected values are worked out by hand below."""

import math

from core.records import MetricResult
from harness.groups import group_results
from tasks import registry
from tests.conftest import need_shared_data


def _m(
    task: str, metric: str, value: float | None, stderr: float | None, n: int, sig: str = "s"
) -> MetricResult:
    return MetricResult(task, metric, value, stderr, n, sig)


def test_mean_metrics_are_the_plain_mean_over_tasks() -> None:
    # C-Eval averages subjects, not questions: 0.5 over 10 and 0.2 over 40 -> 0.35 (not 0.26).
    results = [_m("ceval_a", "acc", 0.5, 0.3, 10), _m("ceval_b", "acc", 0.2, 0.4, 40)]
    [row] = group_results({"ceval": ["ceval_a", "ceval_b"]}, results)
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
    rows = {r.metric: r for r in group_results({"gaokao_english": ["g_a", "g_b"]}, results)}
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
    rows = {r.metric: r for r in group_results({"g": ["t1", "t2"]}, results)}
    assert set(rows) == {"acc", "spbleu"}  # a metric one member lacks is not aggregated
    assert rows["acc"].signature == "acc|macro-over-2-tasks|member-signatures-differ"
    assert rows["acc"].stderr is None  # t1 has none
    assert rows["spbleu"].value is None and rows["spbleu"].note == "not computed: no value for t1, t2"
    # A group with a member not in the results, or of one task, gets no rows.
    assert group_results({"g": ["t1", "t3"]}, results) == []
    assert group_results({"g": ["t1"]}, results) == []


def test_requested_groups_are_the_groups_among_the_names() -> None:
    data = need_shared_data()

    def resolve(name: str):  # noqa: ANN202
        return data / name

    _, groups = registry.expand_with_groups(["flores_lin", "ceval_stem", "ceval_law", "xnli_en"], resolve)
    assert groups["flores_lin"] == ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"]
    assert set(groups) == {"flores_lin", "ceval_stem"}
    assert "ceval_advanced_mathematics" in groups["ceval_stem"] and "ceval_law" not in groups["ceval_stem"]
