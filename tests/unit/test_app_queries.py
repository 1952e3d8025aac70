"""The app's query functions (`db/app_queries.py`) on SQLite and on a real PostgreSQL server.

Each aggregate is recomputed here in plain Python from the raw rows the seed wrote (read back
with one flat SELECT), so the SQL is checked against an independent computation on both
backends, and the two backends must agree with each other.
"""

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from core.languages import placed_language
from db import app_queries as q
from db.heatmap import heatmap
from db.models import Checkpoint, Model, Run, Sample, TaskResult
from db.session import make_engine
from tests.app.seed import Seeded, seed
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('app-queries') / 'r.db'}"
    else:
        url = new_database(request.getfixturevalue("postgres_url"))
    return seed(url)


@pytest.fixture
def engine(seeded: Seeded) -> Engine:
    return make_engine(seeded.url)


def _raw_results(engine: Engine) -> list[dict[str, Any]]:
    query = (
        select(
            Model.name.label("model"),
            Checkpoint.step,
            Run.id.label("run_id"),
            Run.status,
            Run.started_at,
            TaskResult.task,
            TaskResult.family,
            TaskResult.language,
            TaskResult.source_language,
            TaskResult.metric,
            TaskResult.value,
            TaskResult.stderr,
            TaskResult.n,
        )
        .join(Run, TaskResult.run_id == Run.id)
        .join(Checkpoint, Run.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    # Views show a direction into English under its source (the stored language is its target).
    for row in rows:
        row["language"] = placed_language(row["language"], row.pop("source_language"))
    return rows


def _primary(row: dict[str, Any]) -> bool:
    return row["metric"] == ("chrf++" if row["family"] == "flores" else "acc")


def _latest_per_model(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    """(model, task) -> the primary-metric row of its highest-step, newest complete run."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _raw_results(engine):
        if row["status"] != "complete" or not _primary(row):
            continue
        key = (row["model"], row["task"])
        rank = (row["step"] if row["step"] is not None else -1, row["started_at"])
        if key not in best or rank > (
            best[key]["step"] if best[key]["step"] is not None else -1,
            best[key]["started_at"],
        ):
            best[key] = row
    return best


def test_leaderboard_by_family_equals_python_means(engine: Engine) -> None:
    latest = _latest_per_model(engine)
    expected: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (model, _), row in latest.items():
        expected[(model, row["family"])].append(row)
    cells = {(c.model, c.column): c for c in q.leaderboard(engine, by="family")}
    assert set(cells) == set(expected)
    totals: dict[str, set[str]] = defaultdict(set)
    for (_, task), row in latest.items():
        totals[row["family"]].add(task)
    for key, rows in expected.items():
        cell = cells[key]
        mean = sum(r["value"] for r in rows) / len(rows)
        half = 1.959963984540054 * math.sqrt(sum(r["stderr"] ** 2 for r in rows)) / len(rows)
        assert cell.mean == pytest.approx(mean, abs=1e-9)
        assert (cell.ci_low, cell.ci_high) == pytest.approx((mean - half, mean + half), abs=1e-9)
        assert (cell.covered, cell.total) == (len(rows), len(totals[key[1]]))
    # The seed leaves other-model without XNLI: no cell, never a zero.
    assert ("other-model", "xnli") not in cells
    # lin-cpt's newest checkpoint (step 300) stands for it; its failed run (chrF++ 99) never does.
    lin = cells[("lin-cpt", "flores")]
    assert lin.covered == 3 and lin.total == 4
    assert all(row["value"] < 99 for row in expected[("lin-cpt", "flores")])


def test_filters_narrow_rows_by_language_script_and_model(engine: Engine) -> None:
    lingala = q.leaderboard(engine, by="task", filters=q.Filters(languages=["lin_Latn"]))
    assert {c.column for c in lingala} == {
        "flores_eng_Latn-lin_Latn",
        "flores_lin_Latn-eng_Latn",
        "afrixnli_lin",
    }
    han = q.leaderboard(engine, by="task", filters=q.Filters(scripts=["Hans"]))
    assert {(c.model, c.column) for c in han} == {
        ("base-model", "flores_eng_Latn-zho_Hans"),
        ("other-model", "flores_eng_Latn-zho_Hans"),
    }
    only = q.leaderboard(engine, filters=q.Filters(models=["other-model"]))
    assert {c.model for c in only} == {"other-model"}
    options = q.filter_options(engine)
    assert options.models == ["base-model", "lin-cpt", "other-model"]
    assert {"flores", "xnli", "afrixnli"} <= set(options.families)
    assert options.metrics[0] == q.PRIMARY and "chrf++" in options.metrics


def test_language_matrix_means_tasks_per_language(engine: Engine) -> None:
    latest = _latest_per_model(engine)
    expected: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (model, _), row in latest.items():
        if row["language"] is not None:
            expected[(model, row["language"])].append(row["value"])
    cells = {(c.model, c.language): c for c in q.language_matrix(engine, group_by="resource")}
    assert set(cells) == set(expected)
    for key, values in expected.items():
        assert cells[key].value == pytest.approx(sum(values) / len(values), abs=1e-9)
        assert cells[key].tasks == len(values)


def _flores_cells(engine: Engine) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(model, language) -> the chrF++ rows (newest per task) behind one heatmap cell."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for (model, _), row in _latest_per_model(engine).items():
        if row["metric"] == "chrf++" and row["language"] is not None:
            cells[(model, row["language"])].append(row)
    return cells


def test_heatmap_cells_group_means_and_order_by_resource_level(engine: Engine) -> None:
    expected = _flores_cells(engine)
    assert len(expected) >= 8  # three models x up to three languages
    hm = heatmap(engine, "chrf++", "resource")
    cells = {(c.model, c.language): c for c in hm.cells}
    assert set(cells) == set(expected)
    for key, rows in expected.items():
        assert cells[key].value == pytest.approx(sum(r["value"] for r in rows) / len(rows), abs=1e-9)
        assert (cells[key].n, cells[key].tasks) == (sum(r["n"] for r in rows), len(rows))
    # Chinese is high-resource, Swahili medium, Lingala low (core/languages.py): high first.
    assert hm.groups == ["high", "medium", "low"]
    assert hm.languages == {"high": ["zho_Hans"], "medium": ["swh_Latn"], "low": ["lin_Latn"]}
    means = {(m.model, m.group): m for m in hm.means}
    assert len(means) == len({(c.model, c.group) for c in hm.cells})
    for (model, group), mean in means.items():
        members = [c.value for c in hm.cells if c.model == model and c.group == group]
        assert members and mean.value == pytest.approx(sum(members) / len(members), abs=1e-12)


def test_heatmap_difference_to_a_base_pairs_tasks(engine: Engine) -> None:
    """Each cell is the model minus the base over the tasks both have: lin-cpt lacks the
    English->Chinese direction, so it has no Chinese cell, and its Lingala cell pairs both
    Lingala directions."""
    expected = _flores_cells(engine)
    hm = heatmap(engine, "chrf++", "script", base="base-model")
    assert hm.base == "base-model" and "base-model" not in {c.model for c in hm.cells}
    checked = 0
    for cell in hm.cells:
        ours = {r["task"]: r["value"] for r in expected[(cell.model, cell.language)]}
        base = {r["task"]: r["value"] for r in expected[("base-model", cell.language)]}
        shared = sorted(set(ours) & set(base))
        assert cell.tasks == len(shared) > 0
        assert cell.value == pytest.approx(sum(ours[t] - base[t] for t in shared) / len(shared), abs=1e-9)
        assert cell.base_value == pytest.approx(sum(base[t] for t in shared) / len(shared), abs=1e-9)
        checked += 1
    assert checked == len([k for k in expected if k[0] != "base-model"])
    assert ("lin-cpt", "zho_Hans") not in {(c.model, c.language) for c in hm.cells}
    assert hm.groups == ["Latn", "Hans"]  # the script with more languages first


def test_heatmap_orders_languages_by_mean(engine: Engine) -> None:
    hm = heatmap(engine, "chrf++", "script", order="mean")
    latin = hm.languages["Latn"]
    means = {code: [c.value for c in hm.cells if c.language == code] for code in latin}
    assert latin == sorted(latin, key=lambda code: -sum(means[code]) / len(means[code]))
    assert set(latin) == {"lin_Latn", "swh_Latn"}


def test_checkpoints_curve_and_forgetting(engine: Engine) -> None:
    steps = [c.step for c in q.model_checkpoints(engine, "lin-cpt")]
    assert steps == [100, 200, 300]
    curve = q.checkpoint_curve(engine, "lin-cpt")
    assert sorted({p.step for p in curve}) == [100, 200, 300]
    raw = [r for r in _raw_results(engine) if r["status"] == "complete" and _primary(r)]
    by = {(r["model"], r["step"], r["task"]): r["value"] for r in raw}
    language = {r["task"]: r["language"] for r in raw}
    for point in curve:
        assert point.value == pytest.approx(by[("lin-cpt", point.step, point.task)], abs=1e-9)
    base, rows = q.forgetting(engine, "lin-cpt")
    assert base is not None and base.model == "base-model"
    assert rows
    for row in rows:
        # A language's change: the mean over the tasks both have of (checkpoint - base).
        deltas = [
            by[("lin-cpt", row.step, t)] - by[("base-model", None, t)]
            for (m, s, t) in by
            if m == "lin-cpt"
            and s == row.step
            and language[t] == row.language
            and ("base-model", None, t) in by
        ]
        assert row.tasks == len(deltas)
        assert row.delta == pytest.approx(sum(deltas) / len(deltas), abs=1e-9)
    lingala = [r for r in rows if r.language == "lin_Latn"]
    assert [r.step for r in lingala] == [100, 200, 300]


def test_runs_detail_compare_and_paired_samples(engine: Engine, seeded: Seeded) -> None:
    complete = q.list_runs(engine)
    assert len(complete) == 5 and all(r.status == "complete" for r in complete)
    assert len(q.list_runs(engine, include_incomplete=True)) == 6
    detail = q.run_detail(engine, seeded.runs["lin-cpt@300"])
    assert detail is not None and detail.parent == "org/base-model" and detail.step == 300
    assert detail.fingerprint["dtype"] == "float32"
    assert {r.task for r in detail.results} >= {"xnli_en", "flores_eng_Latn-lin_Latn"}

    run_a, run_b = seeded.runs["base-model"], seeded.runs["lin-cpt@300"]
    with engine.connect() as conn:
        rows = conn.execute(select(Sample.run_id, Sample.task, Sample.doc_hash, Sample.scores)).all()
    scores: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for run_id, task, doc_hash, sample_scores in rows:
        primary = "chrf++" if task.startswith("flores_") else "acc"
        scores[(run_id, task)][doc_hash] = float(sample_scores[primary])
    deltas = {d.task: d for d in q.compare_runs(engine, run_a, run_b, resamples=200)}
    assert "flores_eng_Latn-zho_Hans" not in deltas  # lin-cpt has no Chinese: nothing to pair
    for task, d in deltas.items():
        a, b = scores[(run_a, task)], scores[(run_b, task)]
        shared = sorted(set(a) & set(b))
        assert d.n == len(shared)
        assert d.delta == pytest.approx(sum(b[h] - a[h] for h in shared) / len(shared), abs=1e-9)
        assert d.ci_low <= d.delta <= d.ci_high
    right_wrong = q.paired_samples(engine, run_a, run_b, "xnli_en", outcome="a_right_b_wrong")
    a, b = scores[(run_a, "xnli_en")], scores[(run_b, "xnli_en")]
    expected = sum(1 for h in a if a[h] == 1 and b[h] == 0)
    assert len(right_wrong) == expected
    assert all(s.score_a == 1 and s.score_b == 0 for s in right_wrong)
    better = q.paired_samples(engine, run_a, run_b, "flores_eng_Latn-lin_Latn", outcome="b_better")
    assert all(s.score_b > s.score_a for s in better)
    assert len(better) == sum(
        1
        for h in scores[(run_a, "flores_eng_Latn-lin_Latn")]
        if scores[(run_b, "flores_eng_Latn-lin_Latn")][h] > scores[(run_a, "flores_eng_Latn-lin_Latn")][h]
    )


def _mcnemar(a: list[float], b: list[float]) -> float:
    """Exact two-sided McNemar p-value, from the binomial directly: an independent reference."""
    up = sum(1 for x, y in zip(a, b, strict=True) if y > x)
    down = sum(1 for x, y in zip(a, b, strict=True) if x > y)
    k = up + down
    if k == 0:
        return 1.0
    tail = sum(math.comb(k, i) for i in range(min(up, down) + 1)) / 2**k
    return min(1.0, 2 * tail)


def test_compare_runs_tests_with_mcnemar_and_holm(engine: Engine, seeded: Seeded) -> None:
    run_a, run_b = seeded.runs["base-model"], seeded.runs["lin-cpt@300"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sample.run_id, Sample.task, Sample.doc_hash, Sample.scores).where(
                Sample.run_id.in_([run_a, run_b])
            )
        ).all()
    acc: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for run_id, task, doc_hash, sample_scores in rows:
        if "acc" in sample_scores:
            acc[(run_id, task)][doc_hash] = float(sample_scores["acc"])
    deltas = q.compare_runs(engine, run_a, run_b, resamples=200)
    assert len(deltas) == 6
    checked = 0
    for d in deltas:
        if d.metric == "acc":
            a, b = acc[(run_a, d.task)], acc[(run_b, d.task)]
            shared = sorted(set(a) & set(b))
            assert d.p_value == pytest.approx(
                _mcnemar([a[h] for h in shared], [b[h] for h in shared]), abs=1e-12
            )
            assert d.differing == sum(1 for h in shared if a[h] != b[h])
            checked += 1
        span = 1.0 if d.metric == "acc" else 100.0  # the interval is clipped to the metric's span
        assert -span <= d.ci_low <= d.delta <= d.ci_high <= span
    assert checked == 3
    # Holm over the tasks compared, by hand: sorted p-values times (m - rank), running maximum.
    ps = sorted((d.p_value, d.task) for d in deltas)
    running, expected = 0.0, {}
    for rank, (p, task) in enumerate(ps):
        running = max(running, min(1.0, (len(ps) - rank) * p))
        expected[task] = running
    for d in deltas:
        assert d.p_holm == pytest.approx(expected[d.task], abs=1e-12)
        if d.differing < 6:
            assert d.verdict == "not enough evidence" and not d.significant
        elif d.p_holm >= 0.05:
            assert d.verdict == "no significant difference" and not d.significant
        else:
            assert d.verdict == ("better" if d.delta > 0 else "worse") and d.significant
    lingala = {d.task: d for d in deltas}["flores_eng_Latn-lin_Latn"]
    assert lingala.verdict == "better"  # +10 chrF++ and more on 20 documents


def test_checkpointed_models_and_the_base_results(engine: Engine) -> None:
    assert q.checkpointed_models(engine) == ["lin-cpt"]  # the only model with training steps
    base = q.base_checkpoint(engine, "lin-cpt")
    assert base is not None and base.model == "base-model"
    points = q.checkpoint_results(engine, base.id, metric="acc")
    latest = _latest_per_model(engine)
    assert {p.task: p.value for p in points} == {
        task: row["value"]
        for (model, task), row in latest.items()
        if model == "base-model" and row["metric"] == "acc"
    }
    assert {p.family for p in points} == {"xnli", "afrixnli"}
    assert {p.family for p in q.checkpoint_curve(engine, "lin-cpt")} == {"flores", "xnli", "afrixnli"}


def test_sqlite_and_postgresql_give_the_same_leaderboard(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sqlite = make_engine(seed(f"sqlite:///{tmp_path / 'a.db'}").url)
    postgres = make_engine(seed(new_database(request.getfixturevalue("postgres_url"))).url)

    def table(engine: Engine) -> list[tuple[Any, ...]]:
        return [
            (c.model, c.column, round(c.mean or 0, 9), c.covered, c.total)
            for c in q.leaderboard(engine, by="task")
        ]

    assert table(sqlite) == table(postgres)
    assert [(c.model, c.language, round(c.value or 0, 9)) for c in q.language_matrix(sqlite)] == [
        (c.model, c.language, round(c.value or 0, 9)) for c in q.language_matrix(postgres)
    ]
