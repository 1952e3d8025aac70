#!/usr/bin/env bash
# Wheels for installing the harness on a GPU machine that has torch and transformers but no package
# registry (the lent H200: python3 3.12 with PyTorch, transformers, numpy, pyarrow, pandas, scipy,
# scikit-learn, ... in /opt/torch/.venv; see .library's KINDS.md). Run it where PyPI is reachable:
#   bash scripts/gpu_wheelhouse.sh [--python-version 3.12]... [--dest build/gpu-wheelhouse] [--max-mib 60]
#   bash scripts/gpu_wheelhouse.sh --verify    then prove the wheelhouse complete here (see below)
# There: `pip install --no-index --find-links build/gpu-wheelhouse -e .` (scripts/gpu_run.sh does it).
#
# How: pip resolves the project's dependencies for each target Python (manylinux x86_64, binary
# wheels only) without installing anything; the few that PyPI has only as source (sqlitedict,
# rouge-score, word2number) are built here into pure-Python wheels first. Of the resolved set it
# downloads every pure-Python wheel except the torch stack (torch, triton, nvidia-*, transformers,
# tokenizers, safetensors, huggingface-hub, numpy, ...), and every binary wheel of a package the
# GPU image does not hold (pydantic-core, SQLAlchemy, psycopg-binary, fasttext-wheel). Binary
# wheels of packages the image holds (pyarrow, pandas, scipy, scikit-learn, ...) are left out: they
# are most of the size (pyarrow alone is about 40 MiB). Pure wheels of packages the image holds are
# kept (they are small): pip uses one only where the image's version misses a pin.
# Default target Pythons: 3.12 (the H200 image) and this machine's .venv minor (so that --verify
# checks the very folder that is carried). Fails when the folder exceeds --max-mib.
#
# --verify: a throwaway environment stands for the GPU image (torch 2.13.0 CPU from local disk,
# transformers, and the binary packages left out above, at the resolved versions), then
# scripts/gpu_run.sh's install step puts the harness on it from the wheelhouse alone (--no-index),
# and `harness --help` and a tiny `harness eval` run on it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DEST=build/gpu-wheelhouse
MAX_MIB=60
VERIFY=false
VERSIONS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --python-version) VERSIONS+=("$2"); shift 2 ;;
    --dest) DEST=$2; shift 2 ;;
    --max-mib) MAX_MIB=$2; shift 2 ;;
    --verify) VERIFY=true; shift ;;
    *) echo "gpu_wheelhouse.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
LOCAL_VERSION=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [ ${#VERSIONS[@]} -eq 0 ]; then
  VERSIONS=(3.12)
  [ "$LOCAL_VERSION" = 3.12 ] || VERSIONS+=("$LOCAL_VERSION")
fi

# Packages the GPU image holds (KINDS.md, "Python packages already there", read 2026-11-17): their
# binary wheels are not carried. The torch stack is never carried, pure or not.
GPU_IMAGE="absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs
certifi charset-normalizer click cloudpickle colorama contourpy cycler cython filelock fonttools
frozenlist fsspec h11 h5py hf-xet httpcore httpx huggingface-hub idna jinja2 joblib kiwisolver lxml
markdown-it-py markupsafe mdurl ml-dtypes msgpack multidict networkx numba numpy packaging pandas
peft pillow pip pluggy portalocker propcache protobuf psutil pyarrow pybind11 pygments pyparsing
python-dateutil pyyaml regex requests rich safetensors scikit-learn scipy sentencepiece setuptools
shellingham six sympy tabulate threadpoolctl tiktoken tokenizers torch tqdm transformers triton typer
typing-extensions urllib3 wheel wrapt xxhash yarl zipp"
TORCH_STACK="torch triton transformers tokenizers safetensors huggingface-hub hf-xet numpy sympy mpmath
networkx nvidia-* cuda-*"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$DEST" && mkdir -p "$DEST"
"$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
  > "$WORK/requirements.txt"
echo setuptools >> "$WORK/requirements.txt"  # the build backend, for pip's isolated build of the project

platforms() {  # manylinux tags up to glibc 2.28; pip matches each --platform exactly
  local args=(--platform manylinux1_x86_64 --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
  for n in 5 12 17 24 26 27 28; do args+=(--platform "manylinux_2_${n}_x86_64"); done
  echo "${args[@]}"
}
# shellcheck disable=SC2207
PLATFORMS=($(platforms))

resolve() {  # $1: Python version; writes $WORK/report-$1.json, building pure wheels of source-only deps
  local version=$1 tries=0 name
  while :; do
    if "$PY" -m pip install -q --dry-run --ignore-installed --report "$WORK/report-$version.json" \
        --target "$WORK/target" --python-version "$version" --implementation cp "${PLATFORMS[@]}" \
        --only-binary=:all: --find-links "$DEST" -r "$WORK/requirements.txt" 2> "$WORK/resolve.log"; then
      return 0
    fi
    name=$(sed -n 's/.*No matching distribution found for \([A-Za-z0-9._-]*\).*/\1/p' "$WORK/resolve.log" | head -1)
    tries=$((tries + 1))
    if [ -z "$name" ] || [ $tries -gt 10 ]; then
      grep -v "is ignored: it is neither" "$WORK/resolve.log" >&2
      echo "gpu_wheelhouse.sh: resolution for Python $version failed" >&2
      exit 1
    fi
    echo "building a wheel of $name (PyPI has no wheel of it)"
    "$PY" -m pip wheel -q --no-deps -w "$WORK/built" "$name" 2> /dev/null
    if ! ls "$WORK/built/"*-none-any.whl > /dev/null 2>&1; then
      echo "gpu_wheelhouse.sh: $name did not build into a pure-Python wheel" >&2
      exit 1
    fi
    mv "$WORK/built/"*.whl "$DEST/"
  done
}

for version in "${VERSIONS[@]}"; do
  resolve "$version"
  # The pins to carry: name==version, one a line; the rest go to the manifest as expected on the GPU.
  "$PY" - "$WORK/report-$version.json" "$WORK" "$version" "$GPU_IMAGE" "$TORCH_STACK" <<'EOF'
import fnmatch, json, re, sys
report, work, version, image, stack = sys.argv[1:]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
image, stack = set(image.split()), stack.split()
keep, skip = [], []
for item in json.load(open(report))["install"]:
    name, ver = norm(item["metadata"]["name"]), item["metadata"]["version"]
    pure = item["download_info"]["url"].endswith("-none-any.whl")
    carried = not any(fnmatch.fnmatch(name, p) for p in stack) and (pure or name not in image)
    (keep if carried else skip).append(f"{name}=={ver}")
open(f"{work}/keep-{version}.txt", "w").write("\n".join(sorted(keep)) + "\n")
open(f"{work}/skip-{version}.txt", "w").write("\n".join(sorted(skip)) + "\n")
EOF
  # Source-only deps were built above and lie in $DEST already.
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
    "${PLATFORMS[@]}" --find-links "$DEST" -d "$DEST" -r "$WORK/keep-$version.txt" 2> >(grep -v "is ignored" >&2)
done

{
  echo "# build/gpu-wheelhouse: made by scripts/gpu_wheelhouse.sh on $(date -u +%F) for Python ${VERSIONS[*]}"
  echo "# Not carried, expected on the GPU machine (the torch stack, and binaries the image holds):"
  cat "$WORK"/skip-*.txt | sort -u | sed 's/^/#   /'
} > "$DEST/MANIFEST.txt"
cp "$WORK/skip-${VERSIONS[0]}.txt" "$DEST/expected-on-gpu.txt"

BYTES=$(du -cb "$DEST"/*.whl | tail -1 | cut -f1)
MIB=$("$PY" -c "print(f'{$BYTES / 2**20:.1f}')")
PURE=$(find "$DEST" -name '*-none-any.whl' | wc -l)
ALL=$(find "$DEST" -name '*.whl' | wc -l)
echo "$DEST: $ALL wheels ($PURE pure Python), $MIB MiB, for Python ${VERSIONS[*]}"
echo "largest:"; find "$DEST" -name '*.whl' -printf '%s %f\n' | sort -rn | head -8 \
  | awk '{printf "  %6.1f MiB  %s\n", $1 / 1048576, $2}'
if [ "$BYTES" -gt $((MAX_MIB * 1048576)) ]; then
  echo "gpu_wheelhouse.sh: $MIB MiB is over the limit of $MAX_MIB MiB" >&2
  exit 1
fi

if "$VERIFY"; then
  # A stand-in for the GPU image: torch (CPU build on local disk), transformers, and the binaries
  # left out of the wheelhouse at the versions resolved for this Python.
  BASE="$WORK/image" GPU_VENV="$WORK/gpu-venv"
  "$("$PY" -c 'import sys; print(sys._base_executable)')" -m venv "$BASE"
  "$BASE/bin/python" -m pip install -q torch==2.13.0 "$(grep ^transformers== "$WORK/skip-$LOCAL_VERSION.txt")"
  grep -vE '^(torch|triton|nvidia-|cuda-|transformers)' "$WORK/skip-$LOCAL_VERSION.txt" \
    | "$BASE/bin/python" -m pip install -q -r /dev/stdin
  PYTHON="$BASE/bin/python" VENV="$GPU_VENV" WHEELHOUSE="$DEST" bash scripts/gpu_run.sh --install-only
  "$GPU_VENV/bin/harness" --help > /dev/null
  [ -d build/gpu-pack ] || "$PY" scripts/gpu_pack.py
  "$GPU_VENV/bin/python" bench/gpu.py --mode jobs --tiny --device cpu --dtype float32 --limit 4 \
    --pack build/gpu-pack --out "$WORK/verify"
  echo "verified: the harness installed from $DEST alone and ran a tiny eval"
fi
