"""False-positive rate and power of the gate's paired test (`core.stats.paired_permutation`)
against the paired bootstrap it replaced (Koehn 2004, centred absolute differences), on the same
simulated pairs as tests/unit/test_calibration.py, with more simulations.

    python bench/calibration.py [--sims 2000] [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.stats import holm, paired_permutation  # noqa: E402
from tests.unit.test_calibration import ALPHA, SIZES, drop_pair, null_pair, real_scores  # noqa: E402


def koehn_bootstrap_p(a: np.ndarray, b: np.ndarray, seed: int, resamples: int = 1000) -> float:
    """The replaced test: (#{|d*| - mean|d*| >= |d|} + 1) / (B + 1) over paired resamples."""
    n = len(a)
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    signed = (b - a)[draws].mean(axis=1)
    centred = np.abs(signed) - np.abs(signed).mean()
    return (int(np.sum(centred >= abs((b - a).mean()))) + 1) / (resamples + 1)


def rate(pool: np.ndarray, n: int, sims: int, test: str, tasks: int = 1, make=null_pair) -> float:
    rng = np.random.default_rng(n * 7 + tasks)
    hits = 0
    for _ in range(sims):
        ps = []
        for _ in range(tasks):
            a, b = make(pool, n, rng)
            seed = int(rng.integers(2**31))
            ps.append(
                paired_permutation(a, b, resamples=10, seed=seed).p_value
                if test == "permutation"
                else koehn_bootstrap_p(a, b, seed)
            )
        hits += any(p < ALPHA for p in holm(ps))
    return hits / sims


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    continuous, binary = real_scores()
    rows = []
    start = time.perf_counter()
    for kind, pool in (("binary", binary), ("continuous", continuous)):
        for n in SIZES:
            sims = args.sims if n < 1000 or kind == "binary" else args.sims // 4
            rows.append(
                {
                    "what": f"false positives, 1 task, {kind}",
                    "n": n,
                    "sims": sims,
                    "permutation": rate(pool, n, sims, "permutation"),
                    "bootstrap (replaced)": rate(pool, n, sims, "bootstrap"),
                }
            )
        sims = args.sims // 4
        rows.append(
            {
                "what": f"family-wise false positives, 20 tasks, Holm, {kind}",
                "n": 50,
                "sims": sims,
                "permutation": rate(pool, 50, sims, "permutation", tasks=20),
                "bootstrap (replaced)": rate(pool, 50, sims, "bootstrap", tasks=20),
            }
        )
    rows.append(
        {
            "what": "power, 10-point accuracy drop",
            "n": 200,
            "sims": args.sims,
            "permutation": rate(binary, 200, args.sims, "permutation", make=drop_pair),
            "bootstrap (replaced)": rate(binary, 200, args.sims, "bootstrap", make=drop_pair),
        }
    )
    if args.json:
        print(json.dumps({"alpha": ALPHA, "seconds": time.perf_counter() - start, "rows": rows}, indent=1))
        return
    print("| what | n | sims | permutation | bootstrap (replaced) |\n|---|---:|---:|---:|---:|")
    for r in rows:
        rates = f"{r['permutation']:.3f} | {r['bootstrap (replaced)']:.3f}"
        print(f"| {r['what']} | {r['n']} | {r['sims']} | {rates} |")
    print(f"\nalpha {ALPHA}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
