"""Independent parity check: `harness eval` against a plain `lm_eval` run that uses no project code.

The plain run reads a JSONL of the same FLORES-200 devtest pairs through lm-eval's `json` builder and
scores with lm-eval's built-in `chrf` (chrF2) and `bleu`; both runs use lm-eval's `hf` model on the
same tiny checkpoint, batch size, device and dtype. Hypotheses, prompts and corpus scores must agree.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.parity_helpers import (
    bleu,
    chrf2,
    compare,
    harness_command,
    harness_results,
    lm_eval_command,
    read_harness,
    read_lm_eval,
    run,
    write_plain_task,
)
from tests.tiny_model import build_tiny_model

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FLORES = DATA / "flores200"
N = 8
BATCH = 4

pytestmark = pytest.mark.skipif(
    not (FLORES / "devtest" / "eng_Latn.devtest").is_file()
    or not (FLORES / "devtest" / "lin_Latn.devtest").is_file(),
    reason=f"FLORES-200 data not found at {FLORES} (needs devtest/eng_Latn.devtest and lin_Latn.devtest)",
)


def test_harness_matches_plain_lm_eval(tmp_path: Path) -> None:
    # Its random weights are wide enough (std 0.3) that outputs differ from document to document.
    model = build_tiny_model(tmp_path / "tiny", seed=0)
    include = write_plain_task(tmp_path / "task", FLORES, N)
    lm_out = tmp_path / "lm_eval_out"
    db_path = tmp_path / "parity.db"
    # Independent processes: run them side by side (lm_eval spends most of its time starting up).
    with ThreadPoolExecutor(max_workers=2) as pool:
        lm_run = pool.submit(
            run, lm_eval_command(str(model), include, lm_out, BATCH, "cpu", "float32"), timeout=300
        )
        our_run = pool.submit(
            run, harness_command(str(model), DATA, db_path, N, BATCH, "cpu", "float32"), timeout=300
        )
        lm_run.result()
        run_id, our_metrics = harness_results(our_run.result().stdout)
    lm_metrics, lm_samples = read_lm_eval(lm_out)
    ours = read_harness(db_path, run_id)

    assert len(lm_samples) == len(ours) == N
    # The comparison is only meaningful if the model's outputs differ between documents.
    assert len({s.output for s in ours}) > 1, [s.output for s in ours]
    result = compare(lm_samples, ours)
    assert not result.prompt_diffs, [(a.prompt, b.prompt) for a, b in zip(lm_samples, ours, strict=True)]
    assert not result.target_diffs
    assert not result.output_diffs, [
        (a.doc_id, a.output, b.output) for a, b in zip(lm_samples, ours, strict=True) if a.output != b.output
    ]

    assert lm_metrics["chrf"] > 0  # not vacuously 0 == 0
    assert lm_metrics["chrf"] == pytest.approx(chrf2(ours), abs=1e-6)
    assert lm_metrics["bleu"] == pytest.approx(bleu(ours), abs=1e-6)
    assert our_metrics["bleu"] == pytest.approx(bleu(ours), abs=1e-6)
