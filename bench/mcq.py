"""Multiple-choice scoring speed: lm-eval's `hf` model against ours (`harness-hf`, shared contexts
and shared few-shot prefixes).

    .venv/bin/python bench/mcq.py [--model smollm2-135m] [--limit 200] [--batch-size 16]
    .venv/bin/python bench/mcq.py --task ceval_stem --limit 3 --num-fewshot 5

`--task kobest_boolq` (the default) scores lm-eval's own `kobest_boolq` task (its YAML, pointed at
the local KoBEST test rows); any other name is a harness task or group (`ceval_stem`: C-Eval's 20
STEM subjects), whose lm-eval configs both models get in one `simple_evaluate` call. Both run on the
same checkpoint, float32, on the CPU, each in its own process one after the other, so each one's
peak RSS is its own. Prints the wall-time ratio, both peak RSS, the largest per-sample
|delta loglikelihood| and both accuracies. Exits 1 when a loglikelihood differs by more than 1e-4
or the accuracies differ.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.parity_helpers`

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from tests.parity_helpers import PROJECT_ROOT, lm_eval_builtin, timed_evaluate  # noqa: E402

TOLERANCE = 1e-4


def worker(args: argparse.Namespace) -> None:
    """One scorer in this process: write each document's loglikelihoods, the accuracy and peak RSS."""
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM

    task_list = _tasks(args)
    cls = HFLM if args.worker == "lm-eval-hf" else SharedContextLM
    lm = cls(pretrained=args.pretrained, device="cpu", dtype="float32", batch_size=args.batch_size)
    output, seconds = timed_evaluate(lm, task_list, args.limit, fewshot_random_seed=1234)
    samples = {
        f"{task}/{s['doc_id']}": [r[0][0] for r in s["resps"]]
        for task, rows in output["samples"].items()
        for s in rows
    }
    correct = [
        s["acc"] for rows in output["samples"].values() for s in rows
    ]  # every document equally: the pooled accuracy over all the tasks' documents
    result = {
        "seconds": seconds,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "acc": sum(correct) / len(correct),
        "context_tokens": getattr(lm, "context_tokens", None),
        "loglikelihoods": samples,
    }
    args.out.write_text(json.dumps(result), encoding="utf-8")


def _tasks(args: argparse.Namespace) -> list[dict]:
    """lm-eval task configs: lm-eval's own kobest_boolq, or a harness task/group's configs."""
    if args.task == "kobest_boolq":
        folder = args.data_dir / "kobest" / "boolq"
        files = {"test": str(folder / "test.jsonl"), "validation": str(folder / "validation.jsonl")}
        task = lm_eval_builtin("kobest/kobest_boolq.yaml", "kobest_boolq", files)
        if args.num_fewshot is not None:
            task["num_fewshot"] = args.num_fewshot
        return [task]
    from tasks.base import TaskOptions
    from tasks.registry import expand

    configs = []
    for name, fam in expand([args.task], lambda data_set: args.data_dir / data_set):
        config = fam.lm_eval_config(name, args.data_dir / fam.data_set, TaskOptions())
        if args.num_fewshot is not None:
            config["num_fewshot"] = args.num_fewshot
        configs.append(config)
    return configs


def run_worker(name: str, args: argparse.Namespace, pretrained: str, out: Path) -> dict:
    cmd = [
        sys.executable, __file__, "--worker", name, "--pretrained", pretrained, "--out", str(out),
        "--limit", str(args.limit), "--batch-size", str(args.batch_size), "--data-dir", str(args.data_dir),
        "--task", args.task,
    ]  # fmt: skip
    if args.num_fewshot is not None:
        cmd += ["--num-fewshot", str(args.num_fewshot)]
    started = time.monotonic()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr[-4000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["process_seconds"] = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument(
        "--task", default="kobest_boolq", help="kobest_boolq (lm-eval's YAML) or a harness task/group"
    )
    parser.add_argument("--limit", type=int, default=200, help="first N documents of each task")
    parser.add_argument(
        "--num-fewshot", type=int, default=None, help="few-shot examples (task default if unset)"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--worker", choices=["lm-eval-hf", "harness-hf"], help=argparse.SUPPRESS)
    parser.add_argument("--pretrained", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    from harness.engine.models import resolve_model

    pretrained = resolve_model(args.model).pretrained
    with tempfile.TemporaryDirectory(prefix="mcq_bench_") as tmp:
        theirs = run_worker("lm-eval-hf", args, pretrained, Path(tmp) / "lm-eval.json")
        ours = run_worker("harness-hf", args, pretrained, Path(tmp) / "ours.json")
    a, b = theirs["loglikelihoods"], ours["loglikelihoods"]
    if a.keys() != b.keys():
        raise RuntimeError("the two runs scored different documents")
    delta = max(abs(x - y) for doc in a for x, y in zip(a[doc], b[doc], strict=True))
    shots = f", {args.num_fewshot}-shot" if args.num_fewshot is not None else ""
    setting = f"{args.model}, float32, CPU, batch size {args.batch_size}"
    print(f"{args.task} [:{args.limit}]{shots}, {len(a)} documents, {setting}")
    print(f"{'':14} {'seconds':>9} {'peak RSS GB':>12} {'accuracy':>9}")
    for name, r in (("lm-eval hf", theirs), ("harness-hf", ours)):
        print(f"{name:14} {r['seconds']:>9.1f} {r['peak_rss_gb']:>12.2f} {r['acc']:>9.4f}")
    if ours.get("context_tokens"):
        t = ours["context_tokens"]
        print(f"harness-hf context tokens: {t['run']} run, {t['reused']} from kept prefix caches")
    print(f"speed-up (lm-eval hf seconds / ours): {theirs['seconds'] / ours['seconds']:.2f}x")
    print(f"largest |delta loglikelihood|: {delta:.3g}")
    ok = delta <= TOLERANCE and theirs["acc"] == ours["acc"]
    print("RESULT:", "same numbers" if ok else "numbers differ")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
