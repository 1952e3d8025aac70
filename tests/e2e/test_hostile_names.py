"""Hostile model names in a real browser (headless Chromium, Playwright): a name that is a
Markdown link and image, HTML, bare URLs, Rich markup and terminal escapes, stored through
`db.store` (`tests/hostile`). On every page no link to the name's host and no image from its
tracker exists, and the browser never asks the tracker for anything."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _serve
from tests.hostile import CHECKPOINTED, EVIL_HOST, MARKDOWN, TRACKER, HostileSeed, seed_hostile


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[tuple[HostileSeed, str]]:
    seeded = seed_hostile(f"sqlite:///{tmp_path / 'hostile.db'}")
    for base in _serve(seeded.url, tmp_path):
        yield seeded, base


def _hostile_host(url: str) -> bool:
    """Whether `url` points at the hostile names' hosts (an app link that carries a name in its query
    string, `/checkpoints?model=...`, does not)."""
    parts = urlsplit(url)
    return parts.netloc == TRACKER or (parts.hostname or "").endswith(EVIL_HOST)


def _pages(seeded: HostileSeed) -> list[tuple[str, str]]:
    """(URL path and query, page title) of every page, each on a hostile name."""
    a, b = seeded.runs["rich"], seeded.runs["markdown"]
    return [
        ("/leaderboard", "Leaderboard"),
        ("/leaderboard?view=task", "Leaderboard"),
        ("/languages?metric=acc", "Languages"),
        (f"/languages?metric=acc&mode=difference&base={quote(MARKDOWN)}", "Languages"),
        (f"/checkpoints?model={quote(CHECKPOINTED)}", "Checkpoints"),
        (f"/adaptation?model={quote(CHECKPOINTED)}", "Adaptation"),
        (f"/compare?a={a}&b={b}", "Compare"),
        (f"/compare?a={b}&b={seeded.runs['markdown@200']}", "Compare"),
        (f"/run?run={b}", "Run"),
        (f"/run?run={seeded.runs['markdown@100']}", "Run"),
        (f"/run?run={seeded.runs['html']}", "Run"),
    ]


def test_no_page_links_or_loads_a_hostile_name(hostile: tuple[HostileSeed, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    seeded, base = hostile
    ARTIFACTS.mkdir(exist_ok=True)
    requested: list[str] = []
    pages = _pages(seeded)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda request: requested.append(request.url))
            seen = set()
            for path, title in pages:
                page.goto(f"{base}{path}", timeout=60_000)
                expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)
                # Open every expander, so that what they hold is rendered too.
                for expander in page.locator("[data-testid='stExpander'] summary").all():
                    expander.click()
                page.wait_for_timeout(500)
                links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
                images = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
                evil = [href for href in links if _hostile_host(href)]
                tracked = [src for src in images if _hostile_host(src)]
                assert not evil, (path, evil)
                assert not tracked, (path, tracked)
                assert page.locator("script", has_text="x").filter(has_text="</script>").count() == 0
                body = page.inner_text("body")
                assert "Traceback" not in body and "Error" not in body.split("\n", 1)[0], (path, body[:500])
                assert page.locator("[data-testid='stException']").count() == 0, path
                seen.add(title)
                page.screenshot(path=str(ARTIFACTS / f"hostile-{title.lower()}.png"), full_page=True)
        finally:
            browser.close()
    assert seen == {"Leaderboard", "Languages", "Checkpoints", "Adaptation", "Compare", "Run"}
    assert requested, "no request seen: the listener did not run"
    leaked = [url for url in requested if _hostile_host(url)]
    assert not leaked, leaked


def test_the_markdown_name_is_shown_as_written(hostile: tuple[HostileSeed, str]) -> None:
    """Escaped, not dropped: the Run page's heading shows the name's characters."""
    from playwright.sync_api import expect, sync_playwright

    seeded, base = hostile
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/run?run={seeded.runs['markdown']}", timeout=60_000)
            expect(page.get_by_role("heading", name="Run", exact=True)).to_be_visible(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)
            # U+2060 (word joiner, invisible) is how `md_escape` keeps a URL in a name from being linked.
            headings = [h.replace("\u2060", "") for h in page.locator("h3").all_inner_texts()]
            assert any(MARKDOWN in h for h in headings), headings
        finally:
            browser.close()
