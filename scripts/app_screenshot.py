"""Screenshot one page of `harness app` in headless Chromium, for the docs.

    .venv/bin/python scripts/app_screenshot.py --db sqlite:///runs/results.db \
        --page "checkpoints?model=smollm2-135m-layra-lin" --out docs/img/checkpoints.png

Starts `harness app` on a free loopback port, opens the page with Playwright and Debian's
`/usr/bin/chromium`, waits for the page's charts and tables, saves a full-page PNG, and stops the
app.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database URL the app reads")
    parser.add_argument("--page", default="", help="path and query after the app's address")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument(
        "--wait-for",
        default="[data-testid='stDataFrame']",
        help="CSS selector that shows the page has drawn (default: a data grid)",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        app = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "harness"), "app", "--db", args.db, "--port", str(port)],
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
                        print(f"harness app did not start:\n{log.read()[-3000:]}", file=sys.stderr)
                        return 1
                    time.sleep(0.3)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": args.width, "height": 900})
                page.goto(f"{base}/{args.page}", timeout=60_000)
                page.wait_for_selector(args.wait_for, timeout=120_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(4000)  # charts and grids draw after the page settles
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=10)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
