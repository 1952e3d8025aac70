#!/usr/bin/env bash
# Set up .venv-comet: unbabel-comet (COMET) beside the harness, for `harness rescore --metric comet`
# and `harness eval --comet-model PATH`. unbabel-comet 2.2.7 pins transformers<5, numpy<2 and
# huggingface-hub<1 (and its torchmetrics imports pkg_resources, gone from setuptools 81), which
# the main .venv (transformers 5, numpy 2) cannot hold, so COMET gets an environment of its own.
#   bash scripts/setup_comet.sh        CPU machine: torch 2.13.0 CPU build (no CUDA download)
#   TORCH_INDEX=https://download.pytorch.org/whl/cu128 bash scripts/setup_comet.sh
#                                      GPU machine: a CUDA build from PyTorch's index
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv-comet}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
COMET_SPEC=${COMET_SPEC:-unbabel-comet==2.2.7}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# Every install names setuptools<81 (COMET's torchmetrics 0.10 imports pkg_resources), or torch's
# own setuptools>=77 requirement would lift the venv's bundled setuptools to the newest one.
SETUPTOOLS="setuptools>=77,<81"
"$VENV/bin/pip" install -q "$SETUPTOOLS"
if [ -n "${TORCH_INDEX:-}" ]; then
  "$VENV/bin/pip" install -q "$SETUPTOOLS" "$TORCH_SPEC" --index-url "$TORCH_INDEX"
else
  "$VENV/bin/pip" install -q "$SETUPTOOLS" "$TORCH_SPEC"
fi
# One resolve for both, so pip picks the versions that satisfy the harness and COMET together
# (transformers 4.x, numpy 1.x, huggingface-hub 0.x); torch is already there and is kept.
# Two packages need a cap the resolver cannot see: pyarrow (through datasets) declares no numpy
# requirement, but 23 and later refuse numpy 1.x at import; sentencepiece 0.2.1's protobuf module
# needs protobuf 5, which COMET caps below 5 (transformers needs it to convert an XLM-R tokenizer
# that comes without tokenizer.json), while 0.2.0's works with protobuf 4.
"$VENV/bin/pip" install -q "$SETUPTOOLS" "pyarrow<23" "sentencepiece<0.2.1" "$COMET_SPEC" -e .
"$VENV/bin/harness" --version
"$VENV/bin/harness" --help > /dev/null
"$VENV/bin/comet-score" --help > /dev/null
"$VENV/bin/python" -W ignore -c "import comet, datasets, lm_eval, numpy, transformers
from sentencepiece import sentencepiece_model_pb2
print('unbabel-comet', comet.__version__, 'transformers', transformers.__version__, 'numpy', numpy.__version__)"
