"""The app at scale: every FLORES-200 language, 20 models x 3 checkpoints, in a SQLite file (bulk
Core inserts), then every page's query functions timed once each, cold, and the per-task
Leaderboard timed in headless Chromium (`streamlit run app/main.py`, Playwright): a first (cold)
load, then warm reloads, each until the grid has drawn its rows and the script has finished.

    .venv/bin/python bench/app_scale.py [--seed-dir DIR] [--no-browser] [--json]

`--seed-dir` keeps the seeded database in DIR (and reuses it when it is already there). The run
fails when a query takes 1 s or more, or the median warm load of the per-task leaderboard (204
languages, both directions, x 20 models: 424 columns) takes 2 s or more.

Shape: 20 models x 3 checkpoints (steps 1000..3000, the first a child of model 0's checkpoint)
= 60 complete runs; each run both FLORES directions with English for the 204 other FLORES-200
codes (chrf++, bleu) and the 16 XNLI languages (acc, f1): 424 tasks x 2 metrics x 60 runs =
50,880 task results; 25 documents per task = 636,000 samples. The Languages heatmap of chrF++
draws 204 languages (every code but English, the other side of each direction) x 20 models; the
newest checkpoint stands for each model.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from app.charts import heatmap_chart, scatter_chart  # noqa: E402
from core.languages import FLORES_LANGUAGES  # noqa: E402
from db import app_queries as q  # noqa: E402
from db import heatmap as h  # noqa: E402
from db import leaderboard as lb  # noqa: E402
from db.models import Checkpoint, Model, Run, Sample, TaskResult  # noqa: E402
from db.session import make_engine  # noqa: E402
from tasks.registry import family_of_name  # noqa: E402
from tasks.xnli.task import ISO_639_1  # noqa: E402

MODELS, CHECKPOINTS, DOCS, CHUNK = 20, 3, 25, 50_000
LIMIT_S = 1.0
PAGE_LIMIT_S = 2.0
"""The per-task leaderboard's warm load in Chromium (median of the warm reloads)."""
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
WARM_LOADS = 3


def tasks() -> list[tuple[str, tuple[str, str]]]:
    codes = [c for c in FLORES_LANGUAGES if c != "eng_Latn"]
    flores = [f"flores_eng_Latn-{c}" for c in codes] + [f"flores_{c}-eng_Latn" for c in codes]
    xnli = [f"xnli_{c}" for c in ISO_639_1]
    return [(t, ("chrf++", "bleu")) for t in flores] + [(t, ("acc", "f1")) for t in xnli]


def seed(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    rng = random.Random(0)
    start = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(Model), [{"id": m + 1, "name": f"model-{m}", "created_at": start} for m in range(MODELS)]
        )
        checkpoints, runs = [], []
        for m in range(MODELS):
            for c in range(CHECKPOINTS):
                cid = m * CHECKPOINTS + c + 1
                checkpoints.append(
                    {
                        "id": cid,
                        "model_id": m + 1,
                        "source": f"/ckpt/model-{m}/checkpoint-{(c + 1) * 1000}",
                        "kind": "local",
                        "step": (c + 1) * 1000,
                        "tokens_seen": (c + 1) * 4_000_000,
                        "parent_id": 1 if c == 0 and m > 0 else None,
                        "created_at": start,
                    }
                )
                runs.append(
                    {
                        "id": f"run-{cid:06d}",
                        "checkpoint_id": cid,
                        "status": "complete",
                        "started_at": start + timedelta(minutes=cid),
                        "finished_at": start + timedelta(minutes=cid + 1),
                        "fingerprint": {"dtype": "bfloat16", "versions": {"harness": "0.1.0"}},
                    }
                )
        conn.execute(insert(Checkpoint), checkpoints)
        conn.execute(insert(Run), runs)
        results, samples = [], []
        for run in runs:
            for task, metrics in tasks():
                fam = family_of_name(task)
                assert fam is not None, task
                meta = fam.meta(task)
                family, language = meta.family, meta.language
                for metric in metrics:
                    results.append(
                        {
                            "run_id": run["id"],
                            "task": task,
                            "family": family,
                            "language": language,
                            "primary_metric": meta.primary_metric,
                            "sample_metric": meta.sample_metric,
                            "protocol": meta.protocol,
                            "task_version": "v1",
                            "task_hash": "h" * 64,
                            "metric": metric,
                            "value": rng.random() * (100 if family == "flores" else 1),
                            "stderr": 0.01,
                            "n": DOCS,
                            "signature": "",
                            "note": "",
                        }
                    )
                key = "chrf++" if family == "flores" else "acc"
                for d in range(DOCS):
                    value = rng.random() * 100 if family == "flores" else float(rng.random() < 0.6)
                    samples.append(
                        {
                            "run_id": run["id"],
                            "task": task,
                            "doc_id": d,
                            "doc_hash": f"{task}-{d}",
                            "prompt": f"English: sentence {d}\nTarget:",
                            "target": f"reference {d}",
                            "output": f"hypothesis {d}",
                            "scores": {key: value},
                        }
                    )
                if len(samples) >= CHUNK:
                    conn.execute(insert(Sample), samples)
                    samples = []
        conn.execute(insert(TaskResult), results)
        if samples:
            conn.execute(insert(Sample), samples)
    return {"engine": engine, "results": len(results), "runs": runs}


def leaderboard_checks(engine: Any) -> list[tuple[str, Callable[[], object]]]:
    """The Leaderboard page's queries (`db/leaderboard.py`; `db/app_queries` for comparison)."""
    return [
        ("leaderboard: app_queries.leaderboard (family)", lambda: q.leaderboard(engine)),
        ("leaderboard: app_queries.leaderboard (task)", lambda: q.leaderboard(engine, by="task")),
        (
            "leaderboard: script+resource filter",
            lambda: q.leaderboard(engine, filters=q.Filters(scripts=["Latn"], resources=["low"])),
        ),
        ("leaderboard: data_version (cache key)", lambda: lb.data_version(engine)),
        ("leaderboard: db.leaderboard (family)", lambda: lb.leaderboard(engine)),
        ("leaderboard: db.leaderboard (task)", lambda: lb.leaderboard(engine, by="task")),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run app/main.py` on 127.0.0.1 reading `url`; returns once it answers its health check."""
    port = _free_port()
    env = {**os.environ, "HARNESS_DB": url}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.address",
               "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"streamlit did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _load(page: Any, address: str) -> float:
    """Seconds from navigation until the script has finished and the grid shows a model's row (its
    accessible table holds the rows in view)."""
    started = time.perf_counter()
    page.goto(address, timeout=120_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.locator("[role='gridcell']", has_text="model-").first.wait_for(state="attached", timeout=120_000)
    return time.perf_counter() - started


def browser_timing(url: str, folder: Path) -> dict[str, Any]:
    """The per-task leaderboard in headless Chromium: a cold load, then `WARM_LOADS` warm reloads."""
    from playwright.sync_api import sync_playwright

    proc, base = _serve(url, folder / "streamlit.log")
    address = f"{base}/leaderboard?by=task"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 900})
                cold = _load(page, address)
                warm = [_load(page, address) for _ in range(WARM_LOADS)]
                cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']").count()
                page.screenshot(path=str(folder / "leaderboard-task.png"))
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "page": "leaderboard?by=task",
        "cold_s": round(cold, 3),
        "warm_s": [round(w, 3) for w in warm],
        "warm_median_s": round(statistics.median(warm), 3),
        "cells_in_dom": cells,
        "limit_s": PAGE_LIMIT_S,
    }


def query_checks(engine: Any, runs: list[dict[str, Any]]) -> list[tuple[str, Callable[[], object]]]:
    a, b = runs[0]["id"], runs[-1]["id"]
    heat = h.heatmap(engine, "chrf++", "resource")
    assert (
        len({c.language for c in heat.cells}) == len(FLORES_LANGUAGES) - 1
        and len({c.model for c in heat.cells}) == MODELS
    )
    pairs = len(tasks()) * DOCS
    deltas = q.compare_runs(engine, a, b)
    return [
        ("all pages: filter_options", lambda: q.filter_options(engine)),
        *leaderboard_checks(engine),
        ("languages: heatmap (resource)", lambda: h.heatmap(engine, "chrf++", "resource")),
        (
            "languages: heatmap (script, by mean)",
            lambda: h.heatmap(engine, "chrf++", "script", order="mean"),
        ),
        ("languages: heatmap (benchmark family)", lambda: h.heatmap(engine, "chrf++", "family")),
        (
            "languages: heatmap minus base model",
            lambda: h.heatmap(engine, "chrf++", "script", base="model-0"),
        ),
        (
            "languages: heatmap chart spec (Altair)",
            lambda: heatmap_chart(heat, "chrf++", "resource").to_dict(),
        ),
        ("languages: language_matrix (script)", lambda: q.language_matrix(engine, "chrf++", "script")),
        ("checkpoints: checkpoint_curve", lambda: q.checkpoint_curve(engine, "model-7", "chrf++")),
        ("checkpoints: forgetting", lambda: q.forgetting(engine, "model-7", "chrf++")),
        ("compare: list_runs", lambda: q.list_runs(engine)),
        (f"compare: compare_runs + scatter ({pairs:,} pairs)", lambda: q.compare_runs(engine, a, b)),
        ("compare: scatter chart spec (Altair)", lambda: scatter_chart(deltas, "A", "B").to_dict()),
        ("compare: paired_samples", lambda: q.paired_samples(engine, a, b, "xnli_en", "a_right_b_wrong")),
        ("run: list_runs (all)", lambda: q.list_runs(engine, include_incomplete=True)),
        ("run: run_detail", lambda: q.run_detail(engine, b)),
    ]


def _runs_of(engine: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [{"id": r} for r in conn.execute(select(Run.id).order_by(Run.id)).scalars()]


def bench(folder: Path, browser: bool) -> dict[str, Any]:
    path = folder / "scale.db"
    url = f"sqlite:///{path}"
    out: dict[str, Any] = {"models": MODELS, "languages": len(FLORES_LANGUAGES) - 1, "tasks": len(tasks())}
    if path.exists():
        print(f"reusing {path}")
    else:
        started = time.perf_counter()
        seeded = seed(url)
        seeded["engine"].dispose()
        samples = MODELS * CHECKPOINTS * len(tasks()) * DOCS
        print(f"seeded {seeded['results']:,} task results and {samples:,} samples "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    engine = make_engine(url)
    timings = {}
    for name, fn in query_checks(engine, _runs_of(engine)):
        t = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t
        timings[name] = round(elapsed, 4)
        verdict = "ok (< 1 s)" if elapsed < LIMIT_S else "SLOW (>= 1 s)"
        print(f"{name:48s} {elapsed * 1000:8.1f} ms  {verdict}")
    engine.dispose()
    out["queries_s"] = timings
    out["slowest_query_s"] = max(timings.values())
    print(f"slowest query: {out['slowest_query_s'] * 1000:.1f} ms")
    out["ok"] = out["slowest_query_s"] < LIMIT_S
    if browser and not CHROMIUM.exists():
        print(f"browser timing skipped: {CHROMIUM} not found (apt-get install chromium)")
    elif browser:
        page = browser_timing(url, folder)
        out["browser"] = page
        warm = ", ".join(f"{w:.2f}" for w in page["warm_s"])
        verdict = "ok" if page["warm_median_s"] < PAGE_LIMIT_S else f"SLOW (>= {PAGE_LIMIT_S:.0f} s)"
        shape = f"{MODELS} models x {len(tasks())} tasks"
        print(f"browser: per-task leaderboard ({shape}) cold {page['cold_s']:.2f} s, "
              f"warm {warm} s (median {page['warm_median_s']:.2f} s)  {verdict}")  # fmt: skip
        out["ok"] = out["ok"] and page["warm_median_s"] < PAGE_LIMIT_S
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-dir", type=Path, help="keep (or reuse) the seeded database here")
    parser.add_argument("--no-browser", action="store_true", help="time the queries only")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object last")
    args = parser.parse_args()
    if args.seed_dir is not None:
        args.seed_dir.mkdir(parents=True, exist_ok=True)
        out = bench(args.seed_dir, not args.no_browser)
    else:
        with tempfile.TemporaryDirectory() as folder:
            out = bench(Path(folder), not args.no_browser)
    if args.json:
        print(json.dumps(out))
    sys.exit(0 if out["ok"] else 1)


if __name__ == "__main__":
    main()
