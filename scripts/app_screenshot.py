"""Screenshots of `harness app` in headless Chromium, for the docs.

Every page, on the database filled by real `harness eval` runs of tiny random models (the browser
tests' seed, `tests/app/real_seed.py`, about two minutes), into docs/img/:

    .venv/bin/python scripts/app_screenshot.py --seed /tmp/app-seed --out-dir docs/img

Every page of an existing database (the Checkpoints page shows its model with the most
checkpoints, Compare its two newest runs of different models):

    .venv/bin/python scripts/app_screenshot.py --db sqlite:///runs/results.db --out-dir docs/img

One page:

    .venv/bin/python scripts/app_screenshot.py --db sqlite:///runs/results.db \
        --page "checkpoints?model=smollm2-135m-layra-lin" --out docs/img/checkpoints.png

Starts `harness app` on a free loopback port, opens each page with Playwright and Debian's
`/usr/bin/chromium`, waits for the page's charts and tables, saves a full-page PNG, and stops the
app.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
GRID = "[data-testid='stDataFrame']"
CHART = "[data-testid='stVegaLiteChart']"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db: str) -> Iterator[str]:
    """`harness app` on a free port; yields its base URL."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        app = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "app", "--db", db, "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if app.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"harness app did not start:\n{log.read()[-3000:]}") from None
                    time.sleep(0.3)
            yield base
        finally:
            app.terminate()
            app.wait(timeout=10)


def every_page(db: str) -> list[tuple[str, str, str]]:
    """(file name, page and query, selector to wait for) for each page, chosen from what `db` holds."""
    from db import app_queries as q
    from db.session import make_engine

    engine = make_engine(db)
    options = q.filter_options(engine)
    runs = q.list_runs(engine)
    engine_checkpoints = {m: len(q.model_checkpoints(engine, m)) for m in options.models}
    engine.dispose()
    if not runs:
        raise SystemExit(f"{db}: no complete runs to show")
    trained = max(options.models, key=lambda m: (engine_checkpoints[m], m))
    models = sorted({r.model for r in runs if r.model != trained}) or [trained]
    metric = "chrf++" if "chrf++" in options.metrics else options.metrics[-1]
    first = next(r for r in runs if r.model == models[0])
    second = next((r for r in runs if r.model not in (models[0], trained)), runs[-1])
    query = urllib.parse.urlencode
    return [
        ("leaderboard.png", "leaderboard", GRID),
        ("languages.png", "languages?" + query({"metric": "acc", "group": "resource"}), CHART),
        (
            "languages-difference.png",
            "languages?"
            + query({"metric": "acc", "group": "script", "mode": "difference", "base": models[0]}),
            CHART,
        ),
        ("checkpoints.png", "checkpoints?" + query({"model": trained, "metric": metric}), CHART),
        ("compare.png", "compare?" + query({"a": first.run_id, "b": second.run_id}), CHART),
        ("run.png", "run?" + query({"run": first.run_id}), GRID),
    ]


TALLEST = 8000
"""Pixels: a page taller than this is cut (the 204-language heatmap is about 4000)."""


def screenshot(page: object, out: Path, width: int) -> None:
    """The whole page: Streamlit scrolls inside its main block, so a "full page" screenshot of
    the document stops at the window; the window is stretched to the block's height instead."""
    height = page.evaluate(  # type: ignore[attr-defined]
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stAppViewContainer], [data-testid=stSidebarContent]')].map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size({"width": width, "height": min(max(900, int(height) + 40), TALLEST)})  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]  # charts re-lay out to the new size
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]


def shoot(base: str, shots: list[tuple[Path, str, str]], width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for out, path, selector in shots:
                page.goto(f"{base}/{path}", timeout=60_000)
                page.wait_for_selector(selector, timeout=120_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(3000)  # charts and grids draw after the page settles
                screenshot(page, out, width)
                print(out)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="database URL the app reads")
    source.add_argument(
        "--seed",
        type=Path,
        help="folder for the browser tests' seed (tiny models evaluated by harness eval); reused when "
        "it already holds one",
    )
    parser.add_argument("--page", help="one page: path and query after the app's address")
    parser.add_argument("--out", type=Path, help="PNG file for --page")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "img", help="folder for every page")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument(
        "--wait-for", default=GRID, help="CSS selector that shows --page has drawn (default: a data grid)"
    )
    args = parser.parse_args()
    if (args.page is None) != (args.out is None):
        parser.error("--page and --out go together")
    db = args.db
    if args.seed is not None:
        from tests.app.real_seed import load_or_seed

        seeded = load_or_seed(args.seed)
        print(f"{seeded.url}: {len(seeded.runs)} harness eval runs")
        db = seeded.url
    if args.page is not None:
        shots = [(args.out, args.page, args.wait_for)]
    else:
        shots = [(args.out_dir / name, path, selector) for name, path, selector in every_page(db)]
    with serve(db) as base:
        shoot(base, shots, args.width)
    return 0


if __name__ == "__main__":
    sys.exit(main())
