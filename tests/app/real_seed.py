"""A results database filled by real `harness eval` runs of tiny random models on real data, for
the browser tests and the docs' screenshots (`scripts/app_screenshot.py --seed`).

Models (tiny random Llamas, `tests/tiny_model.py`, different seeds): `tiny-a` on FLORES Lingala
and Swahili (both directions), AfriXNLI's 15 languages, five XNLI languages, two KoBEST tasks and
two C-Eval STEM subjects; `tiny-b` on the same without FLORES Swahili; `tiny-cpt`, three
checkpoints (steps 100, 200, 300: transformers' `checkpoint-<step>` folders whose manifest names
`tiny-a` as parent) on FLORES Lingala, AfriXNLI Lingala and Swahili and XNLI Swahili. Every run
uses `--limit 2`: about 45 s of CPU in all (two to three minutes on two busy shared cores).
"""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
LIMIT = 2
FULL_TASKS = (
    "flores_lin,flores_swh,afrixnli,xnli_en,xnli_sw,xnli_zh,xnli_ar,xnli_hi,"
    "kobest_copa,kobest_boolq,ceval_computer_network,ceval_college_physics"
)
CPT_TASKS = "flores_lin,afrixnli_lin,afrixnli_swa,xnli_sw"
STEPS = (100, 200, 300)


@dataclass(frozen=True)
class RealSeed:
    url: str
    runs: dict[str, str]
    """`tiny-a`, `tiny-b`, `tiny-cpt@100` ... -> run id."""
    seconds: float


def _eval(env: dict[str, str], folder: Path, tasks: str, url: str) -> str:
    argv = [sys.executable, "-m", "harness.cli", "eval", "--model", str(folder), "--tasks", tasks]
    argv += ["--limit", str(LIMIT), "--data-dir", str(DATA), "--batch-size", "8", "--db", url, "--json"]
    done = subprocess.run(
        ["nice", "-n", "5", *argv], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"harness eval {folder.name} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return str(json.loads(done.stdout)["run_id"])


def seed_real(folder: Path, workers: int = 2) -> RealSeed:
    """Build the tiny models under `folder`, evaluate them into `folder/app.db`, return its URL."""
    from tests.tiny_model import build_tiny_model

    started = time.monotonic()
    url = f"sqlite:///{folder / 'app.db'}"
    env = {
        **os.environ,
        "HARNESS_CACHE": str(folder / "cache"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("HARNESS_DATA_DIR", None)
    jobs: dict[str, tuple[Path, str]] = {}
    jobs["tiny-a"] = (build_tiny_model(folder / "models" / "tiny-a", seed=0), FULL_TASKS)
    # tiny-b without Swahili FLORES: a heatmap gap, and a FLORES column it covers only half of.
    b_tasks = FULL_TASKS.replace("flores_swh,", "")
    jobs["tiny-b"] = (build_tiny_model(folder / "models" / "tiny-b", seed=1), b_tasks)
    parent = folder / "models" / "tiny-a"
    for seed, step in enumerate(STEPS, start=2):
        checkpoint = build_tiny_model(folder / "models" / "tiny-cpt" / f"checkpoint-{step}", seed=seed)
        manifest = {"parent": str(parent), "tokens_seen": step * 4096}
        (checkpoint / "harness_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        jobs[f"tiny-cpt@{step}"] = (checkpoint, CPT_TASKS)
    # The parent first: it creates the schema and registers tiny-a before its children name it
    # (a child evaluated first would register its parent as a checkpoint of its own model). The
    # rest then write side by side (SQLite WAL).
    first, *rest = jobs
    runs = {first: _eval(env, jobs[first][0], jobs[first][1], url)}
    with ThreadPoolExecutor(workers) as pool:
        futures = {key: pool.submit(_eval, env, jobs[key][0], jobs[key][1], url) for key in rest}
        runs.update({key: future.result() for key, future in futures.items()})
    seconds = time.monotonic() - started
    (folder / "runs.json").write_text(json.dumps({"url": url, "runs": runs, "seconds": seconds}), "utf-8")
    return RealSeed(url, runs, seconds)


def load_or_seed(folder: Path) -> RealSeed:
    """The seed already in `folder` (its `runs.json`, written last), else a new one there."""
    done = folder / "runs.json"
    if done.is_file():
        saved = json.loads(done.read_text(encoding="utf-8"))
        return RealSeed(saved["url"], saved["runs"], 0.0)
    folder.mkdir(parents=True, exist_ok=True)
    return seed_real(folder)


if __name__ == "__main__":  # python -m tests.app.real_seed FOLDER
    seeded = load_or_seed(Path(sys.argv[1]))
    print(json.dumps({"url": seeded.url, "runs": seeded.runs, "seconds": round(seeded.seconds, 1)}))
