#!/usr/bin/env bash
# The harness gating itself: evaluate a fixed model on a fixed task set and compare with the
# baseline committed in .ci/. Any changed output fails (--strict), so a harness change that
# shifts scores fails CI until the baseline is deliberately updated with:
#   bash scripts/ci_gate.sh --update
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=.ci/baseline-smollm2-flores_lin.json
DATA=${HARNESS_DATA_DIR:-../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="sqlite:///$work/gate.db"
.venv/bin/harness eval --model smollm2-135m --tasks flores_lin --limit 10 --batch-size 8 \
  --device cpu --dtype float32 --data-dir "$DATA" --db "$db" > "$work/eval.txt"
if [ "${1:-}" = "--update" ]; then
  .venv/bin/harness results --db "$db" --format json --samples > "$BASELINE"
  echo "wrote $BASELINE"
  exit 0
fi
summary=${GITHUB_STEP_SUMMARY:-$work/summary.md}
status=0
.venv/bin/harness gate --db "$db" --baseline "$BASELINE" --candidate smollm2-135m --strict --format markdown \
  > "$work/gate.md" || status=$?
cat "$work/gate.md" | tee -a "$summary"
exit $status
