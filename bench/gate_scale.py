"""Time `harness gate` on 100,000 paired documents across 10 tasks, and our corpus paired
approximate randomization against sacrebleu's own (`--paired-ar`) on the same FLORES sentences.

    python bench/gate_scale.py [--tasks 10] [--docs 10000] [--data-dir ../shared/data]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from harness.analysis.gate import compare, load_side  # noqa: E402


def write_run(path: Path, run_id: str, scores: dict[str, np.ndarray]) -> None:
    results, samples = [], []
    for task, values in scores.items():
        results.append(
            {
                "run_id": run_id,
                "task": task,
                "task_version": "v1",
                "task_hash": "h",
                "metric": "acc",
                "value": float(values.mean()),
                "signature": "",
            }
        )
        samples += [
            {
                "run_id": run_id,
                "task": task,
                "doc_id": i,
                "doc_hash": f"{task}/{i}",
                "target": "A",
                "output": "A" if v else "B",
                "scores": {"acc": float(v)},
            }
            for i, v in enumerate(values)
        ]
    path.write_text(json.dumps({"results": results, "samples": samples}))


def bench_acc(n_tasks: int, n_docs: int) -> None:
    rng = np.random.default_rng(0)
    base = {f"task_{k}": rng.binomial(1, 0.6, n_docs).astype(float) for k in range(n_tasks)}
    cand = {}
    for k, (task, values) in enumerate(base.items()):
        if k == 3:  # task_3 loses about 3 points
            cand[task] = np.where(rng.random(n_docs) < 0.05, 0.0, values)
        else:  # the others change 5% of their documents at random: noise
            cand[task] = np.where(rng.random(n_docs) < 0.05, rng.binomial(1, 0.6, n_docs), values)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.json", Path(tmp) / "b.json"
        write_run(a, "a", base)
        write_run(b, "b", cand)
        start = time.perf_counter()
        report = compare(load_side(str(a), None), load_side(str(b), None))
        in_process = time.perf_counter() - start
        start = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "harness.cli", "gate", "--baseline", str(a), "--candidate", str(b)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        end_to_end = time.perf_counter() - start
    failed = [v.task for v in report.verdicts if v.failed]
    print(f"acc: {n_tasks} tasks x {n_docs} documents = {n_tasks * n_docs:,} pairs")
    print(
        f"  load + compare in process: {in_process:.2f} s   (limit 5 s: {'ok' if in_process < 5 else 'OVER'})"
    )
    print(f"  harness gate CLI end to end: {end_to_end:.2f} s, exit {cli.returncode}, failed tasks {failed}")


def bench_corpus(data_dir: Path, trials: int) -> None:
    from sacrebleu.metrics import CHRF
    from sacrebleu.significance import PairedTest

    from core.stats import paired_randomization

    devtest = data_dir / "flores200" / "devtest"
    refs = (devtest / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    base = (devtest / "kon_Latn.devtest").read_text(encoding="utf-8").splitlines()
    cand = [" ".join(h.split()[:-1]) if i % 3 == 0 else h for i, h in enumerate(base)]
    start = time.perf_counter()
    metric = CHRF(word_order=2)
    ours = paired_randomization(
        np.asarray(metric._extract_corpus_statistics(base, [refs]), dtype=float),
        np.asarray(metric._extract_corpus_statistics(cand, [refs]), dtype=float),
        lambda s: metric._compute_score_from_stats(s).score,
        trials=trials,
    )
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    _, results = PairedTest(
        [("baseline", base), ("candidate", cand)],
        {"chrF++": CHRF(word_order=2)},
        [refs],
        test_type="ar",
        n_samples=trials,
    )()
    sacrebleu_s = time.perf_counter() - start
    (scores,) = (v for k, v in results.items() if k != "System")
    print(f"chrF++ paired approximate randomization, {len(refs)} FLORES sentences, {trials} trials")
    print(f"  ours: {ours_s:.2f} s  delta {ours.delta:+.3f}  p {ours.p_value:.4f}")
    print(
        f"  sacrebleu PairedTest: {sacrebleu_s:.2f} s  "
        f"delta {scores[1].score - scores[0].score:+.3f}  p {scores[1].p_value:.4f}"
    )
    print(f"  time ratio sacrebleu / ours: {sacrebleu_s / ours_s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    bench_acc(args.tasks, args.docs)
    bench_corpus(args.data_dir, args.trials)


if __name__ == "__main__":
    main()
