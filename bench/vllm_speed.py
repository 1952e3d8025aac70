"""Generation throughput: vLLM (CPU build here, `.venv-vllm`) against transformers on FLORES-200.

    .venv/bin/python bench/vllm_speed.py [--model smollm2-135m] [--limit 50] [--batch-size 16]

The same `flores_eng_Latn-lin_Latn` task config (devtest, greedy, stop at newline, at most 256 new
tokens) runs through lm-eval's evaluator three times, each in its own process, one after the
other, float32, no response cache: lm-eval's `hf` model and ours (`harness-hf`) from `.venv`, and
lm-eval's `vllm` model (through `harness.engine.backends.vllm_lm`) from `.venv-vllm`. Timing starts after
the model is loaded. Generated tokens are counted with the model's tokenizer over the hypotheses.
Prints tokens/s per engine, vLLM's ratio to each, and how many hypotheses equal transformers'.
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
VLLM_PYTHON = PROJECT_ROOT / ".venv-vllm" / "bin" / "python"


def worker(args: argparse.Namespace) -> None:
    from transformers import AutoTokenizer

    from harness.engine.models import resolve_model
    from tasks.base import TaskOptions
    from tasks.flores.task import Flores

    spec = resolve_model(args.model)
    config = Flores().lm_eval_config(TASK, args.data_dir / "flores200", TaskOptions())
    if args.worker == "vllm":
        from harness.engine.backends.vllm_lm import load_vllm, shutdown_vllm

        lm = load_vllm(spec, "cpu", "float32", args.batch_size, 1)
    else:
        from lm_eval.models.huggingface import HFLM

        from harness.engine.backends.scorer import SharedContextLM

        cls = HFLM if args.worker == "lm-eval-hf" else SharedContextLM
        lm = cls(pretrained=spec.pretrained, device="cpu", dtype="float32", batch_size=args.batch_size)
    output, seconds = timed_evaluate(lm, [config], args.limit)
    if args.worker == "vllm":
        shutdown_vllm(lm)
    hypotheses = {str(s["doc_id"]): s["resps"][0][0] for s in output["samples"][TASK]}
    tokenizer = AutoTokenizer.from_pretrained(spec.pretrained)
    tokens = sum(len(tokenizer(h, add_special_tokens=False)["input_ids"]) for h in hypotheses.values())
    result = {"seconds": seconds, "tokens": tokens, "hypotheses": hypotheses}
    args.out.write_text(json.dumps(result), encoding="utf-8")


def run_worker(name: str, args: argparse.Namespace, out: Path) -> dict:
    python = str(VLLM_PYTHON) if name == "vllm" else sys.executable
    cmd = [
        python, __file__, "--worker", name, "--model", args.model, "--out", str(out),
        "--limit", str(args.limit), "--batch-size", str(args.batch_size), "--data-dir", str(args.data_dir),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    subprocess.run(cmd, check=True, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--worker", choices=["lm-eval-hf", "harness-hf", "vllm"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if not VLLM_PYTHON.exists():
        sys.exit(f"{VLLM_PYTHON} is missing: run `bash scripts/setup_vllm.sh` first")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("lm-eval-hf", "harness-hf", "vllm"):
            results[name] = run_worker(name, args, Path(tmp) / f"{name}.json")
            r = results[name]
            rate = r["tokens"] / r["seconds"]
            print(f"{name:11s} {r['seconds']:8.1f} s  {r['tokens']:6d} tokens  {rate:7.1f} tokens/s")
    vllm = results["vllm"]
    for name in ("lm-eval-hf", "harness-hf"):
        ratio = (vllm["tokens"] / vllm["seconds"]) / (results[name]["tokens"] / results[name]["seconds"])
        print(f"vllm / {name}: {ratio:.2f}x tokens/s")
    reference = results["lm-eval-hf"]["hypotheses"]
    same = sum(vllm["hypotheses"].get(k) == v for k, v in reference.items())
    print(f"vllm hypotheses equal to transformers': {same}/{len(reference)}")
    print(json.dumps({k: {"seconds": v["seconds"], "tokens": v["tokens"]} for k, v in results.items()}))


if __name__ == "__main__":
    main()
