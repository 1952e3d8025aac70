"""Greedy generation speed: lm-eval's `hf` model against ours (`harness-hf`) on FLORES-200.

    .venv/bin/python bench/generate.py [--model smollm2-135m] [--limit 50] [--batch-size 16]

Both run our `flores_eng_Latn-lin_Latn` task config (devtest, greedy, stop at newline, at most 256
new tokens) through lm-eval's evaluator on the same checkpoint, float32, CPU, each in its own
process, one after the other, without the response cache. Prints both wall times, the ratio and
whether every hypothesis is identical; exits 1 when one differs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

from tests.parity_helpers import PROJECT_ROOT, timed_evaluate  # noqa: E402

TASK = "flores_eng_Latn-lin_Latn"


def worker(args: argparse.Namespace) -> None:
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM
    from tasks.base import TaskOptions
    from tasks.flores.task import Flores

    config = Flores().lm_eval_config(TASK, args.data_dir / "flores200", TaskOptions())
    cls = HFLM if args.worker == "lm-eval-hf" else SharedContextLM
    lm = cls(pretrained=args.pretrained, device="cpu", dtype="float32", batch_size=args.batch_size)
    output, seconds = timed_evaluate(lm, [config], args.limit)
    hypotheses = {str(s["doc_id"]): s["filtered_resps"][0] for s in output["samples"][TASK]}
    args.out.write_text(json.dumps({"seconds": seconds, "hypotheses": hypotheses}), encoding="utf-8")


def run_worker(name: str, args: argparse.Namespace, pretrained: str, out: Path) -> dict:
    cmd = [
        sys.executable, __file__, "--worker", name, "--pretrained", pretrained, "--out", str(out),
        "--limit", str(args.limit), "--batch-size", str(args.batch_size), "--data-dir", str(args.data_dir),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument("--limit", type=int, default=50, help="first N devtest sentences")
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
    with tempfile.TemporaryDirectory(prefix="generate_bench_") as tmp:
        theirs = run_worker("lm-eval-hf", args, pretrained, Path(tmp) / "lm-eval.json")
        ours = run_worker("harness-hf", args, pretrained, Path(tmp) / "ours.json")
    a, b = theirs["hypotheses"], ours["hypotheses"]
    differ = sorted(int(d) for d in a if a[d] != b.get(d))
    print(f"{TASK} devtest[:{args.limit}], {args.model}, float32, CPU, batch size {args.batch_size}")
    print(f"lm-eval hf: {theirs['seconds']:.1f} s   harness-hf: {ours['seconds']:.1f} s")
    print(f"speed-up (lm-eval hf seconds / ours): {theirs['seconds'] / ours['seconds']:.2f}x")
    print(
        f"identical hypotheses: {len(a) - len(differ)}/{len(a)}" + (f" (differ: {differ})" if differ else "")
    )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
