"""The Adaptation page in headless Chromium, on a database of real runs: a tiny random Llama
(`tests/tiny_model.py`) as the base, adapted to Lingala by two real `harness adapt` runs (`cpt`
and `lora`, 20 steps each, `target_languages: [lin_Latn]`), each checkpoint (steps 10 and 20)
evaluated by the run itself and the base by `harness eval`, on bits per byte for six languages
and AfriXNLI Lingala, XNLI Swahili and English (40 documents each). The page must draw the heatmap
(a dot on exactly the cells the comparison calls significant), the trade-off chart with both
recipes in its legend, and the bits-per-byte curves, with no exception; the screenshot goes to
docs/img/adaptation-page.png.

`HARNESS_TEST_ADAPT_SEED=FOLDER` keeps the database there between runs (built when missing);
`python -m tests.e2e.test_adaptation_page FOLDER` builds it.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HARNESS, ROOT, SHARED_DATA, need_shared_data
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _marks, _need_chromium, _serve

BPB_TASKS = ["bpb_lin_Latn", "bpb_eng_Latn", "bpb_fra_Latn", "bpb_swh_Latn", "bpb_kor_Hang", "bpb_zho_Hans"]
ACC_TASKS = ["afrixnli_lin", "xnli_sw", "xnli_en"]
LIMIT = 40
RECIPES = {
    "cpt": "",
    "lora": "lora:\n  r: 8\n  alpha: 16\n  dropout: 0.0\n  target_modules: [q_proj, v_proj, down_proj]\n",
}
SCREENSHOT = ROOT / "docs" / "img" / "adaptation-page.png"


def _recipe(name: str, base: Path, data: Path) -> str:
    """Real training on FLORES dev Lingala; each saved checkpoint evaluated in the run itself."""
    return (
        f"recipe: {name}\nbase_model: {base}\nmodel_name: tiny-lin-{name}\nseed: 1\n"
        "target_languages: [lin_Latn]\n"
        f'data:\n  - kind: text\n    paths: ["{data}/flores200/dev/lin_Latn.dev"]\n    weight: 1\n'
        + RECIPES[name]
        + "training:\n  max_steps: 20\n  save_every: 10\n  learning_rate: 5.0e-3\n"
        "  lr_scheduler: constant\n  batch_size: 8\n  seq_length: 64\n  logging_steps: 10\n"
        f"eval_every: 10\neval_tasks: [{', '.join(BPB_TASKS + ACC_TASKS)}]\neval_limit: {LIMIT}\n"
        "eval_batch_size: 16\n"
    )


def _harness(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["nice", "-n", "5", *HARNESS, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"harness {' '.join(args[:3])} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def seed_adaptation(folder: Path) -> str:
    """Evaluate the base, train and evaluate both recipes: the database's URL (`folder/adapt.db`)."""
    from tests.tiny_model import build_tiny_model

    started = time.monotonic()
    url = f"sqlite:///{folder / 'adapt.db'}"
    env = {
        **os.environ,
        "HARNESS_DB": url,
        "HARNESS_DATA_DIR": str(SHARED_DATA),
        "HARNESS_CACHE": str(folder / "cache"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    base = build_tiny_model(folder / "models" / "tiny-base", seed=0)
    # The base first: it creates the schema and registers the model the checkpoints name as parent.
    tasks = ",".join(BPB_TASKS + ACC_TASKS)
    _harness(env, "eval", "--model", str(base), "--tasks", tasks, "--limit", str(LIMIT), "--batch-size", "16")
    for name in RECIPES:
        recipe = folder / f"{name}.yaml"
        recipe.write_text(_recipe(name, base, SHARED_DATA), encoding="utf-8")
        _harness(env, "adapt", str(recipe), "--output", str(folder / "models" / f"tiny-lin-{name}"))
    (folder / "seed.json").write_text(
        json.dumps({"url": url, "seconds": time.monotonic() - started}), "utf-8"
    )
    return url


def load_or_seed(folder: Path) -> str:
    done = folder / "seed.json"
    if done.is_file():
        return str(json.loads(done.read_text(encoding="utf-8"))["url"])
    folder.mkdir(parents=True, exist_ok=True)
    return seed_adaptation(folder)


@pytest.fixture(scope="module")
def adapt_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    _need_chromium()
    need_shared_data()
    if folder := os.environ.get("HARNESS_TEST_ADAPT_SEED"):
        return load_or_seed(Path(folder))
    return seed_adaptation(tmp_path_factory.mktemp("adapt-seed"))


@pytest.fixture(scope="module")
def adapt_server(adapt_db: str, tmp_path_factory: pytest.TempPathFactory) -> object:
    yield from _serve(adapt_db, tmp_path_factory.mktemp("adapt-server"))


def _expected(url: str) -> dict[tuple[str, str], bool]:
    """(checkpoint column, task) -> significant, for bits per byte, from the comparison itself."""
    from db.session import make_engine
    from harness.analysis.adaptation import checkpoint_series

    engine = make_engine(url)
    try:
        out = {}
        for model in ("tiny-lin-cpt", "tiny-lin-lora"):
            points = checkpoint_series(engine, model)
            assert [p.step for p in points[1:]] == [10, 20] and points[0].comparison is None
            for p in points[1:]:
                assert p.comparison is not None and p.comparison.targets == ["lin_Latn"]
                for change in p.comparison.changes:
                    if change.metric == "bits_per_byte":
                        out[(f"{p.recipe} @{p.step}", change.task)] = change.significant
        return out
    finally:
        engine.dispose()


def _stored(url: str) -> dict[tuple[str, str], float]:
    """(checkpoint column or `base`, task) -> bits per byte as `harness eval` stored it (lm-eval's
    corpus aggregation over the documents), read straight from the table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    query = text(
        "SELECT m.name, c.step, r.task, r.value FROM task_results r JOIN runs u ON r.run_id = u.id "
        "JOIN checkpoints c ON u.checkpoint_id = c.id JOIN models m ON c.model_id = m.id "
        "WHERE r.metric = 'bits_per_byte' AND u.status = 'complete'"
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    engine.dispose()
    return {
        ("base" if step is None else f"{name.removeprefix('tiny-lin-')} @{step}", task): value
        for name, step, task, value in rows
    }


def _texts(page: Any) -> list[dict[str, str]]:
    """The aria labels of the heatmap's text marks (Vega writes text marks as <text>, not <path>)."""
    labels = page.eval_on_selector_all(
        "[data-testid='stVegaLiteChart'] svg text[aria-roledescription='text mark']",
        "els => els.map(e => e.getAttribute('aria-label'))",
    )
    return [dict(part.split(": ", 1) for part in label.split("; ")) for label in labels if label]


def _full_page(page: Any, path: Path) -> None:
    """Streamlit scrolls inside its main block: stretch the window to it, then shoot."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": 1400, "height": min(max(900, int(height) + 40), 8000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path), full_page=True)


def test_adaptation_page_draws_heatmap_tradeoff_and_curves(adapt_db: str, adapt_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    expected = _expected(adapt_db)
    assert len(expected) == 4 * 6  # four checkpoints x six languages
    stored = _stored(adapt_db)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{adapt_server}/adaptation?model=tiny-lin-cpt", timeout=60_000)
            expect(page.get_by_role("heading", name="Adaptation")).to_be_visible(timeout=60_000)
            charts = page.locator("[data-testid='stVegaLiteChart']")
            expect(charts.nth(2)).to_be_visible(timeout=120_000)  # heatmap, trade-off, curves
            page.wait_for_timeout(2000)
            assert page.locator("[data-testid='stException']").count() == 0
            assert "metric=bits_per_byte" in page.url and "model=tiny-lin-cpt" in page.url

            # Heatmap: a cell per checkpoint and bits-per-byte task, its numbers those stored.
            cells = _marks(page, "rect mark")
            shown = {(c["checkpoint"], c["task"]): c for c in cells if "task" in c}
            assert set(shown) == set(expected)
            for (column, task), cell in shown.items():
                assert cell["checkpoint bits_per_byte"] == f"{stored[(column, task)]:.3f}", (column, task)
                assert cell["base bits_per_byte"] == f"{stored[('base', task)]:.3f}", task
                gain = stored[("base", task)] - stored[(column, task)]  # lower is better
                assert float(cell["gain (positive is better)"]) == pytest.approx(gain, abs=1e-3)
            # A dot on exactly the cells the comparison calls significant (some are, some not).
            dots = {(m["checkpoint"], m["task"]) for m in _texts(page) if m.get("mark") == "●"}
            assert dots == {key for key, significant in expected.items() if significant}
            assert dots, "no significant change in the seed: the markers are untested"
            rows = [c["row"] for c in cells]
            assert rows[0] == "Lingala · lin_Latn"  # targets first

            # Trade-off: a point per checkpoint of both recipes, the base at the origin.
            points = [p for p in _marks(page, "point") if p.get("recipe") in ("cpt", "lora")]
            assert sorted((p["recipe"], p["checkpoint"]) for p in points if "mean gain, targets" in p) == [
                ("cpt", "tiny-lin-cpt@10"),
                ("cpt", "tiny-lin-cpt@20"),
                ("lora", "tiny-lin-lora@10"),
                ("lora", "tiny-lin-lora@20"),
            ]
            legends = page.eval_on_selector_all(
                "[data-testid='stVegaLiteChart'] svg g[aria-roledescription='legend']",
                "els => els.map(e => e.textContent)",
            )
            assert any("cpt" in t and "lora" in t and "recipe" in t for t in legends), legends
            text = page.locator("[data-testid='stMain']").inner_text()
            assert "Targets: lin_Latn" in text and "Traceback" not in text
            assert "mean gain on the targets (bits_per_byte, lower is better)" in page.content()
            _full_page(page, ARTIFACTS / "adaptation-page.png")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            _full_page(page, SCREENSHOT)

            # Another metric by its URL: accuracy on AfriXNLI Lingala (target) and XNLI.
            page.goto(f"{adapt_server}/adaptation?model=tiny-base&metric=acc", timeout=60_000)
            expect(charts.nth(1)).to_be_visible(timeout=120_000)
            page.wait_for_timeout(2000)
            assert page.locator("[data-testid='stException']").count() == 0
            tasks = {c["task"] for c in _marks(page, "rect mark") if "task" in c}
            assert tasks == {"afrixnli_lin", "xnli_sw", "xnli_en"}
        finally:
            browser.close()


def test_a_model_without_lineage_says_so(adapt_db: str, adapt_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{adapt_server}/adaptation?model=checkpoint-10", timeout=60_000)
            expect(page.get_by_role("heading", name="Adaptation")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("names nothing here")).to_be_visible(timeout=60_000)
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()


if __name__ == "__main__":  # python -m tests.e2e.test_adaptation_page FOLDER
    print(load_or_seed(Path(sys.argv[1])))
