"""Multiple-choice scoring speed: lm-eval's `hf` model against ours (`harness-hf`, shared contexts).

    .venv/bin/python bench/mcq.py [--model smollm2-135m] [--limit 200] [--batch-size 16]

Both score lm-eval's own `kobest_boolq` task (its YAML, pointed at the local KoBEST test rows) on
the same checkpoint, float32, on the CPU, each in its own process one after the other, so each
one's peak RSS is its own. Prints the wall-time ratio, both peak RSS, the largest per-sample
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

from tests.parity_helpers import PROJECT_ROOT, lm_eval_builtin  # noqa: E402

TOLERANCE = 1e-4


def worker(args: argparse.Namespace) -> None:
    """One scorer in this process: write each document's loglikelihoods, the accuracy and peak RSS."""
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    from harness.backends.scorer import SharedContextLM

    folder = args.data_dir / "kobest" / "boolq"
    files = {"test": str(folder / "test.jsonl"), "validation": str(folder / "validation.jsonl")}
    task = lm_eval_builtin("kobest/kobest_boolq.yaml", "kobest_boolq", files)
    cls = HFLM if args.worker == "lm-eval-hf" else SharedContextLM
    lm = cls(pretrained=args.pretrained, device="cpu", dtype="float32", batch_size=args.batch_size)
    started = time.monotonic()
    output = simple_evaluate(
        model=lm,
        tasks=[task],
        limit=args.limit,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
    )
    seconds = time.monotonic() - started
    assert output is not None
    samples = {str(s["doc_id"]): [r[0][0] for r in s["resps"]] for s in output["samples"]["kobest_boolq"]}
    result = {
        "seconds": seconds,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "acc": output["results"]["kobest_boolq"]["acc,none"],
        "loglikelihoods": samples,
    }
    args.out.write_text(json.dumps(result), encoding="utf-8")


def run_worker(name: str, args: argparse.Namespace, pretrained: str, out: Path) -> dict:
    cmd = [
        sys.executable, __file__, "--worker", name, "--pretrained", pretrained, "--out", str(out),
        "--limit", str(args.limit), "--batch-size", str(args.batch_size), "--data-dir", str(args.data_dir),
    ]  # fmt: skip
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
    parser.add_argument("--limit", type=int, default=200, help="first N documents of the test split")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--worker", choices=["lm-eval-hf", "harness-hf"], help=argparse.SUPPRESS)
    parser.add_argument("--pretrained", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    from harness.models import resolve_model

    pretrained = resolve_model(args.model).pretrained
    with tempfile.TemporaryDirectory(prefix="mcq_bench_") as tmp:
        theirs = run_worker("lm-eval-hf", args, pretrained, Path(tmp) / "lm-eval.json")
        ours = run_worker("harness-hf", args, pretrained, Path(tmp) / "ours.json")
    a, b = theirs["loglikelihoods"], ours["loglikelihoods"]
    if a.keys() != b.keys():
        raise RuntimeError("the two runs scored different documents")
    delta = max(abs(x - y) for doc in a for x, y in zip(a[doc], b[doc], strict=True))
    print(f"kobest_boolq test[:{args.limit}], {args.model}, float32, CPU, batch size {args.batch_size}")
    print(f"{'':14} {'seconds':>9} {'peak RSS GB':>12} {'accuracy':>9}")
    for name, r in (("lm-eval hf", theirs), ("harness-hf", ours)):
        print(f"{name:14} {r['seconds']:>9.1f} {r['peak_rss_gb']:>12.2f} {r['acc']:>9.4f}")
    print(f"speed-up (lm-eval hf seconds / ours): {theirs['seconds'] / ours['seconds']:.2f}x")
    print(f"largest |delta loglikelihood|: {delta:.3g}")
    ok = delta <= TOLERANCE and theirs["acc"] == ours["acc"]
    print("RESULT:", "same numbers" if ok else "numbers differ")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
