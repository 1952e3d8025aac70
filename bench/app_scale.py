"""The app's queries at scale: every FLORES-200 language, 20 models x 3 checkpoints, in a
temporary SQLite file (bulk Core inserts), then every page's query functions timed once each, cold.

    .venv/bin/python bench/app_scale.py

Shape: 20 models x 3 checkpoints (steps 1000..3000, the first a child of model 0's checkpoint)
= 60 complete runs; each run both FLORES directions with English for the 204 other FLORES-200
codes (chrf++, bleu) and the 16 XNLI languages (acc, f1): 424 tasks x 2 metrics x 60 runs =
50,880 task results; 25 documents per task = 636,000 samples. The Languages heatmap of chrF++
draws 204 languages (every code but English, the other side of each direction) x 20 models; the
newest checkpoint stands for each model.
"""

import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from app.charts import heatmap_chart, scatter_chart  # noqa: E402
from core.languages import FLORES_LANGUAGES  # noqa: E402
from db import app_queries as q  # noqa: E402
from db import heatmap as h  # noqa: E402
from db.models import Checkpoint, Model, Run, Sample, TaskResult  # noqa: E402
from db.session import make_engine  # noqa: E402
from tasks.registry import family_of_name  # noqa: E402
from tasks.xnli.task import ISO_639_1  # noqa: E402

MODELS, CHECKPOINTS, DOCS, CHUNK = 20, 3, 25, 50_000
LIMIT_S = 1.0


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
    """The Leaderboard page's queries: `db/leaderboard.py` where it exists, else `db/app_queries`."""
    try:
        from db import leaderboard as lb
    except ImportError:
        lb = None
    checks: list[tuple[str, Callable[[], object]]] = [
        ("leaderboard: app_queries.leaderboard (family)", lambda: q.leaderboard(engine)),
        ("leaderboard: app_queries.leaderboard (task)", lambda: q.leaderboard(engine, by="task")),
        (
            "leaderboard: script+resource filter",
            lambda: q.leaderboard(engine, filters=q.Filters(scripts=["Latn"], resources=["low"])),
        ),
    ]
    if lb is not None:
        checks.append(("leaderboard: db.leaderboard (family)", lambda: lb.leaderboard(engine)))
        checks.append(("leaderboard: db.leaderboard (task)", lambda: lb.leaderboard(engine, by="task")))
    return checks


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'scale.db'}"
        started = time.perf_counter()
        seeded = seed(url)
        samples = MODELS * CHECKPOINTS * len(tasks()) * DOCS
        print(f"seeded {seeded['results']:,} task results and {samples:,} samples "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        engine = make_engine(url)
        a, b = seeded["runs"][0]["id"], seeded["runs"][-1]["id"]
        heat = h.heatmap(engine, "chrf++", "resource")
        assert (
            len({c.language for c in heat.cells}) == len(FLORES_LANGUAGES) - 1
            and len({c.model for c in heat.cells}) == MODELS
        )
        pairs = len(tasks()) * DOCS
        deltas = q.compare_runs(engine, a, b)
        checks: list[tuple[str, Callable[[], object]]] = [
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
        worst = 0.0
        for name, fn in checks:
            t = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - t
            worst = max(worst, elapsed)
            verdict = "ok (< 1 s)" if elapsed < LIMIT_S else "SLOW (>= 1 s)"
            print(f"{name:48s} {elapsed * 1000:8.1f} ms  {verdict}")
        engine.dispose()
        seeded["engine"].dispose()
        print(f"slowest: {worst * 1000:.1f} ms")
        sys.exit(0 if worst < LIMIT_S else 1)


if __name__ == "__main__":
    main()
