"""Pack what `bench/gpu.py --mode jobs` needs on a GPU machine that cannot reach the data or the
model: KoBEST BoolQ and FLORES-200 eng_Latn/lin_Latn in their official layouts (so `--data-dir`
reads them as it reads `../shared/data`), and SmolLM2-135M's config and tokenizer, without its
weights (the benchmark builds random weights of that architecture there).

    .venv/bin/python scripts/gpu_pack.py [--data-dir ../shared/data] [--out build/gpu-pack]

KoBEST's layout check wants every task's files; only `boolq/` is read and hashed into the task, so
the other tasks' files are written empty (the task's content hash is that of a full copy). Writes
`MANIFEST.txt` with each file's size and SHA-256, and fails above `--max-mib` (default 8).
"""

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.hashing import sha256_file  # noqa: E402
from tasks.kobest.source import LAYOUT as KOBEST_LAYOUT  # noqa: E402

FLORES_FILES = [
    f"{split}/{lang}.{split}" for split in ("dev", "devtest") for lang in ("eng_Latn", "lin_Latn")
]
MODEL_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]
OPTIONAL_MODEL_FILES = ["chat_template.jinja", "special_tokens_map.json"]


def copy_data(data_dir: Path, out: Path) -> None:
    for rel in FLORES_FILES:
        target = out / "data" / "flores200" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / "flores200" / rel, target)
    for rel in KOBEST_LAYOUT:
        target = out / "data" / "kobest" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("boolq/"):
            shutil.copyfile(data_dir / "kobest" / rel, target)
        else:
            target.write_bytes(b"")  # satisfies the layout check; never read for kobest_boolq


def copy_model(model_dir: Path, out: Path) -> None:
    target = out / "smollm2-135m"
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES + [n for n in OPTIONAL_MODEL_FILES if (model_dir / n).is_file()]:
        shutil.copyfile(model_dir / name, target / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--model", default="smollm2-135m", help="alias or checkpoint folder (config + tokenizer)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-pack")
    parser.add_argument("--max-mib", type=float, default=8.0)
    args = parser.parse_args()

    from harness.engine.models import resolve_model

    model_dir = Path(resolve_model(args.model).pretrained)  # the alias converts its GGUF once, if needed
    shutil.rmtree(args.out, ignore_errors=True)
    copy_data(args.data_dir, args.out)
    copy_model(model_dir, args.out)
    files = sorted(p for p in args.out.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    lines = [f"{p.stat().st_size:>10}  {sha256_file(p)}  {p.relative_to(args.out)}" for p in files]
    (args.out / "MANIFEST.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(files)} files, {total / 2**20:.1f} MiB (config and tokenizer of {model_dir})")
    if total > args.max_mib * 2**20:
        print(f"gpu_pack.py: over the limit of {args.max_mib} MiB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
