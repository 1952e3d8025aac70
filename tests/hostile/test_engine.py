"""Hostile input for the engine and the command line, through the real CLI: a model whose window is
shorter than a task's budget, few-shot pools too small, broken model configs, data cut inside a
character, an unknown hub id offline, a folder as a report file, unknown groups, and an unexpected
error. Each must exit with its code and a message naming what to fix, never a traceback, and
leave the database as it should (no run row for an input checked before the model loads)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_shared_data, run_harness

COPA = "kobest_copa"
GAOKAO = "gaokao_2010-2022_history_mcqs"
FLORES = "flores_eng_Latn-lin_Latn"


def db_file(tmp_path: Path) -> Path:
    return tmp_path / "results.db"


def runs(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """(id, status, error) of every stored run; none when the database was never created."""
    if not db_file(tmp_path).exists():
        return []
    with sqlite3.connect(db_file(tmp_path)) as conn:
        return list(conn.execute("SELECT id, status, error FROM runs"))


def results(tmp_path: Path, run_id: str) -> list[tuple[str, str, str, str]]:
    """(task, metric, signature, note) of a run's stored results."""
    with sqlite3.connect(db_file(tmp_path)) as conn:
        return list(
            conn.execute("SELECT task, metric, signature, note FROM task_results WHERE run_id = ?", (run_id,))
        )


def clean_failure(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr[-3000:])


def with_window(tiny_model: Path, folder: Path, positions: int) -> Path:
    """A copy of the tiny model whose config gives it a `positions`-token window."""
    model = shutil.copytree(tiny_model, folder / f"tiny-{positions}")
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = positions
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_a_task_whose_budget_cannot_fit_is_refused_and_the_others_are_kept(
    tiny_model: Path, tmp_path: Path
) -> None:
    data = need_shared_data()
    tasks = f"{COPA},{GAOKAO},{FLORES}"
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        tasks,
        "--data-dir",
        str(data),
        "--limit",
        "2",
        "--json",
    )
    # GAOKAO-Bench's 1024-token budget is its protocol: refused by name, not cut.
    clean_failure(result, 2, f"refused {GAOKAO}", "1024-token window", "stored as partial")
    run_id = json.loads(result.stdout)["run_id"]
    [(stored_id, status, error)] = runs(tmp_path)
    assert (stored_id, status) == (run_id, "partial")
    assert error is not None and GAOKAO in error
    stored = results(tmp_path, run_id)
    assert {task for task, *_ in stored} == {COPA, FLORES}
    # FLORES's 256 new tokens fit beside its prompts in 1024 positions: run as declared, nothing cut.
    flores = [(sig, note) for task, metric, sig, note in stored if task == FLORES and metric == "chrf++"]
    assert flores and all("max_gen_toks" not in sig and "cut" not in note for sig, note in flores)


def test_a_translation_budget_is_cut_to_the_window_and_recorded(tiny_model: Path, tmp_path: Path) -> None:
    """A 300-token window cannot hold FLORES's 256 new tokens beside a prompt: the budget is cut,
    recorded in the signature and the note, and the run is complete. Run outside a git checkout:
    lm-eval's `git describe` must not print `fatal: not a git repository`."""
    data = need_shared_data()
    model = with_window(tiny_model, tmp_path, 300)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cache = tmp_path / "responses.sqlite"
    env = os.environ | {"PYTHONPATH": str(ROOT), "HARNESS_RESPONSE_CACHE": str(cache)}
    args = [
        "eval",
        "--model",
        str(model),
        "--tasks",
        FLORES,
        "--data-dir",
        str(data),
        "--limit",
        "2",
        "--json",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, env=env, cwd=outside
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "fatal" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    run_id = json.loads(result.stdout)["run_id"]
    assert [status for _, status, _ in runs(tmp_path)] == ["complete"]
    chrf = [(sig, note) for task, metric, sig, note in results(tmp_path, run_id) if metric == "chrf++"]
    assert len(chrf) == 1
    signature, note = chrf[0]
    assert "max_gen_toks:" in signature and "-cut-from-256" in signature
    assert "cut from 256 to" in note and "300-token window" in note
    cut = int(signature.split("max_gen_toks:")[1].split("-")[0])
    assert 0 < cut < 256
    with sqlite3.connect(cache) as conn:  # what the model was asked: the cut budget
        rows = conn.execute("SELECT request FROM responses WHERE kind = 'generate_until'").fetchall()
    asked = [json.loads(request)[1] for (request,) in rows]
    assert len(asked) == 2 and all(kwargs["max_gen_toks"] == cut for kwargs in asked)


def test_a_few_shot_pool_too_small_is_an_error_before_any_run(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "ceval_computer_network",
        "--num-fewshot", "6", "--data-dir", str(data), "--limit", "1",
    )  # fmt: skip
    clean_failure(result, 2, "--num-fewshot 6", "ceval_computer_network has 5", "dev split")
    assert runs(tmp_path) == []


def test_tasks_show_refuses_more_shots_than_the_pool() -> None:
    data = need_shared_data()
    result = run_harness("tasks", "show", COPA, "--num-fewshot", "100000", "--data-dir", str(data))
    clean_failure(result, 2, "--num-fewshot 100000", f"{COPA} has", "train split")


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [("cut", "not a valid JSON file"), ("big", "hidden_size")],
)
def test_a_broken_model_config_is_an_error_before_any_run(
    tiny_model: Path, tmp_path: Path, damage: str, fragment: str
) -> None:
    data = need_shared_data()
    model = shutil.copytree(tiny_model, tmp_path / "broken")
    config_path = model / "config.json"
    text = config_path.read_text(encoding="utf-8")
    if damage == "cut":
        config_path.write_text(text[: len(text) // 2], encoding="utf-8")
    else:
        config_path.write_text(json.dumps(json.loads(text) | {"hidden_size": "big"}), encoding="utf-8")
    result = run_harness(
        "eval", "--model", str(model), "--tasks", COPA, "--data-dir", str(data), "--limit", "1"
    )
    clean_failure(result, 2, f"--model {model}", str(config_path), fragment)
    assert runs(tmp_path) == []


def copa_copy(tmp_path: Path, data: Path, cut_at: bytes) -> Path:
    """A copy of the KoBEST data whose COPA test file ends inside line 3, just after the first byte
    of `cut_at` (a multi-byte character's lead byte, or an ASCII quote)."""
    root = tmp_path / "data"
    shutil.copytree(data / "kobest", root / "kobest")
    path = root / "kobest" / "copa" / "test.jsonl"
    lines = path.read_bytes().split(b"\n")
    line = lines[2]
    index = next(i for i in range(len(line)) if line[i : i + 1] == cut_at[:1] and i > 0)
    path.write_bytes(b"\n".join([*lines[:2], line[: index + 1]]))
    return root


def test_data_cut_inside_a_character_is_named_before_any_run(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    # the first non-ASCII byte of line 3 (Korean: a three-byte character)
    line = (data / "kobest" / "copa" / "test.jsonl").read_bytes().split(b"\n")[2]
    lead = next(bytes([b]) for b in line if b >= 0xC0)
    root = copa_copy(tmp_path, data, lead)
    args = ["eval", "--model", str(tiny_model), "--tasks", COPA, "--data-dir", str(root), "--limit", "1"]
    for _ in range(2):  # tried again, still no run row
        result = run_harness(*args)
        clean_failure(result, 2, "copa/test.jsonl:3: not valid UTF-8")
    assert runs(tmp_path) == []
    ascii_cut = copa_copy(tmp_path / "ascii", data, b'"')
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", COPA, "--data-dir", str(ascii_cut), "--limit", "1"
    )
    clean_failure(result, 2, "copa/test.jsonl:3: not valid JSON")
    assert runs(tmp_path) == []


def test_an_unknown_hub_id_offline_says_a_local_folder_is_needed(tmp_path: Path) -> None:
    data = need_shared_data()
    result = run_harness("eval", "--model", "fakeorg/fakemodel", "--tasks", COPA, "--data-dir", str(data))
    # HF_HUB_OFFLINE=1 (tests/conftest.py): the hub cannot be asked, an environment failure
    clean_failure(result, 1, "--model fakeorg/fakemodel", "hub is unreachable", "local checkpoint folder")
    assert runs(tmp_path) == []


def test_report_refuses_a_folder_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_harness("report", "any-run", "--out", str(folder))
    clean_failure(result, 2, f"--out {folder}: is a folder", "report.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert list(folder.iterdir()) == []
    result = run_harness("report", "any-run", "--out", str(tmp_path / "new") + "/")
    clean_failure(result, 2, "is a folder")
    assert not (tmp_path / "new").exists()


def test_an_unknown_group_gets_suggestions() -> None:
    result = run_harness("tasks", "list", "--group", "flores_lni")
    clean_failure(result, 2, "unknown group 'flores_lni'", "did you mean", "flores_lin")


def test_a_group_whose_data_is_missing_names_the_data_and_the_fetch(tmp_path: Path) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    result = run_harness("tasks", "list", "--group", "gaokao", "--data-dir", str(empty))
    clean_failure(
        result, 2, "--group gaokao", "gaokao_bench data not found", "harness data fetch gaokao_bench"
    )
    assert "unknown group" not in result.stderr


BOOM = """
import sys
import tasks.registry

def boom(name):
    raise RuntimeError("registry exploded")

tasks.registry.family = boom
sys.argv = ["harness", *sys.argv[1:]]
from harness.cli import main

main()
"""


@pytest.mark.parametrize("verbose", ["", "flag", "env"])
def test_an_unexpected_error_is_one_paragraph_unless_verbose(verbose: str) -> None:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    args = ["tasks", "list"]
    if verbose == "flag":
        args = ["--verbose", *args]
    if verbose == "env":
        env["HARNESS_VERBOSE"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", BOOM, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert result.returncode == 1, result.stderr
    if verbose:
        assert "Traceback" in result.stderr and "registry exploded" in result.stderr
    else:
        clean_failure(result, 1, "unexpected RuntimeError: registry exploded", "--verbose")
