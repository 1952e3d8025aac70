"""Write the per-file SHA-256 pins of each family (`tasks/<family>/<block>.sha256`, read by its
`source.py` through `tasks.datasource.load_pins`) from a verified offline copy's SHA256SUMS (run
once, commit the result; the harness never reads the offline copy at run time). The official files
the copy lacks are pinned from `SHA256SUMS.unseen` beside it, so a fetch verifies and places every
file of the release.

    .venv/bin/python scripts/pin_data_files.py ../shared/data/SHA256SUMS
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = {
    # block: (its family's source.py, data-root-relative folders pinned)
    "xnli": ("tasks/xnli/source.py", ("xnli/",)),
    "afrixnli": ("tasks/xnli/source.py", ("afrixnli/",)),
    "kobest": ("tasks/kobest/source.py", ("kobest/",)),
    "ceval": ("tasks/ceval/source.py", ("ceval/",)),
    "agieval": ("tasks/agieval/source.py", ("agieval/",)),
    "gaokao_bench": ("tasks/gaokao/source.py", ("gaokao_bench/", "gaokao_bench_updates/")),
    "terminology_en_de": ("tasks/ifmt/source.py", ("terminology_en_de/",)),
    "sib200": ("tasks/sib200/source.py", ("sib200/",)),
}


def main(sums: Path) -> None:
    unseen = sums.with_name("SHA256SUMS.unseen")
    text = sums.read_text() + (unseen.read_text() if unseen.is_file() else "")
    lines = sorted(
        (line for line in text.splitlines() if line.strip() and not line.startswith("#")),
        key=lambda line: line[66:],
    )
    for block, (file, folders) in BLOCKS.items():
        pinned = [line for line in lines if line.split("  ", 1)[1].startswith(folders)]
        path = (ROOT / file).parent / f"{block}.sha256"
        path.write_text("".join(f"{line}\n" for line in pinned))
        print(f"{path.relative_to(ROOT)}: {len(pinned)} files")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
