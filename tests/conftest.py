"""Shared fixtures: an isolated cache, database and sacrebleu folder per test; a tiny model per session."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
HARNESS = [sys.executable, "-m", "harness.cli"]


def need_shared_data() -> Path:
    if not (SHARED_DATA / "flores200" / "devtest").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("harness-cache")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, session_cache: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE", str(session_cache))
    monkeypatch.setenv("HARNESS_DB", f"sqlite:///{tmp_path / 'results.db'}")
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    # spBLEU's model is absent unless a test puts one there.
    monkeypatch.setenv("SACREBLEU", str(tmp_path / "sacrebleu"))
    monkeypatch.setattr("sacrebleu.tokenizers.tokenizer_spm.SACREBLEU_DIR", str(tmp_path / "sacrebleu"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama")


def run_harness(*args: str, check: bool = False, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    result = subprocess.run(
        [*HARNESS, *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy(), cwd=ROOT
    )
    if check and result.returncode != 0:
        raise AssertionError(f"harness {' '.join(args)} exited {result.returncode}\n{result.stderr[-4000:]}")
    return result
