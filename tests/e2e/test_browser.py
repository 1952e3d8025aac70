"""The app in a real browser: `harness app` as a process on a seeded SQLite database, opened in
headless Chromium (Debian's `chromium` package) with Playwright. Skipped without
/usr/bin/chromium, except when `CI` is set: there it is a failure."""

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.seed import seed, seed_families
from tests.conftest import HARNESS, ROOT

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
