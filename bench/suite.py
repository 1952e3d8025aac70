"""Whole runs of many tasks: `harness eval` against one plain lm-eval call on the same tasks.

    .venv/bin/python bench/suite.py [--model PATH] [--data-dir DIR] [--batch-size 8]
                                    [--parts flores,families] [--out FILE]

`flores`: the tiny model (built here unless `--model` is given) on `--tasks flores_lin --limit 1`
(2 tasks, the median of 3 runs) and `--tasks flores --limit 1` (408 tasks) through `harness eval`,
each timed from process start to stored results, and the 408 tasks through one
`lm_eval.simple_evaluate` call with lm-eval's own `hf` model, in its own process, timed the same
way. Printed: the wall times, the 408-task run's multiple of the 2-task run (target: at most 4x)
and lm-eval's time over ours.

`families`: every family's group (FLORES, XNLI, AfriXNLI, KoBEST, C-Eval, AGIEval, GAOKAO-Bench
generative and loglikelihood, IF-MT terminology, SIB-200) at `--limit 2`, through one
`harness eval` and one lm-eval call (the tiny model with a 2,048-token window there, for
GAOKAO-Bench's 1,024 generated tokens).

Both sides get the same task configs (built by the families, as `harness eval` builds them), the
same limit, few-shot seed, batch size, dtype (float32) and device (CPU); lm-eval has no response
cache (its default) and `harness eval` runs with its default cache on a fresh, empty file, so
nothing is answered from it. Every request lm-eval logged is then looked up among the answers
`harness eval` stored in that cache: loglikelihoods must agree within 1e-4 + 1e-6 x |ll| (float32
rounding of long sums) with the same greedy flag, generations must be the same text. Exits 1 when any differs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.tiny_model`

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / ".venv" / "bin" / "harness"
FAMILIES = "flores,xnli_all,afrixnli,kobest,ceval,agieval,gaokao,gaokao_ll,ifmt_terms,sib200"
LL_TOLERANCE = 1e-4
LL_RELATIVE = 1e-6
"""Loglikelihoods agree within LL_TOLERANCE + LL_RELATIVE x |loglikelihood|: a float32 sum of
2,800 nats (a random model on a long XNLI sentence) has a rounding unit of 2.4e-4."""


def lm_eval_worker(args: argparse.Namespace) -> None:
    """One plain lm-eval call (its `hf` model) over the tasks `harness eval` would run."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from harness.engine.run import prepare_tasks
    from harness.engine.specs import EvalConfig

    config = EvalConfig(
        model=args.model, tasks=args.tasks.split(","), limit=args.limit, data_dir=args.data_dir
    )
    prepared = prepare_tasks(config)
    configs = [
        fam.lm_eval_config(name, prepared.roots[fam.data_set], prepared.options)
        for name, fam in prepared.tasks
    ]
    output = simple_evaluate(
        model="hf",
        model_args=f"pretrained={args.model},dtype=float32",
        tasks=configs,
        limit=args.limit,
        batch_size=args.batch_size,
        device="cpu",
        log_samples=True,
        bootstrap_iters=0,
        fewshot_random_seed=config.fewshot_seed,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    kinds = {name: output["configs"][name]["output_type"] for name in output["samples"]}
    requests = [
        {
            "kind": "generate_until" if kinds[task] == "generate_until" else "loglikelihood",
            "args": arg,
            "resp": resp[0],
            "task": task,
        }
        for task, samples in output["samples"].items()
        for sample in samples
        for arg, resp in zip(sample["arguments"], sample["resps"], strict=True)
    ]
    Path(args.out).write_text(json.dumps({"tasks": len(configs), "requests": requests}), encoding="utf-8")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return seconds


def harness_run(
    args: argparse.Namespace, tasks: str, limit: int, work: Path, label: str
) -> tuple[float, Path]:
    cache = work / f"{label}-responses.sqlite"
    env = {**os.environ, "HARNESS_RESPONSE_CACHE": str(cache)}
    cmd = [
        str(HARNESS), "eval", "--model", args.model, "--tasks", tasks, "--limit", str(limit),
        "--batch-size", str(args.batch_size), "--device", "cpu", "--dtype", "float32",
        "--db", f"sqlite:///{work / f'{label}.db'}", "--data-dir", args.data_dir,
    ]  # fmt: skip
    return timed(cmd, env), cache


def lm_eval_run(
    args: argparse.Namespace, tasks: str, limit: int, work: Path, label: str
) -> tuple[float, Path]:
    out = work / f"{label}-lm-eval.json"
    cmd = [
        sys.executable, __file__, "--worker", "--model", args.model, "--tasks", tasks, "--limit", str(limit),
        "--batch-size", str(args.batch_size), "--data-dir", args.data_dir, "--out", str(out),
    ]  # fmt: skip
    return timed(cmd, dict(os.environ)), out


def agreement(lm_eval_out: Path, cache: Path) -> dict[str, Any]:
    """lm-eval's logged requests against the answers `harness eval` stored in its response cache."""
    from harness.engine.response_cache import request_hash

    logged = json.loads(lm_eval_out.read_text(encoding="utf-8"))["requests"]
    answers = {
        (kind, digest): json.loads(response)
        for kind, digest, response in sqlite3.connect(cache).execute(
            "SELECT kind, request_hash, response FROM responses"
        )
    }
    missing, worst = 0, 0.0
    differ: dict[str, list[str]] = {}
    for item in logged:
        answer = answers.get((item["kind"], request_hash(list(item["args"]))))
        if answer is None:
            missing += 1
        elif item["kind"] == "loglikelihood":
            delta = abs(float(answer[0]) - float(item["resp"][0]))
            worst = max(worst, delta)
            allowed = LL_TOLERANCE + LL_RELATIVE * abs(float(item["resp"][0]))
            if delta > allowed or bool(answer[1]) != bool(item["resp"][1]):
                why = f"ll {answer[0]:.6f} vs {item['resp'][0]:.6f}, greedy {answer[1]} vs {item['resp'][1]}"
                differ.setdefault(item["task"], []).append(why)
        elif answer != item["resp"]:
            differ.setdefault(item["task"], []).append("generated text differs")
    return {
        "requests": len(logged),
        "missing": missing,
        "differ": sum(len(v) for v in differ.values()),
        "max_abs_delta_ll": worst,
        "differing": differ,
    }


def part_flores(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    # The 2-task run is mostly process start and loading, which vary by a second or two: median of 3.
    two = statistics.median(harness_run(args, "flores_lin", 1, work, f"flores_lin{k}")[0] for k in range(3))
    ours, cache = harness_run(args, "flores", 1, work, "flores")
    theirs, out = lm_eval_run(args, "flores", 1, work, "flores")
    result = {
        "flores_lin_s": two,
        "flores_s": ours,
        "lm_eval_flores_s": theirs,
        "flores_over_flores_lin": ours / two,
        "lm_eval_over_ours": theirs / ours,
        "agreement": agreement(out, cache),
    }
    print(
        f"flores --limit 1 (408 tasks): harness {ours:.1f} s, lm-eval {theirs:.1f} s "
        f"({theirs / ours:.2f}x); flores_lin --limit 1 (2 tasks) {two:.1f} s: "
        f"408 tasks take {ours / two:.2f}x the 2-task run (target <= 4x)"
    )
    return result


def long_window(model: str, work: Path) -> str:
    """A copy of the tiny model with a 2,048-token window: GAOKAO-Bench's official protocol
    generates up to 1,024 tokens, which lm-eval refuses for a model whose window is 1,024."""
    import shutil

    copy = work / "tiny-2048"
    shutil.copytree(model, copy, dirs_exist_ok=True)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = max(int(config["max_position_embeddings"]), 2048)
    (copy / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return str(copy)


def part_families(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if args.built_model:
        args = argparse.Namespace(**{**vars(args), "model": long_window(args.model, work)})
    ours, cache = harness_run(args, args.families, 2, work, "families")
    theirs, out = lm_eval_run(args, args.families, 2, work, "families")
    tasks = json.loads(out.read_text(encoding="utf-8"))["tasks"]
    result = {"tasks": tasks, "harness_s": ours, "lm_eval_s": theirs, "lm_eval_over_ours": theirs / ours}
    result["agreement"] = agreement(out, cache)
    print(
        f"every family --limit 2 ({tasks} tasks): harness {ours:.1f} s, "
        f"lm-eval {theirs:.1f} s ({theirs / ours:.2f}x)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="checkpoint folder (default: the tiny test model, built here)")
    parser.add_argument(
        "--data-dir", default=os.environ.get("HARNESS_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--parts", default="flores,families")
    parser.add_argument("--families", default=FAMILIES, help="task groups of the `families` part")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lm_eval_worker(args)
        return
    with tempfile.TemporaryDirectory(prefix="suite-") as tmp:
        work = Path(tmp)
        args.built_model = not args.model
        if not args.model:
            from tests.tiny_model import build_tiny_model

            args.model = str(build_tiny_model(work / "tiny"))
        results: dict[str, Any] = {"model": args.model, "batch_size": args.batch_size}
        for part in args.parts.split(","):
            results[part] = {"flores": part_flores, "families": part_families}[part](args, work)
            print(f"  agreement: {json.dumps(results[part]['agreement'])}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    bad = [
        p
        for p in args.parts.split(",")
        if results[p]["agreement"]["differ"] or results[p]["agreement"]["missing"]
    ]
    if bad:
        raise SystemExit(f"per-request answers differ from lm-eval's in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
