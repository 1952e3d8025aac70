"""Every page of the app on a seeded database, through Streamlit's AppTest (no browser)."""

import io
import os
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.tables import numbers_table, shown_table
from db import app_queries as q
from db.heatmap import heatmap
from db.session import make_engine
from tests.app.seed import Seeded, seed
from tests.conftest import ROOT

MAIN = str(ROOT / "app" / "main.py")


@pytest.fixture
def seeded() -> Seeded:
    return seed(os.environ["HARNESS_DB"])  # conftest points HARNESS_DB at a new SQLite file


def page(path: str | None = None, **params: str | list[str]) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    if path:
        at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def url(at: AppTest, key: str) -> list[str]:
    value = at.query_params[key]
    return value if isinstance(value, list) else [value]


LEADERBOARD_FIXED = {"rank", "model", "step", "flag", "average", "coverage"}


def _score_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in LEADERBOARD_FIXED and not c.endswith(" ±")]


def test_leaderboard_shows_models_coverage_and_missing_cells(seeded: Seeded) -> None:
    at = page()
    table = at.dataframe[0].value.set_index("model")
    assert list(table.index) == [f"checkpoints?model={m}" for m in ("base-model", "lin-cpt", "other-model")]
    assert _score_columns(table) == ["afrixnli", "flores", "xnli"]
    assert pd.isna(table.loc["checkpoints?model=other-model", "xnli"])  # never a zero
    assert table.loc["checkpoints?model=lin-cpt", "coverage"].startswith("6/7 tasks: flores 3/4")
    assert table.loc["checkpoints?model=base-model", "coverage"].startswith("all 7 tasks")
    assert table.loc["checkpoints?model=base-model", "xnli ±"] > 0  # the interval's half-width
    # Each model is ranked among those with its own coverage: all three are first of their kind.
    assert list(table["rank"]) == [1, 1, 1]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV (as shown)", "Download CSV (numbers)"]


def test_leaderboard_csv_exports_round_trip(seeded: Seeded) -> None:
    cells = q.leaderboard(make_engine(seeded.url))
    shown = pd.read_csv(io.StringIO(shown_table(cells, "family").to_csv()), index_col="model")
    assert shown.loc["other-model", "xnli"] == "missing"
    numbers = pd.read_csv(io.StringIO(numbers_table(cells, "family").to_csv(index=False)))
    assert len(numbers) == len(cells)  # one row per cell: the missing one is absent, not zero
    for cell, row in zip(cells, numbers.itertuples(), strict=True):
        assert (row.model, row.family, row.tasks_covered, row.tasks_total) == (
            cell.model,
            cell.column,
            cell.covered,
            cell.total,
        )
        assert row.mean == pytest.approx(cell.mean, rel=1e-12)
        assert row.ci95_low == pytest.approx(cell.ci_low, rel=1e-12)
        assert shown.loc[cell.model, cell.column].startswith(f"{cell.mean:.2f}" if cell.mean > 1 else "0.")


def test_leaderboard_filters_live_in_the_url(seeded: Seeded) -> None:
    at = page(by="task", script="Hans", model=["base-model", "other-model"])
    table = at.dataframe[0].value
    assert _score_columns(table) == ["flores_eng_Latn-zho_Hans"]
    assert list(table["model"]) == ["checkpoints?model=base-model", "checkpoints?model=other-model"]
    assert list(table["rank"]) == [1, 2]  # same coverage: ranked by the average, descending
    at.sidebar.multiselect[0].select("flores").run()  # family
    assert url(at, "family") == ["flores"]
    assert url(at, "by") == ["task"]


def chart_rows(at: AppTest, index: int = 0) -> pd.DataFrame:
    """The rows of the page's `index`-th Vega-Lite chart, as the app sends them to the browser."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    chart = at.get("vega_lite_chart")[index].proto
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.datasets]
    assert frames, "the chart carries no data"
    return pd.concat(frames, ignore_index=True)


def test_languages_heatmap_by_resource_level(seeded: Seeded) -> None:
    at = page("views/languages.py", group="resource", metric="chrf++")
    table = at.dataframe[0].value
    groups = [group for group, _ in table.index]
    assert groups == ["high", "medium", "low"]  # Chinese, Swahili, Lingala: high resource first
    assert ("low", "Lingala · lin_Latn") in table.index
    assert list(table.columns) == ["base-model", "lin-cpt", "other-model"]
    cells = {(c.model, c.language): c for c in heatmap(make_engine(seeded.url), "chrf++", "resource").cells}
    assert table.loc[("low", "Lingala · lin_Latn"), "lin-cpt"] == cells[("lin-cpt", "lin_Latn")].value
    drawn = chart_rows(at)
    assert len(drawn) == len(cells) + len(heatmap(make_engine(seeded.url), "chrf++", "resource").means)
    lingala = drawn[(drawn.language == "lin_Latn") & (drawn.model == "lin-cpt")]
    assert lingala["value"].tolist() == [cells[("lin-cpt", "lin_Latn")].value]
    assert lingala["n"].tolist() == [cells[("lin-cpt", "lin_Latn")].n] == [40]  # two directions x 20
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV (numbers)"]


def test_languages_difference_to_a_base_model(seeded: Seeded) -> None:
    at = page("views/languages.py", group="script", metric="chrf++", mode="difference", base="base-model")
    table = at.dataframe[0].value
    assert "base-model" not in table.columns
    hm = heatmap(make_engine(seeded.url), "chrf++", "script", base="base-model")
    for c in hm.cells:
        assert table.loc[(c.group, f"{c.name} · {c.language}"), c.model] == pytest.approx(c.value)
    assert url(at, "mode") == ["difference"] and url(at, "base") == ["base-model"]
    assert any("minus base-model" in c.value for c in at.caption)


def test_checkpoints_curve_and_forgetting(seeded: Seeded) -> None:
    at = page("views/checkpoints.py", model="lin-cpt", metric="acc")
    curve = at.dataframe[0].value
    assert list(curve.columns) == [100, 200, 300]
    assert set(curve.index) == {"xnli_en", "xnli_sw", "afrixnli_lin"}
    forgetting = at.dataframe[1].value
    assert list(forgetting.columns) == ["step 100", "step 200", "step 300"]
    assert "eng_Latn" in forgetting.index
    assert any("Base: base-model org/base-model" in c.value for c in at.caption)
    at.sidebar.selectbox[2].select("tokens_seen").run()
    assert url(at, "x") == ["tokens_seen"]


def test_compare_deltas_and_documents(seeded: Seeded) -> None:
    a, b = seeded.runs["base-model"], seeded.runs["lin-cpt@300"]
    at = page("views/compare.py", a=a, b=b, task="xnli_en", outcome="a_right_b_wrong")
    deltas = at.dataframe[0].value.set_index("task")
    assert deltas.loc["flores_eng_Latn-lin_Latn", "significant"] == "yes"  # +10 chrF++ and more
    assert deltas.loc["flores_eng_Latn-lin_Latn", "metric"] == "chrf++"
    assert "flores_eng_Latn-zho_Hans" not in deltas.index  # lin-cpt was not scored on it
    points = chart_rows(at).query("kind == 'task'").set_index("task")  # the scatter
    assert sorted(points.index) == sorted(deltas.index)
    assert points.loc["flores_eng_Latn-lin_Latn", "difference"] == "B better"
    for task, row in deltas.iterrows():
        assert (points.loc[task, "difference"] != "not significant") == (row["significant"] == "yes")
        assert f"{points.loc[task, 'p']:.4f}" == row["p"]
    docs = at.dataframe[1].value
    assert len(docs) > 0 and (docs["A"] == 1.0).all() and (docs["B"] == 0.0).all()
    at.sidebar.selectbox[2].select("flores_eng_Latn-lin_Latn").run()
    docs = at.dataframe[1].value
    assert list(docs.columns) == [
        "doc", "source", "reference", "hypothesis A", "hypothesis B", "chrf++ A", "chrf++ B"
    ]  # fmt: skip
    assert docs.loc[0, "source"] == "source sentence 0"


def test_run_fingerprint(seeded: Seeded) -> None:
    at = page("views/run.py", run=seeded.runs["lin-cpt@200"])
    fingerprint = at.table[1].value
    assert fingerprint.loc["dtype", "value"] == "float32"
    assert fingerprint.loc["versions.lm_eval", "value"] == "0.4.13"
    assert fingerprint.loc["decoding.max_gen_toks", "value"] == "256"
    results = at.dataframe[0].value
    assert set(results["task_hash"]) == {"a" * 64, "b" * 64}
    assert at.table[0].value.loc["step", "value"] == "200"


@pytest.mark.parametrize(
    "path", [None, "views/languages.py", "views/checkpoints.py", "views/compare.py", "views/run.py"]
)
def test_empty_database_shows_how_to_fill_it(path: str | None) -> None:
    at = page(path)
    assert "in the database yet" in at.info[0].value
    command = at.code[0].value
    assert command.startswith("harness eval --model smollm2-135m --tasks flores_lin --bundled-sample")
    assert command.endswith(f"--db '{os.environ['HARNESS_DB']}'")


def test_app_never_imports_the_engine(seeded: Seeded) -> None:
    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        "for p in [None, 'views/languages.py', 'views/checkpoints.py', 'views/compare.py',"
        " 'views/run.py']:\n"
        f"    at = AppTest.from_file({MAIN!r}, default_timeout=30)\n"
        "    (at.switch_page(p) if p else None); at.run(); assert not at.exception\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('lm_eval', 'torch', 'transformers'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
