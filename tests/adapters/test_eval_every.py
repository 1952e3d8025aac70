"""A recipe with eval_every scores each such checkpoint through harness.engine.run.evaluate as it is
saved, under `accelerate launch` with the CPU config (the same file a GPU cluster runs)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.adapters.helpers import checkpoints
from tests.conftest import ROOT, need_shared_data


def test_eval_every_under_accelerate_launch(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    recipe = tmp_path / "cpt.yaml"
    recipe.write_text(
        f"""\
recipe: cpt
base_model: {tiny_model}
data: [{{kind: text, paths: ["{data}/flores200/dev/lin_Latn.dev"], weight: 1}}]
training: {{max_steps: 2, save_every: 1, batch_size: 2, seq_length: 32}}
eval_every: 2
eval_tasks: [flores_eng_Latn-lin_Latn]
eval_limit: 2
eval_batch_size: 2
eval_data_dir: {data}
""",
        encoding="utf-8",
    )
    out = tmp_path / "tiny-eval"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file"]
    command += [str(ROOT / "adapters" / "configs" / "cpu.yaml"), "-m", "harness.cli"]
    command += ["adapt", str(recipe), "--output", str(out)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=os.environ.copy(), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    registered = {c["source"]: c for c in checkpoints("tiny-eval")}
    assert registered[str(out / "checkpoint-1")]["runs"] == []
    assert registered[str(out / "checkpoint-2")]["runs"] == ["complete"]
    assert "evaluated checkpoint-2: run " in result.stderr
    assert "flores_eng_Latn-lin_Latn chrf++" in " ".join(result.stderr.split())
