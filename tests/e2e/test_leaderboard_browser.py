"""The leaderboard in a real browser: ranks, their order, the average and the links, on a database
of four models with different scores and coverage (headless Debian chromium, Playwright). The
expected ranks come from the stored rows by the documented rule (`db.leaderboard`): only models
with every task are ranked, a range where the averages' 95% intervals overlap."""

import csv
import io
import math
import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.lineage import Lineage
from core.scale import BLANK
from db import store
from db.session import make_engine, make_session_factory
from tests.app.seed import FLORES, XNLI, _choice, _fingerprint, _flores, _store
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _serve

MODELS = {
    # name: (FLORES chrF++ skill, choice accuracy or None: no XNLI/AfriXNLI results)
    "alpha": (50.0, 0.8),
    "beta": (40.0, 0.6),
    "gamma": (30.0, 0.7),
    "delta": (80.0, None),
}


def seed_board(url: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = random.Random(3)
    for model, (flores, acc) in MODELS.items():
        run_id = store.start_run(factory, Lineage(model), f"org/{model}", "hub", _fingerprint("float32"))
        for task in FLORES:
            _store(factory, run_id, _flores(task, flores, rng))
        for task in XNLI:
            if acc is not None:
                _store(factory, run_id, _choice(task, acc, rng))
        store.finish_run(factory, run_id, "complete")
    engine.dispose()


Z95 = 1.959963984540054


def family_stats(path: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """By hand from the stored rows: model -> family -> (mean of the primary metric over the
    family's tasks, its standard error sqrt(sum se^2) / k), accuracies x100."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select m.name, r.family, r.metric, r.value, r.stderr from task_results r"
            " join runs u on r.run_id = u.id join checkpoints c on u.checkpoint_id = c.id"
            " join models m on c.model_id = m.id"
            " where r.metric = r.primary_metric and u.status = 'complete'"
        ).fetchall()
    families: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for model, family, metric, value, stderr in rows:
        factor = 1.0 if metric == "chrf++" else 100.0
        families[model][family].append((value * factor, stderr * factor))
    return {
        model: {
            f: (sum(v for v, _ in vs) / len(vs), math.sqrt(sum(se * se for _, se in vs)) / len(vs))
            for f, vs in fams.items()
        }
        for model, fams in families.items()
    }


def family_means(path: Path) -> dict[str, dict[str, float]]:
    return {m: {f: mean for f, (mean, _) in fams.items()} for m, fams in family_stats(path).items()}


def expected_averages(path: Path) -> dict[str, float]:
    """The mean over the families the model has."""
    return {model: sum(fams.values()) / len(fams) for model, fams in family_means(path).items()}


def expected_ranks(path: Path, full: list[str]) -> dict[str, str]:
    """Arena-style ranges among the models with every task: best = 1 + the models whose interval
    lies wholly above, worst = ranked models - those whose interval lies wholly below."""
    stats = family_stats(path)
    interval = {}
    for model in full:
        fams = stats[model].values()
        mean = sum(m for m, _ in fams) / len(fams)
        se = math.sqrt(sum(s * s for _, s in fams)) / len(fams)
        interval[model] = (mean - Z95 * se, mean + Z95 * se)
    out = {}
    for model in full:
        low, high = interval[model]
        best = 1 + sum(interval[o][0] > high for o in full)
        worst = len(full) - sum(interval[o][1] < low for o in full)
        out[model] = str(best) if best == worst else f"{best}–{worst}"
    return out


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
    ranks = expected_ranks(path, full)
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
            at = {name: header.index(name) for name in ("rank", "model", "average", "coverage", "xnli")}
            # The three with every task, ranked by average; then delta, which lacks two families:
            # listed below them unranked, although its average is the highest.
            assert [r[at["model"]] for r in rows] == [f"checkpoints?model={m}" for m in [*full, "delta"]]
            assert [r[at["rank"]] for r in rows] == [*(ranks[m] for m in full), "partial 3/6"]
            assert averages["delta"] > max(averages[m] for m in full)
            assert rows[0][at["coverage"]] == "all 6 tasks (3 models)"
            assert rows[3][at["coverage"]] == "3/6 tasks: afrixnli missing, xnli missing (1 model)"
            means = family_means(path)
            for row in rows:
                model = row[at["model"]].split("=", 1)[1]
                assert float(row[at["average"]]) == pytest.approx(averages[model], abs=1e-9)
                if "xnli" in means[model]:  # an accuracy, on 0-100
                    assert float(row[at["xnli"]]) == pytest.approx(means[model]["xnli"], abs=1e-9)
                    assert 1 < float(row[at["xnli"]]) <= 100
            # No "None" or "nan" anywhere on the page: its text, nor the grid's cells.
            text = page.locator("body").inner_text()
            cells = " ".join(c for r in rows for c in r)
            for word in ("None", "nan", "NaN"):
                assert word not in text and word not in cells.split(), word
            box = grid.bounding_box()
            assert box is not None
            runs = run_ids(path)
            # Clicking a cell (the first row's last column, xnli) names the run behind it, linked.
            page.mouse.click(box["x"] + box["width"] - 90, box["y"] + 35 + 17)
            link = page.get_by_role("link", name=runs[full[0]][:8])
            expect(link.first).to_be_visible(timeout=30_000)
            assert (link.first.get_attribute("href") or "").endswith(f"run?run={runs[full[0]]}")
            expect(page.get_by_text(f"Runs behind {full[0]} · xnli")).to_be_visible()

            # A header click sorts numerically: xnli ascending.
            page.mouse.click(box["x"] + box["width"] - 90, box["y"] + 17)
            page.wait_for_timeout(1000)
            sorted_rows = _grid_rows(grid)[1:]
            order = [r[at["model"]].split("=", 1)[1] for r in sorted_rows]
            xnli = {m: fams["xnli"] for m, fams in means.items() if "xnli" in fams}
            assert [m for m in order if m != "delta"] == sorted(xnli, key=xnli.__getitem__), order
            assert order.index("delta") in (0, 3), order  # no xnli: sorted to one end, never as zero
            page.screenshot(path=str(ARTIFACTS / "leaderboard-sorted.png"), full_page=True)

            # Both CSV exports (made when clicked): no "None" or "nan", accuracies and their
            # intervals on 0-100, missing as the one blank.
            for label in ("Download CSV (as shown)", "Download CSV (numbers)"):
                with page.expect_download(timeout=30_000) as download:
                    page.get_by_role("button", name=label).click()
                exported = Path(download.value.path()).read_text(encoding="utf-8")
                assert "None" not in exported and "nan" not in exported.lower(), label
                assert BLANK in exported, label  # delta's missing xnli (as shown), unranked (numbers)
            numbers = list(csv.DictReader(io.StringIO(exported)))
            intervals = [
                (float(r["ci95_low"]), float(r["ci95_high"])) for r in numbers if r["family"] == "xnli"
            ]
            assert len(intervals) == 3 and all(0 <= low <= high <= 100 for low, high in intervals)
            assert {r["rank"] for r in numbers if r["model"] == "delta"} == {"partial 3/6"}

            # The same ranks in the per-task view: the average is over families in both views.
            page.goto(f"{base}/leaderboard?by=task", timeout=60_000)
            grid = page.locator("[data-testid='stDataFrame']").first
            expect(grid).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            header, *rows = _grid_rows(grid)
            assert header[:2] == ["rank", "model"]
            assert [(r[0], r[1]) for r in rows] == [
                *((ranks[m], f"checkpoints?model={m}") for m in full),
                ("partial 3/6", "checkpoints?model=delta"),
            ]

            # The model links to its Checkpoints page, which opens on that model.
            page.goto(f"{base}/checkpoints?model=gamma", timeout=60_000)
            expect(page.get_by_role("heading", name="Checkpoints")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("combobox", name="Model")).to_have_value("gamma", timeout=30_000)
        finally:
            browser.close()
