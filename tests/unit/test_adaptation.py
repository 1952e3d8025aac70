"""`harness.analysis.adaptation` on runs written through the real store, with per-document scores whose
changes, directions and p-values are computed by hand (and by scipy's exact binomial test)."""

from pathlib import Path

import pytest
from scipy.stats import binomtest

from core.errors import HarnessError
from core.lineage import Lineage
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from harness.analysis.adaptation import checkpoint_series, compare
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

RECIPE = {"name": "cpt", "target_languages": ["lin_Latn"], "config": {"recipe": "cpt"}}


def _task(
    name: str, language: str, metric: str, scores: list[dict[str, float]]
) -> tuple[TaskOutcome, TaskMeta]:
    """A task whose primary metric is the mean of `metric` (or a ratio of two sums, `a/b`)."""
    if "/" in metric:
        top, _, bottom = metric.partition("/")
        primary = "points_rate"
        value = sum(s[top] for s in scores) / sum(s[bottom] for s in scores)
    else:
        primary = metric
        value = sum(s[metric] for s in scores) / len(scores)
    outcome = TaskOutcome(
        name,
        "v1",
        "h" * 64,
        [MetricResult(name, primary, value, None, len(scores), "sig")],
        [SampleRecord(i, f"{name}-{i}", "p", "t", "o", s) for i, s in enumerate(scores)],
    )
    return outcome, TaskMeta("toy", language, primary, metric, "hand-made")


def _run(url: str, lineage: Lineage, source: str, tasks: list[tuple[TaskOutcome, TaskMeta]]) -> str:
    factory = make_session_factory(make_engine(url))
    run_id = store.start_run(factory, lineage, source, "local", {"test": source})
    for outcome, meta in tasks:
        store.store_task(factory, run_id, outcome, meta)
    store.finish_run(factory, run_id, "complete")
    return run_id


def _acc(values: list[float], key: str = "acc") -> list[dict[str, float]]:
    return [{key: v} for v in values]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A base and an adapted checkpoint (step 10, parent the base, recipe targets lin_Latn)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'results.db'}"
    else:
        url = new_database(request.getfixturevalue("postgres_url"))
    base_tasks = [
        _task("toy_lin", "lin_Latn", "acc", _acc([0.0] * 10)),
        _task("toy_fra", "fra_Latn", "off_target", _acc([0.0] * 8, "off_target")),
        _task("toy_eng", "eng_Latn", "acc", _acc([1.0] * 10)),
        _task("toy_swh", "swh_Latn", "points/max", [{"points": 1.0, "max": 2.0}] * 4),
        _task("toy_only", "eng_Latn", "acc", _acc([1.0] * 3)),
    ]
    _run(url, Lineage("base"), "/ckpt/base", base_tasks)
    adapted = [
        _task("toy_lin", "lin_Latn", "acc", _acc([1.0] * 10)),
        _task("toy_fra", "fra_Latn", "off_target", _acc([1.0] * 8, "off_target")),
        _task("toy_eng", "eng_Latn", "acc", _acc([0.0] * 3 + [1.0] * 7)),
        _task("toy_swh", "swh_Latn", "points/max", [{"points": 2.0, "max": 2.0}] * 4),
    ]
    _run(url, Lineage("adapted", step=10, parent="/ckpt/base", recipe=RECIPE), "/out/checkpoint-10", adapted)
    return url


def test_changes_directions_and_holm_by_hand(db: str) -> None:
    result = compare(make_engine(db, read_only=True), "base", "adapted@10")
    by_task = {c.task: c for c in result.changes}
    assert sorted(by_task) == ["toy_eng", "toy_fra", "toy_lin", "toy_swh"]
    assert result.skipped == ["toy_only: only in base"]
    assert (result.base, result.candidate) == ("base", "adapted@10")
    assert (result.targets, result.targets_from) == (["lin_Latn"], "recipe cpt")
    assert [c.task for c in result.changes][0] == "toy_lin"  # targets first

    lin, fra, eng, swh = (by_task[t] for t in ("toy_lin", "toy_fra", "toy_eng", "toy_swh"))
    # 10 documents all 0 -> 1: exact sign-flip = two-sided binomial 2/2^10.
    assert lin.p == pytest.approx(binomtest(10, 10, 0.5).pvalue) == pytest.approx(2 / 1024)
    assert (lin.delta, lin.gain, lin.low, lin.high) == (1.0, 1.0, 1.0, 1.0)
    assert lin.target and lin.higher_is_better and lin.verdict == "better" and lin.significant
    # off_target 0 -> 1 on 8 documents: a rise, so a loss (gain -1).
    assert fra.p == pytest.approx(binomtest(8, 8, 0.5).pvalue) == pytest.approx(2 / 256)
    assert (fra.delta, fra.gain, fra.higher_is_better) == (1.0, -1.0, False)
    assert fra.verdict == "worse" and not fra.target
    # 3 documents differ: p = 2/8, and no outcome on 3 documents can reach 0.05.
    assert eng.p == pytest.approx(0.25) and eng.verdict == "not enough evidence" and not eng.significant
    assert eng.delta == pytest.approx(-0.3)
    # points/max: 4/8 -> 8/8; exact randomization over 2^4 swaps: only none or all reach |0.5|.
    assert swh.metric == "points_rate" and swh.delta == pytest.approx(0.5) and swh.p == pytest.approx(2 / 16)
    # Holm over 4: sorted p 2/1024, 2/256, 2/16, 2/8 times 4, 3, 2, 1, kept monotone.
    assert lin.p_holm == pytest.approx(4 * 2 / 1024)
    assert fra.p_holm == pytest.approx(3 * 2 / 256)
    assert swh.p_holm == pytest.approx(0.25) and eng.p_holm == pytest.approx(0.25)

    assert result.forgetting == ["fra_Latn"] and result.gains == ["lin_Latn"]
    assert [c.task for c in result.carried_by("fra_Latn", "worse")] == ["toy_fra"]
    summaries = {s.metric: s for s in result.summaries}
    assert summaries["acc"].mean_gain_targets == pytest.approx(1.0)
    assert summaries["acc"].mean_change_rest == pytest.approx(-0.3)
    assert (summaries["acc"].targets, summaries["acc"].rest) == (1, 1)
    assert summaries["off_target"].mean_gain_targets is None
    assert summaries["off_target"].mean_change_rest == pytest.approx(-1.0)
    assert not summaries["off_target"].higher_is_better


def test_one_reference_is_compared_with_its_lineage_base(db: str) -> None:
    engine = make_engine(db, read_only=True)
    alone = compare(engine, "adapted")
    explicit = compare(engine, "base", "adapted")
    assert alone.base == "base" and alone.candidate == "adapted@10"
    assert alone.changes == explicit.changes


def test_targets_flag_overrides_the_recipe_and_accepts_iso_639_3(db: str) -> None:
    result = compare(make_engine(db, read_only=True), "base", "adapted", targets=["fra"])
    assert (result.targets, result.targets_from) == (["fra_Latn"], "--targets")
    assert result.forgetting == [] and result.gains == []
    zho = compare(make_engine(db, read_only=True), "base", "adapted", targets=["zho"])
    assert zho.targets == ["zho_Hans", "zho_Hant"]


def test_run_id_prefix_and_tasks(db: str) -> None:
    from db.queries import list_results

    engine = make_engine(db, read_only=True)
    run_id = next(r.run_id for r in list_results(engine, model="adapted"))
    result = compare(engine, "base", run_id[:8], tasks=["toy_lin"])
    assert [c.task for c in result.changes] == ["toy_lin"] and result.candidate_runs == [run_id]
    assert result.candidate == f"adapted@10 (run {run_id[:8]})"


@pytest.mark.parametrize(
    ("refs", "kwargs", "message"),
    [
        (("base", "nobody"), {}, "'nobody' is neither a run id nor a model"),
        (("base", "adapted@x"), {}, "the step after @ must be a whole number"),
        (("base", "adapted@7"), {}, "'adapted@7' is neither"),
        (("base", "adapted"), {"targets": ["xx_Zzzz"]}, "--targets: 'xx_Zzzz' is not a FLORES-200"),
        (("base", "adapted"), {"tasks": ["nope"]}, "--tasks: nope not stored"),
        (("base",), {}, "base has no parent in its lineage"),
    ],
)
def test_bad_input_names_the_reference(db: str, refs: tuple[str, ...], kwargs: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message.replace("(", r"\(")):
        compare(make_engine(db, read_only=True), *refs, **kwargs)


def test_base_evaluated_after_training_and_the_series(db: str) -> None:
    """A base not evaluated before training is registered under the adapted model by the first
    manifest; its later results under its own model name are the base all the same."""
    later = [_task("toy_lin", "lin_Latn", "acc", _acc([1.0] * 6 + [0.0] * 4))]
    _run(db, Lineage("late", step=5, parent="/ckpt/late-base", recipe=RECIPE), "/late/checkpoint-5", later)
    _run(db, Lineage("late", step=9, parent="/late/checkpoint-5", recipe=RECIPE), "/late/checkpoint-9", later)
    _run(db, Lineage("late-base"), "/ckpt/late-base", [_task("toy_lin", "lin_Latn", "acc", _acc([0.0] * 10))])
    engine = make_engine(db, read_only=True)
    result = compare(engine, "late")
    assert (result.base, result.candidate) == ("late-base", "late@9")
    assert result.changes[0].delta == pytest.approx(0.6) and result.changes[0].p == pytest.approx(2 / 64)

    series = checkpoint_series(engine, "late")
    assert [(p.label, p.step, p.recipe) for p in series] == [
        ("late-base", None, None),
        ("late@5", 5, "cpt"),
        ("late@9", 9, "cpt"),
    ]
    assert series[0].comparison is None
    assert [p.comparison.changes[0].gain for p in series[1:] if p.comparison] == [
        pytest.approx(0.6),
        pytest.approx(0.6),
    ]
