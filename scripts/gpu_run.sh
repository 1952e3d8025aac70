#!/usr/bin/env bash
# The GPU check in one command, on a CUDA machine that has torch and transformers but no package
# registry (docs/performance.md, "GPU", says how to prepare and start it):
#   bash scripts/gpu_run.sh                 install offline, run bench/gpu.py, results under $OUT
#   bash scripts/gpu_run.sh --install-only  only the install (scripts/gpu_wheelhouse.sh --verify uses it)
# Needs build/gpu-wheelhouse (scripts/gpu_wheelhouse.sh) and build/gpu-pack (scripts/gpu_pack.py).
# Writes to $OUT (default build/gpu-out): install.log; kobest.txt/.json (KoBEST BoolQ test, whole
# jobs, median of 3); mcq.txt (synthetic multiple-choice throughput); flores.txt/.json (FLORES
# eng->lin devtest, whole jobs, once); logs.tar.gz (every job's stderr). Each result is copied there
# as soon as it exists, so a run cut short keeps what finished. STAGES (default "kobest mcq flores")
# picks stages, e.g. for a rerun of what did not finish.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-/tmp/harness-gpu-venv}
WHEELHOUSE=${WHEELHOUSE:-build/gpu-wheelhouse}
PACK=${PACK:-build/gpu-pack}
OUT=${OUT:-build/gpu-out}
WORK=${WORK:-/tmp/harness-gpu-work}
BATCH=${BATCH:-128}
STAGES=${STAGES:-kobest mcq flores}
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1

install() {
  echo "image: $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  "$PY" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
for name in ["torch", "transformers", "tokenizers", "huggingface_hub", "numpy", "pyarrow", "pandas", "scikit-learn"]:
    try:
        print(f"  {name} {version(name)}")
    except PackageNotFoundError:
        print(f"  {name} missing")
EOF
  rm -rf "$VENV"
  "$PY" -m venv --system-site-packages "$VENV"
  # The image's python3 may itself be a venv (/opt/torch/.venv on the lent H200): the new venv's
  # system site is then that venv's base interpreter's, so the image's packages join through a .pth.
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$PY" -c 'import site; print("\n".join(site.getsitepackages()))' > "$site/gpu-image.pth"
  "$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELHOUSE" -e .
  "$VENV/bin/harness" --version
}

if [ "${1:-}" = --install-only ]; then
  install
  exit 0
fi

install 2>&1 | tee "$OUT/install.log"
"$VENV/bin/python" -c 'import torch; assert torch.cuda.is_available(), "no CUDA device"; print(torch.cuda.get_device_name(0))'
trap 'tar czf "$OUT/logs.tar.gz" -C "$WORK" --exclude checkpoint --exclude harness-cache --exclude "*.db" \
  --exclude "lm-eval-*.json" . || true' EXIT

run_jobs() {  # $1: name, $2: task, $3: repeats
  "$VENV/bin/python" bench/gpu.py --mode jobs --pack "$PACK" --tasks "$2" --repeat "$3" \
    --batch-size "$BATCH" --dtype bfloat16 --device cuda --out "$WORK/$1"
  cp "$WORK/$1/jobs.txt" "$OUT/$1.txt"
  cp "$WORK/$1/jobs.json" "$OUT/$1.json"
}
for stage in $STAGES; do
  case "$stage" in
    kobest) run_jobs kobest kobest_boolq 3 ;;
    mcq) "$VENV/bin/python" bench/gpu.py --mode mcq --dtype bfloat16 --batch-size 32 2>&1 | tee "$OUT/mcq.txt" ;;
    flores) run_jobs flores flores_eng_Latn-lin_Latn 1 ;;
    *) echo "gpu_run.sh: unknown stage $stage" >&2; exit 2 ;;
  esac
done
echo "gpu_run.sh: done; results in $OUT"
