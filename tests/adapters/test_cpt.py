"""`cpt` on real Lingala text lowers the loss on held-out Lingala; checkpoints are registered."""

import hashlib
import json
from pathlib import Path

import torch

from tests.adapters.helpers import checkpoints
from tests.conftest import need_shared_data, run_harness


def devtest_loss(folder: Path, lines: list[str]) -> float:
    """Mean next-token loss over the sentences, each on its own (independent of the recipe code)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for line in lines:
            ids = torch.tensor([tokenizer(line, add_special_tokens=False)["input_ids"]])
            n = ids.shape[1] - 1
            total += model(input_ids=ids, labels=ids).loss.item() * n
            count += n
    return total / count


def test_cpt_lowers_lingala_loss_and_registers_both_checkpoints(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data() / "flores200"
    recipe = tmp_path / "cpt.yaml"
    recipe.write_text(
        f"""\
recipe: cpt
base_model: {tiny_model}
model_name: tiny-lin-cpt
seed: 3
data:
  - kind: text
    paths: ["{data}/dev/lin_Latn.dev"]
    weight: 1
training:
  max_steps: 20
  save_every: 10
  learning_rate: 5.0e-3
  lr_scheduler: constant
  batch_size: 8
  seq_length: 64
  logging_steps: 10
""",
        encoding="utf-8",
    )
    devtest = (data / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()[:100]
    before = devtest_loss(tiny_model, devtest)
    out = tmp_path / "tiny-lin-cpt"
    result = run_harness("adapt", str(recipe), "--output", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    after = devtest_loss(out / "checkpoint-20", devtest)
    assert after < before - 0.5, (before, after)

    log = " ".join(result.stderr.split())
    for step in (10, 20):
        assert (
            f"saved {out}/checkpoint-{step} — tiny-lin-cpt step {step}, {step * 8 * 64:,} tokens seen" in log
        )
    registered = {c["source"]: c for c in checkpoints("tiny-lin-cpt")}
    first, last = registered[str(out / "checkpoint-10")], registered[str(out / "checkpoint-20")]
    assert (first["step"], first["tokens_seen"], first["parent"]) == (10, 10 * 8 * 64, str(tiny_model))
    assert (last["step"], last["tokens_seen"]) == (20, 20 * 8 * 64)
    assert last["parent"] == str(out / "checkpoint-10")
    lin = data / "dev" / "lin_Latn.dev"
    (source,) = last["recipe"]["data"]
    assert source["files"] == {str(lin): hashlib.sha256(lin.read_bytes()).hexdigest()}
    assert source["documents"] == 997 and source["epochs"] == 1.0
    assert last["recipe"]["seed"] == 3
    assert last["recipe"]["sha256"] == hashlib.sha256(recipe.read_bytes()).hexdigest()
    manifest = json.loads((out / "checkpoint-20" / "harness_manifest.json").read_text())
    assert manifest["recipe"] == last["recipe"] and manifest["step"] == 20
