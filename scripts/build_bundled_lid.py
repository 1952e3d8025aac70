"""Build the compact language identifier shipped in the package (`harness/bundled/lid/`): the
`harness lid build` classifier of every FLORES-200 language, trained on FLORES-200 dev with the
same hyperparameters, then quantized with fastText's product quantization (the vocabulary of
character n-grams cut to the most useful `--cutoff` entries, retrained after the cut), and its
devtest report measured on the quantized file itself.

    .venv/bin/python scripts/build_bundled_lid.py --data-dir ../shared/data [--cutoff 100000]

Writes `harness/bundled/lid/flores200-lid.ftz` and `report.json` beside it (commit both).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.hashing import sha256_file  # noqa: E402
from harness.scorers import lid_build  # noqa: E402
from harness.scorers.lid import import_fasttext  # noqa: E402

OUT = ROOT / "harness" / "bundled" / "lid"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cutoff", type=int, default=100_000, help="n-grams kept by the quantization")
    args = parser.parse_args()
    root = args.data_dir / "flores200"
    langs = lid_build.languages_in(root, None)
    params = dict(lid_build.HYPERPARAMETERS)
    fasttext = import_fasttext()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        full, data = Path(tmp) / "model.bin", Path(tmp) / "train.txt"
        lines = lid_build.train(root, langs, params, full)
        trained = time.perf_counter() - start
        lid_build._training_file(root, langs, int(params["shuffle_seed"]), data)
        model = fasttext.load_model(str(full))
        model.quantize(
            input=str(data), cutoff=args.cutoff, retrain=True, qnorm=True, thread=lid_build.THREADS, verbose=0
        )
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / "flores200-lid.ftz"
        model.save_model(str(target))
        quantized = time.perf_counter() - start - trained
        full_report = lid_build.measure(full, root, langs)
    report = lid_build.measure(target, root, langs)
    report |= {
        "file": target.name,
        "sha256": sha256_file(target),
        "size_bytes": target.stat().st_size,
        "training_lines": lines,
        "hyperparameters": params,
        "quantization": {"cutoff": args.cutoff, "retrain": True, "qnorm": True, "dsub": 2},
        "unquantized": {k: full_report[k] for k in ("accuracy", "macro_f1")},
        "seconds": {"train": round(trained, 1), "quantize": round(quantized, 1)},
        "command": "python scripts/build_bundled_lid.py --data-dir ../shared/data "
        + f"--cutoff {args.cutoff}",
    }
    (OUT / "report.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        json.dumps({k: report[k] for k in ("accuracy", "macro_f1", "size_bytes", "unquantized", "seconds")})
    )


if __name__ == "__main__":
    main()
