"""The leaderboard in a real browser: ranks, their order, the average and the links, on a database
of four models with different scores and coverage (headless Debian chromium, Playwright)."""

import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.lineage import Lineage
from db import store
from db.session import make_engine, make_session_factory
from tests.app.seed import FLORES, XNLI, _choice, _fingerprint, _flores, _store
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _serve

MODELS = {
    # name: (FLORES chrF++ skill, choice accuracy or None: no XNLI/AfriXNLI results)
    "alpha": (50.0, 0.8),
    "beta": (40.0, 0.6),
    "gamma": (30.0, 0.7),
    "delta": (60.0, None),
}


def seed_board(url: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = random.Random(3)
    for model, (flores, acc) in MODELS.items():
        run_id = store.start_run(factory, Lineage(model), f"org/{model}", "hub", _fingerprint("float32"))
        for task in FLORES:
            _store(factory, run_id, _flores(task, flores, rng))
        for task in XNLI if acc is not None else []:
            _store(factory, run_id, _choice(task, acc, rng))
        store.finish_run(factory, run_id, "complete")
    engine.dispose()


def family_means(path: Path) -> dict[str, dict[str, float]]:
    """By hand from the stored rows: model -> family -> the mean of the primary metric over the
    family's tasks (x100 for accuracy)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select m.name, r.family, r.metric, r.value from task_results r join runs u on r.run_id = u.id"
            " join checkpoints c on u.checkpoint_id = c.id join models m on c.model_id = m.id"
            " where r.metric = r.primary_metric and u.status = 'complete'"
        ).fetchall()
    families: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for model, family, metric, value in rows:
        families[model][family].append(value if metric == "chrf++" else 100 * value)
    return {model: {f: sum(v) / len(v) for f, v in fams.items()} for model, fams in families.items()}


def expected_averages(path: Path) -> dict[str, float]:
    """The mean over the families the model has."""
    return {model: sum(fams.values()) / len(fams) for model, fams in family_means(path).items()}


def run_ids(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(
            conn.execute(
                "select m.name, u.id from runs u join checkpoints c on u.checkpoint_id = c.id"
                " join models m on c.model_id = m.id"
            ).fetchall()
        )


@pytest.fixture
def board_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "board.db"
    seed_board(f"sqlite:///{path}")
    for base in _serve(f"sqlite:///{path}", tmp_path):
        yield base, path


def _grid_rows(grid: object) -> list[list[str]]:
    """The grid's cells as its accessible table holds them (the raw numbers, not the display text)."""
    rows = grid.locator("[role='row']")  # type: ignore[attr-defined]
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("[role='gridcell'], [role='columnheader']")
        out.append([cells.nth(j).text_content() or "" for j in range(cells.count())])
    return out


def test_leaderboard_ranks_average_and_links(board_server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, path = board_server
    averages = expected_averages(path)
    full = sorted((m for m in MODELS if MODELS[m][1] is not None), key=lambda m: -averages[m])
    assert len(full) == 3 and len({round(averages[m], 1) for m in full}) == 3
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(f"{base}/leaderboard", timeout=60_000)
            expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=60_000)
            grid = page.locator("[data-testid='stDataFrame']").first
            expect(grid).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)  # the grid draws its cells on a canvas after it appears
            page.screenshot(path=str(ARTIFACTS / "leaderboard-ranked.png"), full_page=True)

            header, *rows = _grid_rows(grid)
            assert header == [
                "rank", "model", "average", "±", "coverage",
                "afrixnli", "±", "flores", "±", "xnli", "±",
            ]  # fmt: skip
            at = {name: header.index(name) for name in ("rank", "model", "average", "coverage")}
            # Full coverage first, ranked 1-2-3 by average, descending; then delta, which lacks two
            # families, ranked only among models with its coverage, although its average is higher.
            assert [r[at["model"]] for r in rows] == [f"checkpoints?model={m}" for m in [*full, "delta"]]
            assert [r[at["rank"]] for r in rows] == ["1", "2", "3", "1"]
            assert averages["delta"] > averages[full[1]]
            assert rows[0][at["coverage"]] == "all 6 tasks (3 models)"
            assert rows[3][at["coverage"]] == "3/6 tasks: afrixnli missing, xnli missing (1 model)"
            for row in rows:
                model = row[at["model"]].split("=", 1)[1]
                assert float(row[at["average"]]) == pytest.approx(averages[model], abs=1e-9)
            box = grid.bounding_box()
            assert box is not None
            runs = run_ids(path)
            # Clicking a cell (the first row's last column, xnli) names the run behind it, linked.
            page.mouse.click(box["x"] + box["width"] - 90, box["y"] + 35 + 17)
            link = page.get_by_role("link", name=runs[full[0]][:8])
            expect(link.first).to_be_visible(timeout=30_000)
            assert link.first.get_attribute("href").endswith(f"run?run={runs[full[0]]}")
            expect(page.get_by_text(f"Runs behind {full[0]} · xnli")).to_be_visible()

            # A header click sorts numerically: xnli ascending.
            page.mouse.click(box["x"] + box["width"] - 90, box["y"] + 17)
            page.wait_for_timeout(1000)
            sorted_rows = _grid_rows(grid)[1:]
            order = [r[at["model"]].split("=", 1)[1] for r in sorted_rows]
            xnli = {m: fams["xnli"] for m, fams in family_means(path).items() if "xnli" in fams}
            assert [m for m in order if m != "delta"] == sorted(xnli, key=xnli.__getitem__), order
            assert order.index("delta") in (0, 3), order  # no xnli: sorted to one end, never as zero
            page.screenshot(path=str(ARTIFACTS / "leaderboard-sorted.png"), full_page=True)

            # The model links to its Checkpoints page, which opens on that model.
            page.goto(f"{base}/checkpoints?model=gamma", timeout=60_000)
            expect(page.get_by_role("heading", name="Checkpoints")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("combobox", name="Model")).to_have_value("gamma", timeout=30_000)
        finally:
            browser.close()
