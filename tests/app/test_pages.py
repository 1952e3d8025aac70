"""Every page of the app on a seeded database, through Streamlit's AppTest (no browser)."""

import os
import subprocess
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.scale import BLANK
from db import app_queries as q
from db.heatmap import heatmap
from db.session import make_engine
from tests.app.seed import Seeded, seed, seed_two_documents
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


def shown_text(at: AppTest) -> str:
    """Everything the page writes as text: each grid and table as displayed (a Styler's display
    values where one is set), and every text element."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    parts = []
    for element in [*at.dataframe, *at.table]:
        arrow = element.proto.arrow_data
        if arrow.styler.display_values:
            parts.append(convert_arrow_bytes_to_pandas_df(arrow.styler.display_values).to_string())
        else:
            parts.append(convert_arrow_bytes_to_pandas_df(arrow.data).to_string())
    for kind in ("title", "subheader", "header", "caption", "markdown", "warning", "info", "text"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    return "\n".join(parts)


def no_blank_words(at: AppTest) -> str:
    assert all(d.proto.placeholder == BLANK for d in at.dataframe)  # the grid's own "None" for nulls
    text = shown_text(at)
    assert text.strip()
    for word in ("None", "nan", "NaN"):
        assert word not in text.split(), (word, text[:2000])
    return text


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
    # Only a model with every shown task is ranked; the others are listed with their coverage.
    assert list(table["rank"]) == ["1", "partial 6/7", "partial 4/7"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV (as shown)", "Download CSV (numbers)"]


def test_leaderboard_filters_live_in_the_url(seeded: Seeded) -> None:
    at = page(by="task", script="Hans", model=["base-model", "other-model"])
    table = at.dataframe[0].value
    assert _score_columns(table) == ["flores_eng_Latn-zho_Hans"]
    assert list(table["model"]) == ["checkpoints?model=base-model", "checkpoints?model=other-model"]
    # Same tasks, but their averages' 95% intervals overlap: neither is significantly ahead.
    assert list(table["rank"]) == ["1–2", "1–2"]
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
    hm = heatmap(make_engine(seeded.url), "chrf++", "resource")
    cells = {(c.model, c.language): c for c in hm.cells}
    assert table.loc[("low", "Lingala · lin_Latn"), "lin-cpt"] == cells[("lin-cpt", "lin_Latn")].value
    drawn = chart_rows(at)
    assert len(drawn) == len(cells) + len(hm.means)
    lingala = drawn[(drawn.language == "lin_Latn") & (drawn.model == "lin-cpt")]
    assert lingala["value"].tolist() == [cells[("lin-cpt", "lin_Latn")].value]
    assert lingala["n"].tolist() == [cells[("lin-cpt", "lin_Latn")].n] == [40]  # two directions x 20
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV (numbers)"]
    # lin-cpt has no Chinese: its "high" mean covers 1 of 1 language, but the grid shows a blank.
    shown = no_blank_words(at)
    assert BLANK in shown


def test_languages_accuracy_on_the_leaderboards_scale(seeded: Seeded) -> None:
    """Accuracy 0-100 on Languages, as on the Leaderboard; each group mean says its coverage."""
    at = page("views/languages.py", group="resource", metric="acc")
    table = at.dataframe[0].value
    hm = heatmap(make_engine(seeded.url), "acc", "resource")
    assert hm.cells
    for c in hm.cells:
        assert table.loc[(c.group, f"{c.name} · {c.language}"), c.model] == pytest.approx(100 * c.value)
    assert table.max().max() > 1.0  # not a fraction
    drawn = chart_rows(at)
    cell = hm.cells[0]
    row = drawn[(drawn.language == cell.language) & (drawn.model == cell.model)]
    assert row["value"].tolist() == [pytest.approx(100 * cell.value)]
    means = drawn[drawn.language == ""]
    assert set(means["languages"]) <= {f"{k} of {n}" for n in range(1, 4) for k in range(1, n + 1)}
    # The group means table: "value (k of n)" per model, with the model's own coverage.
    by_group = at.dataframe[1].value
    for m in hm.means:
        total = len(hm.languages[m.group])
        assert by_group.loc[m.group, m.model] == f"{100 * m.value:.1f} ({m.languages} of {total})"
    csv = at.get("download_button")[0]
    assert csv.proto.label == "Download CSV (numbers)"
    no_blank_words(at)


def test_languages_difference_to_a_base_model(seeded: Seeded) -> None:
    at = page("views/languages.py", group="script", metric="chrf++", mode="difference", base="base-model")
    table = at.dataframe[0].value
    assert "base-model" not in table.columns
    hm = heatmap(make_engine(seeded.url), "chrf++", "script", base="base-model")
    for c in hm.cells:
        assert table.loc[(c.group, f"{c.name} · {c.language}"), c.model] == pytest.approx(c.value)
    assert url(at, "mode") == ["difference"] and url(at, "base") == ["base-model"]
    assert any("minus base-model" in c.value for c in at.caption)
    no_blank_words(at)


def test_unknown_url_values_warn(seeded: Seeded) -> None:
    at = page("views/languages.py", metric="nope", model=["lin-cpt", "ghost"])
    warnings = [w.value for w in at.warning]
    assert any("**metric**" in w and "“nope”" in w for w in warnings), warnings
    assert any("**model**" in w and "“ghost”" in w for w in warnings), warnings
    assert url(at, "model") == ["lin-cpt"]  # the known value is kept
    at = page("views/checkpoints.py", model="nobody")
    assert any("**model**" in w.value and "“nobody”" in w.value for w in at.warning)
    at = page("views/languages.py", metric="chrf++", model="lin-cpt")
    assert not at.warning  # valid values: no warning


def test_checkpoints_open_on_a_model_with_checkpoints(seeded: Seeded) -> None:
    at = page("views/checkpoints.py", metric="acc")
    assert at.sidebar.selectbox[0].value == "lin-cpt"  # not base-model, the first by name
    curve = at.dataframe[0].value
    assert list(curve.columns) == ["base", "step 100", "step 200", "step 300"]
    assert set(curve.index) == {"afrixnli", "xnli"}  # one line per family by default
    drawn = chart_rows(at)
    zero = drawn[drawn.step == 0]
    assert set(zero["line"]) == {"afrixnli", "xnli"}  # the base model at step 0
    engine = make_engine(seeded.url)
    base = q.base_checkpoint(engine, "lin-cpt")
    assert base is not None and base.model == "base-model"
    results = {p.task: p.value for p in q.checkpoint_results(engine, base.id, metric="acc")}
    xnli = [v for t, v in results.items() if t.startswith("xnli_") and v is not None]
    assert zero.set_index("line").loc["xnli", "value"] == pytest.approx(100 * sum(xnli) / len(xnli))
    assert any("Step 0 is the base model" in c.value for c in at.caption)
    no_blank_words(at)


def test_checkpoints_curve_drill_down_and_forgetting(seeded: Seeded) -> None:
    at = page("views/checkpoints.py", model="lin-cpt", metric="acc", family="xnli")
    curve = at.dataframe[0].value
    assert list(curve.columns) == ["base", "step 100", "step 200", "step 300"]
    assert set(curve.index) == {"xnli_en", "xnli_sw"}
    engine = make_engine(seeded.url)
    by = {(p.step, p.task): p.value for p in q.checkpoint_curve(engine, "lin-cpt", metric="acc")}
    assert curve.loc["xnli_sw", "step 200"] == pytest.approx(100 * (by[(200, "xnli_sw")] or 0.0))
    chart = at.get("vega_lite_chart")[0].proto.spec
    assert '"strokeDash"' in chart and '"shape"' in chart  # identical curves stay distinguishable
    forgetting = at.dataframe[1].value
    assert list(forgetting.columns) == ["step 100", "step 200", "step 300"]
    assert "English · eng_Latn" in forgetting.index  # a language's name, not a bare code
    assert any("Base: base-model org/base-model" in c.value for c in at.caption)
    at.sidebar.selectbox[2].select("tokens_seen").run()
    assert url(at, "x") == ["tokens_seen"]
    no_blank_words(at)


def test_compare_deltas_and_documents(seeded: Seeded) -> None:
    a, b = seeded.runs["base-model"], seeded.runs["lin-cpt@300"]
    at = page("views/compare.py", a=a, b=b, task="xnli_en", outcome="a_right_b_wrong")
    deltas = at.dataframe[0].value.set_index("task")
    assert deltas.loc["flores_eng_Latn-lin_Latn", "verdict"] == "B better"  # +10 chrF++ and more
    assert deltas.loc["flores_eng_Latn-lin_Latn", "metric"] == "chrf++"
    assert "flores_eng_Latn-zho_Hans" not in deltas.index  # lin-cpt was not scored on it
    computed = {d.task: d for d in q.compare_runs(make_engine(seeded.url), a, b)}
    for task, row in deltas.iterrows():
        d = computed[task]
        scale = 100 if d.metric == "acc" else 1
        assert row["A"] == f"{scale * d.a:.1f}" and row["delta"] == f"{scale * d.delta:+.1f}"
        assert row["p (Holm)"] == f"{d.p_holm:.4f}" and d.p_holm >= d.p_value
    points = chart_rows(at).query("kind == 'task'").set_index("task")  # the scatter
    assert sorted(points.index) == sorted(deltas.index)
    assert points.loc["flores_eng_Latn-lin_Latn", "difference"] == "B better"
    for task, row in deltas.iterrows():
        side = {"B better": "B better", "B worse": "A better"}.get(row["verdict"], row["verdict"])
        assert points.loc[task, "difference"] == side
        assert f"{points.loc[task, 'p']:.4f}" == row["p"]
    docs = at.dataframe[1].value
    assert len(docs) > 0 and (docs["A"] == 100.0).all() and (docs["B"] == 0.0).all()
    no_blank_words(at)
    at.sidebar.selectbox[2].select("flores_eng_Latn-lin_Latn").run()
    docs = at.dataframe[1].value
    assert list(docs.columns) == [
        "doc", "source", "reference", "hypothesis A", "hypothesis B", "chrf++ A", "chrf++ B"
    ]  # fmt: skip
    assert docs.loc[0, "source"] == "source sentence 0"


def test_compare_two_documents_is_never_significant() -> None:
    """Two documents, A right on both and B wrong: the most extreme outcome n = 2 allows. The old
    paired bootstrap called this significant; no valid test can (its smallest p is 0.5)."""
    a, b = seed_two_documents(os.environ["HARNESS_DB"])
    at = page("views/compare.py", a=a[:8], b=b[:8])  # the 8-character ids the app shows
    assert not at.warning
    deltas = at.dataframe[0].value.set_index("task")
    assert deltas.loc["xnli_sw", "verdict"] == "not enough evidence"
    assert deltas.loc["xnli_sw", "delta"] == "-100.0"
    assert deltas.loc["xnli_sw", "95% CI"] == "[-100.0, -100.0]"
    assert "significant" not in shown_text(at).replace("no significant difference", "")
    [d] = q.compare_runs(make_engine(os.environ["HARNESS_DB"]), a, b)
    assert not d.significant and d.differing == 2 and d.p_value == pytest.approx(0.5)


def test_run_fingerprint(seeded: Seeded) -> None:
    at = page("views/run.py", run=seeded.runs["lin-cpt@200"])
    fingerprint = at.table[1].value
    assert fingerprint.loc["dtype", "value"] == "float32"
    assert fingerprint.loc["versions.lm_eval", "value"] == "0.4.13"
    assert fingerprint.loc["decoding.max_gen_toks", "value"] == "256"
    results = at.dataframe[0].value
    assert set(results["task_hash"]) == {"a" * 64, "b" * 64}
    assert at.table[0].value.loc["step", "value"] == "200"
    assert at.table[0].value.loc["error", "value"] == BLANK  # never "None"
    acc = results[results.metric == "acc"]["value"]
    assert len(acc) and (acc > 1).any() and (acc <= 100).all()  # 0-100, as the leaderboard
    no_blank_words(at)


def test_run_by_prefix_and_unknown_run(seeded: Seeded) -> None:
    run = seeded.runs["lin-cpt@200"]
    at = page("views/run.py", run=run[:8])
    assert not at.warning
    assert at.subheader[0].value.endswith(run)
    assert url(at, "run") == [run]  # the link now names the whole id
    at = page("views/run.py", run="nope")
    [warning] = at.warning
    assert "**run**" in warning.value and "“nope”" in warning.value
    at = page("views/run.py", run="")
    assert at.warning  # an empty value names nothing either


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
