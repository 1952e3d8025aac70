"""Bits-per-byte speed: lm-eval's `hf` model on a plain lm-eval rolling task against ours
(`harness-hf`: documents in length-sorted batches, `harness.engine.backends.rolling`).

    .venv/bin/python bench/bpb.py [--model smollm2-135m] [--langs 20] [--sentences 200] [--batch-size 16]

The same FLORES-200 devtest sentences (the first `--sentences` of the first `--langs` languages of
`LANGS`, spread over scripts) through a plain lm-eval YAML task per language (`output_type:
loglikelihood_rolling`, lm-eval's own metrics; no code of ours) in one `simple_evaluate` call per
model, float32 on the CPU, each model in its own process one after the other. Prints both wall
times, the ratio, the largest per-document relative difference of the summed loglikelihood and of
the bits per byte; exits 1 when a document differs by more than 1e-6 relative.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.*`

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from tests.integration.test_bpb_parity import METRICS, write_plain_tasks  # noqa: E402
from tests.parity_helpers import PROJECT_ROOT, offline_env, timed_evaluate  # noqa: E402

LANGS = (
    "eng_Latn", "lin_Latn", "fra_Latn", "swh_Latn", "yor_Latn", "vie_Latn", "tur_Latn", "fin_Latn",
    "kor_Hang", "zho_Hans", "jpn_Jpan", "arb_Arab", "heb_Hebr", "rus_Cyrl", "ell_Grek", "hin_Deva",
    "ben_Beng", "tam_Taml", "tha_Thai", "amh_Ethi",
)  # fmt: skip
"""Twenty languages over fourteen scripts."""
TOLERANCE = 1e-6


def worker(args: argparse.Namespace) -> None:
    """One model in this process: per-document loglikelihoods, the aggregates and the wall time."""
    import yaml
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM

    cls = HFLM if args.worker == "lm-eval-hf" else SharedContextLM
    lm = cls(pretrained=args.pretrained, device="cpu", dtype="float32", batch_size=args.batch_size)
    names = json.loads(args.names)
    configs = [
        yaml.safe_load((args.folder / f"{name}.yaml").read_text(encoding="utf-8")) for name in names.values()
    ]
    output, seconds = timed_evaluate(lm, configs, args.sentences)
    result = {
        "seconds": seconds,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "results": {name: output["results"][name] for name in names.values()},
        "loglikelihoods": {
            f"{name}/{s['doc_id']}": [float(s["filtered_resps"][0]), len(s["target"].encode("utf-8"))]
            for name in names.values()
            for s in output["samples"][name]
        },
    }
    args.out.write_text(json.dumps(result), encoding="utf-8")


def run_worker(
    name: str, args: argparse.Namespace, pretrained: str, folder: Path, names: dict, out: Path
) -> dict:
    cmd = [
        sys.executable, __file__, "--worker", name, "--pretrained", pretrained, "--out", str(out),
        "--sentences", str(args.sentences), "--batch-size", str(args.batch_size), "--folder", str(folder),
        "--names", json.dumps(names),
    ]  # fmt: skip
    env = {**offline_env(), "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr[-4000:]}")
    return dict(json.loads(out.read_text(encoding="utf-8")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument("--langs", type=int, default=20, help=f"the first N of {len(LANGS)} languages")
    parser.add_argument("--sentences", type=int, default=200, help="first N devtest sentences per language")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--worker", choices=["lm-eval-hf", "harness-hf"], help=argparse.SUPPRESS)
    parser.add_argument("--pretrained", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    from harness.engine.models import resolve_model

    pretrained = resolve_model(args.model).pretrained
    langs = LANGS[: args.langs]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bpb_bench_") as tmp:
        folder = Path(tmp) / "tasks"
        names = write_plain_tasks(folder, args.data_dir / "flores200", args.sentences, langs)
        theirs = run_worker("lm-eval-hf", args, pretrained, folder, names, Path(tmp) / "lm-eval.json")
        ours = run_worker("harness-hf", args, pretrained, folder, names, Path(tmp) / "ours.json")
    a, b = theirs["loglikelihoods"], ours["loglikelihoods"]
    if a.keys() != b.keys() or not a:
        raise RuntimeError("the two runs scored different documents")
    worst_ll = max(abs(a[d][0] - b[d][0]) / abs(a[d][0]) for d in a)
    bpb_theirs = {d: -a[d][0] / a[d][1] for d in a}
    worst_bpb = max(abs(bpb_theirs[d] + b[d][0] / b[d][1]) / bpb_theirs[d] for d in a)
    worst_metric = max(
        abs(theirs["results"][t][f"{m},none"] - ours["results"][t][f"{m},none"])
        / theirs["results"][t][f"{m},none"]
        for t in names.values()
        for m in METRICS
        if m == "bits_per_byte"
    )
    setting = f"{args.model}, float32, CPU, batch size {args.batch_size}"
    print(
        f"{len(langs)} languages x {args.sentences} FLORES-200 devtest sentences = {len(a)} documents, "
        + setting
    )
    print(f"{'':14} {'seconds':>9} {'peak RSS GB':>12}")
    for name, r in (("lm-eval hf", theirs), ("harness-hf", ours)):
        print(f"{name:14} {r['seconds']:>9.1f} {r['peak_rss_gb']:>12.2f}")
    print(f"speed-up (lm-eval hf seconds / ours): {theirs['seconds'] / ours['seconds']:.2f}x")
    print(
        f"largest per-document relative difference: loglikelihood {worst_ll:.3g}, "
        f"bits per byte {worst_bpb:.3g}"
    )
    print(f"largest relative difference of a language's bits_per_byte: {worst_metric:.3g}")
    print(f"bench wall time {time.monotonic() - started:.0f} s")
    ok = worst_ll <= TOLERANCE
    print("RESULT:", "same numbers" if ok else "numbers differ")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
