"""The app in a real browser: `harness app` as a process on a seeded SQLite database, opened in
headless Chromium (Debian's `chromium` package) with Playwright. Skipped without
/usr/bin/chromium, except when `CI` is set: there it is a failure.

Two seeds: `tests/app/seed.py` (results written through `db.store`, fast) and, once per test
session, `tests/app/real_seed.py` (real `harness eval` runs of tiny random models on the real
data: every page opened by its URL, the heatmap's cells and the scatter checked against the
database). Screenshots go to test-artifacts/.
"""

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.real_seed import RealSeed, load_or_seed, seed_real
from tests.app.seed import seed, seed_families
from tests.conftest import HARNESS, ROOT, need_shared_data

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test cannot run in CI: {CHROMIUM} is missing", pytrace=False)
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    seed(url)
    yield from _serve(url, tmp_path)


@pytest.fixture
def families_server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'families.db'}"
    seed_families(url)
    yield from _serve(url, tmp_path)


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> RealSeed:
    """The database of real `harness eval` runs, built once per test session (or reused from the
    folder `HARNESS_TEST_APP_SEED` names, when set: for working on the app)."""
    _need_chromium()
    need_shared_data()
    if folder := os.environ.get("HARNESS_TEST_APP_SEED"):
        return load_or_seed(Path(folder))
    return seed_real(tmp_path_factory.mktemp("real-seed"))


@pytest.fixture(scope="session")
def real_server(real_db: RealSeed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(real_db.url, tmp_path_factory.mktemp("real-server"))


def _serve(url: str, tmp_path: Path) -> Iterator[str]:
    _need_chromium()
    port = _free_port()
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen(
        [*HARNESS, "app", "--db", url, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"harness app did not start:\n{(tmp_path / 'app.log').read_text()[-3000:]}"
                )
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_leaderboard_in_chromium(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{server}/?family=flores", timeout=60_000)
            expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=60_000)
            grid = page.locator("[data-testid='stDataFrame']")
            expect(grid).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)  # the grid draws its cells on a canvas after it appears
            page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)
            # The grid draws on a canvas; its accessible table carries the text.
            text = grid.inner_text()
            body = page.content()
            for model in ("base-model", "lin-cpt", "other-model"):
                assert model in text or model in body, model
            assert "family=flores" in page.url  # the filter stayed in the URL
        finally:
            browser.close()


def test_default_leaderboard_has_a_column_per_family_including_ifmt(families_server: str) -> None:
    """The default (primary-metric) view: each family's primary metric as its family declared it,
    so the IF-MT terminology task (term usage, no accuracy) has its column."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(families_server, timeout=60_000)
            expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=60_000)
            grid = page.locator("[data-testid='stDataFrame']").first
            expect(grid).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "leaderboard-families.png"), full_page=True)
            # The grid draws on a canvas; its accessible table (in the page's HTML) carries the text.
            text = grid.inner_text() + grid.inner_html()
            for column in ("flores", "kobest", "ceval", "ifmt_terms"):
                assert column in text, (column, text[:500])
            for model in ("model-a", "model-b"):
                assert model in text, model
        finally:
            browser.close()


def _screenshot(page: object, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is stretched to it."""
    height = page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(900, int(height) + 40), 8000)})  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1400, "height": 900})  # type: ignore[attr-defined]


def _pages(seeded: RealSeed) -> list[tuple[str, str, str]]:
    """(URL path and query, page title, screenshot name) of every page, the default one included."""
    a, b = seeded.runs["tiny-a"], seeded.runs["tiny-b"]
    return [
        ("/", "Leaderboard", "app-root"),
        ("/leaderboard?family=flores", "Leaderboard", "app-leaderboard"),
        ("/languages?metric=acc&group=resource", "Languages", "app-languages"),
        ("/checkpoints?model=tiny-cpt&metric=acc", "Checkpoints", "app-checkpoints"),
        (f"/compare?a={a}&b={b}", "Compare", "app-compare"),
        (f"/run?run={seeded.runs['tiny-cpt@200']}", "Run", "app-run"),
    ]


def test_every_page_opens_by_its_url(real_db: RealSeed, real_server: str) -> None:
    """Each page by its own link: its heading and tab title, its query kept in the URL, no "Page
    not found" dialog and no developer toolbar ("Deploy"). `/` goes on to `/leaderboard`."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    pages = _pages(real_db)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for path, title, shot in pages:
                page.goto(f"{real_server}{path}", timeout=60_000)
                expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)  # a "Page not found" dialog would have opened by now
                assert page.get_by_text("Page not found").count() == 0, path
                assert page.get_by_role("button", name="Deploy").count() == 0, path
                assert page.locator("[data-testid='stAppDeployButton']").count() == 0, path
                assert page.title() == f"{title} · polyglot-harness", (path, page.title())
                expected = "/leaderboard" if path == "/" else path.split("?")[0]
                assert page.url.split("?")[0].removeprefix(real_server) == expected, page.url
                for pair in path.partition("?")[2].split("&") if "?" in path else []:
                    assert pair in page.url, (pair, page.url)  # the state stays in the URL
                _screenshot(page, shot)
        finally:
            browser.close()
    assert len(pages) == 6


def _latest_acc_by_language(url: str) -> dict[tuple[str, str], tuple[float, int, int]]:
    """(model, language) -> (mean acc, documents, tasks) over each model's newest result per task
    (highest step), computed here in Python from the raw rows of the SQLite file."""
    import sqlite3

    rows = sqlite3.connect(url.removeprefix("sqlite:///")).execute(
        "select m.name, c.step, t.task, t.language, t.value, t.n from task_results t "
        "join runs r on r.id = t.run_id join checkpoints c on c.id = r.checkpoint_id "
        "join models m on m.id = c.model_id "
        "where r.status = 'complete' and t.metric = 'acc' and t.language is not null and t.value is not null"
    )
    newest: dict[tuple[str, str], tuple[int, str, float, int]] = {}
    for model, step, task, language, value, n in rows:
        rank = step if step is not None else -1
        if (model, task) not in newest or rank > newest[(model, task)][0]:
            newest[(model, task)] = (rank, language, value, n)
    cells: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for (model, _), (_, language, value, n) in newest.items():
        cells.setdefault((model, language), []).append((value, n))
    return {
        key: (sum(v for v, _ in vs) / len(vs), sum(n for _, n in vs), len(vs)) for key, vs in cells.items()
    }


def _marks(page: object, role: str) -> list[dict[str, str]]:
    """The aria labels Vega writes on each SVG mark (`field: value; ...`), parsed."""
    labels = page.eval_on_selector_all(  # type: ignore[attr-defined]
        f"[data-testid='stVegaLiteChart'] svg path[aria-roledescription='{role}']",
        "els => els.map(e => e.getAttribute('aria-label'))",
    )
    labels = [label.replace("\u2212", "-") for label in labels if label]  # Vega writes a real minus sign
    return [dict(part.split(": ", 1) for part in label.split("; ")) for label in labels]


def test_languages_heatmap_cells_equal_the_database(real_db: RealSeed, real_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    expected = _latest_acc_by_language(real_db.url)
    assert len(expected) >= 30  # 20 languages over three models
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{real_server}/languages?metric=acc&group=resource", timeout=60_000)
            chart = page.locator("[data-testid='stVegaLiteChart']").first
            expect(chart).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            marks = _marks(page, "rect mark")
            cells = [m for m in marks if not m["row"].startswith("mean · ")]
            means = [m for m in marks if m["row"].startswith("mean · ")]
            shown = {(m["model"], m["row"].rsplit(" · ", 1)[1]): m for m in cells}
            assert len(shown) == len(cells) == len(expected)
            for key, (value, n, tasks) in expected.items():
                mark = shown[key]
                assert float(mark["acc"]) == pytest.approx(100 * value, abs=1e-7), key  # 0-100
                assert (int(mark["n (documents)"]), int(mark["tasks"])) == (n, tasks), key
            # Resource level high first (Chinese, English, ...), low last (Lingala, Zulu, ...).
            groups = [m["resource level"] for m in marks]
            assert groups == sorted(groups, key=["high", "medium", "low"].index)
            for mean in means:
                members = [
                    float(m["acc"])
                    for m in cells
                    if m["model"] == mean["model"] and m["resource level"] == mean["resource level"]
                ]
                assert float(mean["acc"]) == pytest.approx(sum(members) / len(members), abs=1e-7)
                covered, total = mean["languages"].split(" of ")  # the model's own coverage
                assert int(covered) == len(members) <= int(total)
            # Hover a cell (its centre, where its number is written): the tooltip shows value and n.
            last = page.locator(
                "[data-testid='stVegaLiteChart'] svg path[aria-roledescription='rect mark']"
                "[aria-label*='model: tiny-a;'][aria-label*='Zulu']"
            )
            last.scroll_into_view_if_needed()
            box = last.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tooltip = page.locator("#vg-tooltip-element")
            expect(tooltip).to_be_visible(timeout=10_000)
            text = tooltip.inner_text()
            assert "n (documents)" in text and "acc" in text and "Zulu" in text, text
            page.screenshot(path=str(ARTIFACTS / "app-languages-tooltip.png"))  # the window, with the tooltip

            page.goto(
                f"{real_server}/languages?metric=acc&group=script&mode=difference&base=tiny-a", timeout=60_000
            )
            expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            diffs = [m for m in _marks(page, "rect mark") if not m["row"].startswith("mean · ")]
            assert diffs and {m["model"] for m in diffs} == {"tiny-b", "tiny-cpt"}
            compared = 0
            for m in diffs:
                code = m["row"].rsplit(" · ", 1)[1]
                if int(m["tasks"]) == expected[(m["model"], code)][2] == expected[("tiny-a", code)][2]:
                    # Every task shared: the difference of the two cells above.
                    difference = expected[(m["model"], code)][0] - expected[("tiny-a", code)][0]
                    assert float(m["acc, model minus tiny-a"]) == pytest.approx(100 * difference, abs=1e-7)
                    compared += 1
            assert compared >= 20  # tiny-b's 20 languages at least
            _screenshot(page, "app-languages-difference")
        finally:
            browser.close()


def test_compare_scatter_marks_verdicts_and_never_significant_at_n_2(
    real_db: RealSeed, real_server: str
) -> None:
    """Every task of the real seed has 2 documents (`--limit 2`): no outcome of a valid test can be
    significant there, so every task says "not enough evidence", whatever its delta (xnli_sw's
    -0.5 with interval [-1, 0] was once "significant, p = 0.001"); p-values are Holm-adjusted."""
    from playwright.sync_api import expect, sync_playwright

    from db import app_queries as q
    from db.session import make_engine

    a, b = real_db.runs["tiny-a"], real_db.runs["tiny-b"]
    engine = make_engine(real_db.url)
    deltas = {d.task: d for d in q.compare_runs(engine, a, b)}
    engine.dispose()
    assert len(deltas) >= 20
    assert {d.n for d in deltas.values()} == {2}
    assert {d.verdict for d in deltas.values()} == {"not enough evidence"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _recording_page(browser)
            page.goto(f"{real_server}/compare?a={a[:8]}&b={b[:8]}", timeout=60_000)  # ids as shown
            expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            assert page.locator("[data-testid='stAlert']").count() == 0  # the prefixes named the runs
            points = _marks(page, "point")
            assert {p["task"] for p in points} == set(deltas)
            for p in points:  # the tooltip's fields, as Vega labels each point
                d = deltas[p["task"]]
                scale = 100 if d.metric in ("acc", "f1") else 1
                assert (p["A"], p["B"]) == (f"{scale * d.a:.1f}", f"{scale * d.b:.1f}"), p
                assert (p["p-value"], p["p (Holm)"]) == (f"{d.p_value:.4f}", f"{d.p_holm:.4f}")
                assert p["verdict"] == "not enough evidence"
            lines = page.eval_on_selector_all(
                "[data-testid='stVegaLiteChart'] svg path[aria-roledescription='line mark']",
                "els => els.length",
            )
            assert lines == len({d.metric for d in deltas.values()})  # one y = x diagonal per metric
            text = page.locator("[data-testid='stMain']").inner_text()
            grid = page.locator("[data-testid='stDataFrame']").first.inner_html()
            assert "p (Holm)" in grid and "not enough evidence" in grid
            assert "significant" not in (text + grid).replace("no significant difference", "")
            _no_none(page)
        finally:
            browser.close()


RECORD_CANVAS_TEXT = """
window.__drawn = [];
const fill = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
  window.__drawn.push(String(text));
  return fill.call(this, text, ...rest);
};
"""
"""An init script that records every text a canvas draws: the grids draw their cells on a canvas,
where a missing value's "None" is not in the HTML (the grid's accessible table leaves it empty)."""


def _recording_page(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(RECORD_CANVAS_TEXT)
    return page


def _no_none(page: object) -> list[str]:
    """No "None" and no "nan" in the page's text, in its tables, or drawn in any grid's cells."""
    import re

    text = page.locator("[data-testid='stMain']").inner_text()  # type: ignore[attr-defined]
    grids = page.locator("[data-testid='stDataFrame']").count()  # type: ignore[attr-defined]
    drawn = page.evaluate("() => window.__drawn || []")  # type: ignore[attr-defined]
    if grids:
        assert drawn, "no canvas text recorded: open the page with _recording_page"
    everything = text + "\n" + "\n".join(drawn)
    for word in ("None", "nan", "NaN"):
        hits = [m.start() for m in re.finditer(rf"\b{word}\b", everything)]
        assert not hits, (word, everything[max(0, hits[0] - 200) : hits[0] + 200])
    return list(drawn)


def test_no_none_on_any_page(real_db: RealSeed, real_server: str) -> None:
    """Missing values are one dash on every page, in grids and tables alike."""
    from playwright.sync_api import expect, sync_playwright

    a, b = real_db.runs["tiny-a"], real_db.runs["tiny-b"]
    paths = [
        "/languages?metric=acc&group=resource",
        "/languages?metric=chrf%2B%2B&group=script",
        "/checkpoints",
        f"/compare?a={a}&b={b}",
        f"/run?run={real_db.runs['tiny-cpt@200']}",
        f"/run?run={a}",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for path in paths:
                page = _recording_page(browser)
                page.goto(f"{real_server}{path}", timeout=60_000)
                expect(
                    page.locator("[data-testid='stDataFrame'], [data-testid='stTable']").first
                ).to_be_visible(timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)
                drawn = _no_none(page)
                if path.startswith(("/languages?metric=acc", "/run")):
                    # tiny-cpt has no French (Languages); spBLEU is not computed here (Run).
                    assert "—" in drawn, (path, drawn[:50])
                page.close()
        finally:
            browser.close()


def test_languages_on_the_leaderboards_scale(real_db: RealSeed, real_server: str) -> None:
    """A language with one accuracy task: its Languages cell equals that task's Leaderboard cell
    (primary metric, 0-100)."""
    from playwright.sync_api import expect, sync_playwright

    from core.languages import language_info
    from db import leaderboard as lb
    from db.session import make_engine

    engine = make_engine(real_db.url)
    board = lb.leaderboard(engine, by="task")
    engine.dispose()
    [row] = [r for r in board.rows if r.model == "tiny-a"]
    expected = row.cells["xnli_hi"].value  # Hindi: XNLI's is its only accuracy task in the seed
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{real_server}/languages?metric=acc&group=resource", timeout=60_000)
            expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            marks = {(m["model"], m["row"]): m for m in _marks(page, "rect mark")}
            hindi = marks[("tiny-a", f"{language_info('hin_Deva').name} · hin_Deva")]
            assert int(hindi["tasks"]) == 1
            assert float(hindi["acc"]) == pytest.approx(expected, abs=0.05)
        finally:
            browser.close()


def test_run_links_warn_or_take_a_prefix(real_db: RealSeed, real_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    run = real_db.runs["tiny-cpt@200"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{real_server}/run?run=nope", timeout=60_000)
            alert = page.locator("[data-testid='stAlert']").first
            expect(alert).to_be_visible(timeout=60_000)
            assert "run" in alert.inner_text() and "nope" in alert.inner_text()
            page.goto(f"{real_server}/run?run={run[:8]}", timeout=60_000)
            expect(page.get_by_role("heading", name=f"tiny-cpt · {run}")).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)
            assert page.locator("[data-testid='stAlert']").count() == 0
            page.goto(f"{real_server}/languages?metric=acc&model=ghost", timeout=60_000)
            alert = page.locator("[data-testid='stAlert']").first
            expect(alert).to_be_visible(timeout=60_000)
            assert "ghost" in alert.inner_text()
        finally:
            browser.close()


def test_checkpoints_open_on_a_model_with_checkpoints_and_a_base_point(
    real_db: RealSeed, real_server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{real_server}/checkpoints", timeout=60_000)
            expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            assert "model=tiny-cpt" in page.url  # not tiny-a, the first model by name
            points = _marks(page, "point")
            steps = {p["step"] for p in points}
            assert {"0", "100", "200", "300"} <= steps, steps
            assert {p["checkpoint"] for p in points if p["step"] == "0"} == {"base"}
            lines = {p["family"] for p in points}
            assert lines and lines <= {"flores", "afrixnli", "xnli"}  # one line per family
            page.goto(f"{real_server}/checkpoints?model=tiny-cpt&metric=acc&family=afrixnli", timeout=60_000)
            expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)
            tasks = {p["task"] for p in _marks(page, "point")}
            assert tasks == {"afrixnli_lin", "afrixnli_swa"}
            heat = [m["language"] for m in _marks(page, "rect mark")]
            assert heat and all(" · " in name for name in heat)  # "Lingala · lin_Latn", not a code
            _screenshot(page, "app-checkpoints-family")
        finally:
            browser.close()
