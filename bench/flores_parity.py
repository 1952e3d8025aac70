"""Parity and speed of `harness eval` against a plain `lm_eval` run on FLORES-200 eng_Latn -> lin_Latn.

    .venv/bin/python bench/flores_parity.py [--model smollm2-135m] [--limit 50] [--batch-size 16]

Both run lm-eval's `hf` model on the same checkpoint, batch size, device and dtype, one after the
other. The plain run uses no project code (JSONL data through lm-eval's `json` builder, lm-eval's
built-in `chrf` and `bleu`). Exits 1 when a hypothesis, prompt or chrF2 differs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.parity_helpers`

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from tests.parity_helpers import (  # noqa: E402
    PROJECT_ROOT,
    bleu,
    chrf2,
    compare,
    harness_command,
    harness_results,
    lm_eval_command,
    read_harness,
    read_lm_eval,
    run,
    write_plain_task,
)

CHRF_TOLERANCE = 1e-6


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument("--limit", type=int, default=50, help="first N devtest sentences")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--dtype", default="float32", help="float32, bfloat16 or float16 (both runs)")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep outputs here (default: a temp dir)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    import torch

    from harness.engine.models import resolve_model

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    pretrained = resolve_model(args.model).pretrained  # converts an alias's checkpoint on first use
    flores = args.data_dir / "flores200"
    with tempfile.TemporaryDirectory(prefix="flores_parity_") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        include = write_plain_task(work / "task", flores, args.limit)
        lm_out = work / "lm_eval_out"
        db_path = work / "parity.db"
        shutil.rmtree(lm_out, ignore_errors=True)  # read_lm_eval wants exactly one results file
        db_path.unlink(missing_ok=True)
        lm_cmd = lm_eval_command(pretrained, include, lm_out, args.batch_size, device, args.dtype)
        our_cmd = harness_command(
            pretrained, args.data_dir, db_path, args.limit, args.batch_size, device, args.dtype
        )

        start = time.perf_counter()
        run(lm_cmd)
        lm_seconds = time.perf_counter() - start
        start = time.perf_counter()
        proc = run(our_cmd)
        our_seconds = time.perf_counter() - start

        lm_metrics, lm_samples = read_lm_eval(lm_out)
        run_id, our_metrics = harness_results(proc.stdout)
        ours = read_harness(db_path, run_id)

    result = compare(lm_samples, ours)
    our_chrf2 = chrf2(ours)
    chrf_ok = abs(lm_metrics["chrf"] - our_chrf2) <= CHRF_TOLERANCE
    print(f"model            {args.model} ({pretrained}) on {device}, {args.dtype}, batch {args.batch_size}")
    print(f"sentences        {result.n}")
    print(f"identical hyps   {result.same_outputs}/{result.n}")
    if result.output_diffs:
        print(f"  differing doc_ids: {result.output_diffs}")
        for a, b in zip(lm_samples, ours, strict=True):
            if a.doc_id in result.output_diffs[:5]:
                print(f"  doc {a.doc_id}\n    lm-eval: {a.output!r}\n    harness: {b.output!r}")
    if result.prompt_diffs or result.target_diffs:
        print(f"  differing prompts: {result.prompt_diffs}, targets: {result.target_diffs}")
    verdict = "ok" if chrf_ok else "DIFFER"
    print(f"chrF2            lm-eval {lm_metrics['chrf']:.6f}  ours {our_chrf2:.6f}  {verdict}")
    print(f"chrF++ (ours)    {our_metrics.get('chrf++')}")
    print(f"BLEU             lm-eval {lm_metrics['bleu']:.6f}  ours {bleu(ours):.6f}")
    ratio = our_seconds / lm_seconds  # harness / lm_eval
    print(f"wall time        lm_eval {lm_seconds:.1f} s  harness {our_seconds:.1f} s  ratio {ratio:.2f}")
    return 0 if result.identical and chrf_ok else 1


if __name__ == "__main__":
    sys.exit(main())
