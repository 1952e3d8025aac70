"""The leaderboard's rank, average, interval and coverage (`db.leaderboard`), on hand-computed cases,
and the page built on it (`app/views/leaderboard.py`, through Streamlit's AppTest)."""

import math
import os

import pytest

from core.scale import BLANK
from db import app_queries as q
from db.leaderboard import (
    PRIMARY,
    Contamination,
    TaskScore,
    build,
    contamination_of,
    data_version,
    leaderboard,
)
from db.session import make_engine
from tests.app.seed import seed

FLORES = ("flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn")
XNLI = ("xnli_en", "xnli_sw")


def score(model: str, task: str, value: float | None, stderr: float | None = 0.0, **kw: object) -> TaskScore:
    family = "flores" if task.startswith("flores") else "xnli"
    metric = "chrf++" if family == "flores" else "acc"
    fields: dict = {
        "model": model,
        "checkpoint_id": hash(model) % 1000,
        "step": None,
        "run_id": f"run-{model}",
        "task": task,
        "family": family,
        "language": None,
        "metric": metric,
        "primary_metric": metric,
        "value": value,
        "stderr": stderr,
        "n": 10,
        "protocol": f"{family} protocol",
    }
    fields.update(kw)
    return TaskScore(**fields)


def board_scores() -> list[TaskScore]:
    return [
        # A: flores 30 (se 1), 40 (se 2); xnli 0.6, 0.8 (se 0.1 each)
        score("A", FLORES[0], 30.0, 1.0),
        score("A", FLORES[1], 40.0, 2.0),
        score("A", XNLI[0], 0.6, 0.1),
        score("A", XNLI[1], 0.8, 0.1),
        # B: flores 20, 30; xnli 0.9, 0.9
        score("B", FLORES[0], 20.0),
        score("B", FLORES[1], 30.0),
        score("B", XNLI[0], 0.9),
        score("B", XNLI[1], 0.9),
        # C and E: FLORES only; C's average is the highest of all
        score("C", FLORES[0], 80.0),
        score("C", FLORES[1], 80.0),
        score("E", FLORES[0], 70.0),
        score("E", FLORES[1], 70.0),
        # D: one FLORES direction (its other one was not scored: value None) and both XNLI
        score("D", FLORES[0], 50.0),
        score("D", FLORES[1], None, None),
        score("D", XNLI[0], 0.5),
        score("D", XNLI[1], 0.5),
    ]


def test_average_rank_and_coverage_by_hand() -> None:
    board = build(board_scores())
    assert [c.name for c in board.columns] == ["flores", "xnli"]
    assert [c.unit for c in board.columns] == ["chrf++", "acc x100"]
    assert [c.protocol for c in board.columns] == ["flores protocol", "xnli protocol"]
    # Only A and B have all 4 tasks: ranked, B (57.5) above A (52.5). A's 95% interval,
    # 52.5 +- 1.96 * sqrt(51.25) / 2 = [45.5, 59.5], holds B's 57.5 (B's errors are 0): neither is
    # significantly better, so both are "1-2". D (3 of 4), C and E (2 of 4) follow unranked, by
    # coverage, then average: C's 80 is the highest average of all, yet it ranks nowhere.
    order = [(r.model, r.rank, r.rank_worst, r.rank_label, r.group) for r in board.rows]
    assert order == [
        ("B", 1, 2, "1–2", "all 4 tasks"),
        ("A", 1, 2, "1–2", "all 4 tasks"),
        ("D", None, None, "partial 3/4", "3/4 tasks: flores 1/2"),
        ("C", None, None, "partial 2/4", "2/4 tasks: xnli missing"),
        ("E", None, None, "partial 2/4", "2/4 tasks: xnli missing"),
    ]
    assert [r.model for r in board.ranked] == ["B", "A"]
    a = board.row("A")
    assert a is not None
    # flores: (30 + 40) / 2 = 35, se sqrt(1 + 4) / 2; xnli: (60 + 80) / 2 = 70, se sqrt(10^2 + 10^2) / 2
    assert a.cells["flores"].value == pytest.approx(35.0)
    assert a.cells["flores"].stderr == pytest.approx(math.sqrt(5) / 2)
    assert a.cells["xnli"].value == pytest.approx(70.0)
    assert a.cells["xnli"].stderr == pytest.approx(math.sqrt(200) / 2)
    # average (35 + 70) / 2 = 52.5, se sqrt(5/4 + 200/4) / 2
    assert a.average == pytest.approx(52.5)
    assert a.average_stderr == pytest.approx(math.sqrt(5 / 4 + 50) / 2)
    low, high = a.average_ci or (0, 0)
    assert (high - low) / 2 == pytest.approx(1.959963984540054 * math.sqrt(51.25) / 2)
    assert (a.columns_covered, a.tasks_covered, a.tasks_total) == (2, 4, 4)
    c = board.row("C")
    assert c is not None
    assert c.average == pytest.approx(80.0)  # the missing xnli column is left out, not a zero
    assert "xnli" not in c.cells and c.group_size == 2
    d = board.row("D")
    assert d is not None
    # D's flores cell is its one scored direction: 50 over 1 of 2 tasks; xnli 50; average 50.
    assert (d.cells["flores"].value, d.cells["flores"].covered, d.cells["flores"].total) == (50.0, 1, 2)
    assert d.average == pytest.approx(50.0) and d.tasks_covered == 3


def test_ties_share_a_range_and_columns_by_task() -> None:
    # No errors: the intervals are points; x and y tie (neither better), both above z.
    scores = [score(m, FLORES[0], v) for m, v in (("y", 40.0), ("x", 40.0), ("z", 30.0))]
    board = build(scores, by="task")
    assert [c.name for c in board.columns] == [FLORES[0]]
    assert [(r.model, r.rank_label) for r in board.rows] == [("x", "1–2"), ("y", "1–2"), ("z", "3")]


@pytest.mark.parametrize(
    ("averages", "expected"),
    [
        # se 1 each: 95% intervals +-1.96. 60 and 58 overlap, both clear of 50: P, Q "1-2", R "3".
        ((60.0, 58.0, 50.0), ["1–2", "1–2", "3"]),
        # A chain: 60 overlaps 57, 57 overlaps 54, but 60 is clear of 54 (58.04 > 55.96).
        # P: 0 better, 1 worse -> 1-2; Q: none either way -> 1-3; R: 1 better -> 2-3.
        ((60.0, 57.0, 54.0), ["1–2", "1–3", "2–3"]),
        # All clear of each other (4 apart > 2 * 1.96): one rank each.
        ((60.0, 56.0, 52.0), ["1", "2", "3"]),
    ],
)
def test_overlapping_intervals_give_a_range(averages: tuple[float, ...], expected: list[str]) -> None:
    scores = [score(m, FLORES[0], v, 1.0) for m, v in zip("PQR", averages, strict=True)]
    board = build(scores)
    assert [r.model for r in board.rows] == ["P", "Q", "R"]
    assert [r.rank_label for r in board.rows] == expected
    assert all(r.rank is not None and r.rank_worst is not None and r.rank <= r.rank_worst for r in board.rows)


def test_a_model_without_a_standard_error_is_not_significantly_different() -> None:
    scores = [score("P", FLORES[0], 90.0, None), score("Q", FLORES[0], 10.0, 0.0)]
    assert [r.rank_label for r in build(scores).rows] == ["1–2", "1–2"]


def test_the_same_winner_in_the_family_and_the_task_view() -> None:
    """The average is over families in both views, so a family with many tasks does not outweigh
    one with few in the per-task view (which the mean over task columns would: A 60 over B 53.3)."""
    scores = [
        score("A", FLORES[0], 80.0),
        score("A", FLORES[1], 80.0),
        score("A", XNLI[0], 0.2),  # A: families (80 + 20) / 2 = 50
        score("B", FLORES[0], 50.0),
        score("B", FLORES[1], 50.0),
        score("B", XNLI[0], 0.6),  # B: families (50 + 60) / 2 = 55
        score("C", FLORES[0], 99.0),  # C: partial in both views
    ]
    family, task = build(scores, by="family"), build(scores, by="task")
    assert len(family.columns) == 2 and len(task.columns) == 3
    for board in (family, task):
        assert [(r.model, r.rank_label) for r in board.rows] == [("B", "1"), ("A", "2"), ("C", "partial 1/3")]
        assert [r.average for r in board.rows] == pytest.approx([55.0, 50.0, 99.0])


def test_partial_rows_are_off_the_average_colour_scale() -> None:
    from app.leaderboard_table import AVERAGE, colours

    board = build(board_scores())
    styles = colours(board)
    ranked = [r.rank is not None for r in board.rows]
    assert ranked == [True, True, False, False, False]
    assert all(styles[AVERAGE][:2]) and styles[AVERAGE][2:] == ["", "", ""]
    # The scale runs from the ranked rows' lowest (A) to highest (B), not to C's 80.
    assert styles[AVERAGE][0].startswith("background-color: #2171b5")  # B: the darkest
    assert styles[AVERAGE][1].startswith("background-color: #f7fbff")  # A: the lightest
    # A column's scale holds its complete cells only: D's flores is 1 of 2 tasks.
    assert styles["flores"][2] == "" and styles["flores"][3] != ""


def test_a_metric_by_name_is_shown_on_its_scale_and_a_missing_stderr_has_no_interval() -> None:
    scores = [score("A", XNLI[0], 0.6, None, metric="acc"), score("A", XNLI[1], 0.8, 0.1, metric="acc")]
    board = build(scores, metric="acc")
    row = board.rows[0]
    assert board.columns[0].unit == "acc x100"
    assert row.cells["xnli"].value == pytest.approx(70.0)  # 0-100 as on every page (core.scale)
    assert row.cells["xnli"].ci is None and row.average_ci is None
    assert (board.limits, board.digits) == ((0.0, 100.0), 1)


def test_intervals_are_clipped_and_exports_have_no_none_or_nan() -> None:
    from app.leaderboard_table import csv_bytes, numbers_csv, shown_csv

    # An accuracy of 0.5 with interval [0.02, 0.98] +- ... : stderr 0.5 gives [-0.48, 1.48].
    scores = [
        score("A", XNLI[0], 0.5, 0.5),
        score("A", FLORES[0], 40.0, None),
        score("B", XNLI[0], 0.7, 0.1),
    ]
    board = build(scores)
    a = board.row("A")
    assert a is not None and a.cells["xnli"].ci == (0.0, 100.0)
    assert a.cells["xnli"].half_width == pytest.approx(1.959963984540054 * 50)  # the ± stays honest
    numbers = numbers_csv(board)
    xnli = numbers[(numbers.model == "A") & (numbers.family == "xnli")].iloc[0]
    assert (xnli.ci95_low, xnli.ci95_high) == (0.0, 100.0)
    assert numbers.ci95_low.min() >= 0 and numbers.ci95_high.max() <= 100
    for frame in (numbers, shown_csv(board)):
        text = csv_bytes(frame).decode()
        assert "None" not in text and "nan" not in text.lower() and BLANK in text


def test_a_primary_metric_outside_0_1_is_not_averaged() -> None:
    scores = [
        score("A", FLORES[0], 30.0),
        score("A", "judge_task", 3.5, 0.2, family="judged", metric="rule_adherence", primary_metric="x"),
    ]
    board = build(scores, metric=PRIMARY)
    judged = next(c for c in board.columns if c.name == "judged")
    assert not judged.averaged
    row = board.rows[0]
    assert row.cells["judged"].value == pytest.approx(3.5)  # shown in its own unit
    assert row.average == pytest.approx(30.0)  # the average is over flores only


def test_contamination_flag_from_the_recipe() -> None:
    recipe = {
        "name": "cpt",
        "contamination": {
            "ngram": 13,
            "contaminated": True,
            "tasks": {
                FLORES[0]: {"documents": 10, "hit": 3, "doc_ids": [1, 4, 7]},
                FLORES[1]: {"documents": 10, "hit": 0, "doc_ids": []},
            },
        },
    }
    flag = contamination_of(recipe)
    assert flag == Contamination(True, 13, {FLORES[0]: (3, 10)})
    assert flag is not None and flag.describe() == f"contaminated (13-gram): {FLORES[0]} 3/10"
    assert contamination_of({"name": "cpt"}) is None and contamination_of(None) is None
    clean = contamination_of({"contamination": {"ngram": 13, "contaminated": False, "tasks": {}}})
    assert clean is not None and clean.describe() == "clean (13-gram check)"
    scores = [score("A", FLORES[0], 30.0), score("B", FLORES[0], 20.0)]
    board = build(scores, contamination={scores[0].checkpoint_id: flag})
    a, b = board.row("A"), board.row("B")
    assert a is not None and a.contamination is not None and a.contamination.contaminated
    assert b is not None and b.contamination is None


def test_agrees_with_the_app_queries_cells() -> None:
    """The same standing results as `db.app_queries.leaderboard` (one rule for which result counts)."""
    seeded = seed(os.environ["HARNESS_DB"])
    engine = make_engine(seeded.url)
    board = leaderboard(engine)
    cells = q.leaderboard(engine)
    assert len(cells) == sum(len(r.cells) for r in board.rows) == 7
    scale = {c.name: 100.0 if c.unit.endswith("x100") else 1.0 for c in board.columns}
    for cell in cells:
        row = board.row(cell.model)
        assert row is not None
        mine = row.cells[cell.column]
        assert cell.mean is not None
        assert mine.value == pytest.approx(cell.mean * scale[cell.column], rel=1e-12)
        assert (mine.covered, mine.total) == (cell.covered, cell.total)
        assert mine.ci is not None and cell.ci_low is not None
        assert mine.ci[0] == pytest.approx(cell.ci_low * scale[cell.column], rel=1e-9)
    # lin-cpt stands by its step-300 run; the failed run is never used.
    lin = board.row("lin-cpt")
    assert lin is not None and lin.steps == (300,) and lin.runs == (seeded.runs["lin-cpt@300"],)


def test_page_ranks_links_and_exports(tmp_path: object) -> None:
    import json

    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    seed(os.environ["HARNESS_DB"])
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.switch_page("views/leaderboard.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    frame = at.dataframe[0].value
    assert list(frame.columns) == [
        "rank", "model", "step", "average", "average ±", "coverage",
        "afrixnli", "afrixnli ±", "flores", "flores ±", "xnli", "xnli ±",
    ]  # fmt: skip
    assert list(frame["model"]) == [
        f"checkpoints?model={m}" for m in ("base-model", "lin-cpt", "other-model")
    ]
    # Only base-model has all 7 tasks: the others are listed unranked with their coverage.
    assert list(frame["rank"]) == ["1", "partial 6/7", "partial 4/7"]
    assert frame["average"].dtype == "float64" and frame["flores"].dtype == "float64"
    assert 1 < frame.loc[0, "xnli"] <= 100  # accuracies on 0-100
    assert math.isnan(frame.loc[2, "xnli"])  # other-model has no XNLI: missing, not zero
    proto = at.dataframe[0].proto
    config = json.loads(proto.columns)
    assert config["rank"]["pinned"] and config["model"]["pinned"]  # kept in view when scrolled sideways
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV (as shown)", "Download CSV (numbers)"]
    assert any("run?run=" in m.value for m in at.markdown)  # the runs behind each row


def test_data_version_changes_with_a_new_run() -> None:
    import random

    from core.lineage import Lineage
    from db import store
    from db.session import make_session_factory
    from tests.app.seed import _fingerprint, _flores, _store

    url = os.environ["HARNESS_DB"]
    seed(url)
    engine = make_engine(url)
    before = data_version(engine)
    assert data_version(engine) == before
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, Lineage("new"), "/ckpt/new", "local", _fingerprint("x"))
    assert data_version(engine) != before
    middle = data_version(engine)
    _store(factory, run_id, _flores(FLORES[0], 50.0, random.Random(2)))
    store.finish_run(factory, run_id, "complete")
    assert data_version(engine) != middle


def test_page_flags_a_contaminated_checkpoint() -> None:
    import random

    from streamlit.testing.v1 import AppTest

    from app.common import md_escape
    from core.lineage import Lineage
    from db import store
    from db.session import make_session_factory
    from tests.app.seed import _fingerprint, _flores, _store
    from tests.conftest import ROOT

    url = os.environ["HARNESS_DB"]
    seed(url)
    factory = make_session_factory(make_engine(url))
    recipe = {
        "contamination": {
            "ngram": 13,
            "contaminated": True,
            "tasks": {FLORES[0]: {"documents": 20, "hit": 2, "doc_ids": [3, 9]}},
        }
    }
    run_id = store.start_run(
        factory, Lineage("dirty", recipe=recipe), "/ckpt/dirty", "local", _fingerprint("x")
    )
    _store(factory, run_id, _flores(FLORES[0], 90.0, random.Random(1)))
    store.finish_run(factory, run_id, "complete")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.switch_page("views/leaderboard.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    frame = at.dataframe[0].value.set_index("model")
    assert frame.loc["checkpoints?model=dirty", "flag"] == "⚠ contaminated"
    assert frame.loc["checkpoints?model=base-model", "flag"] == ""
    # The stored strings are escaped for Markdown (`app.common.md_escape`).
    described = md_escape(f"contaminated (13-gram): {FLORES[0]} 2/20")
    assert [w.value for w in at.warning] == [f"**dirty**: {described}"]
