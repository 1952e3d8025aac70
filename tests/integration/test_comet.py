"""COMET for the MT tasks, end to end with real unbabel-comet in its own environment (`.venv-comet`,
scripts/setup_comet.sh) and a tiny COMET checkpoint built offline (tests/tiny_comet.py):

- `harness eval` (main environment) on FLORES and an IF-MT terminology task with a tiny random model;
- `.venv-comet/bin/harness rescore RUN --metric comet` over the stored outputs, equal to the real
  `comet-score` CLI on the same (source, hypothesis, reference) files, segment by segment;
- a second rescore replaces the values (no new rows); a run stored before samples carried their
  source gets it back from the data, checked by doc_hash;
- `.venv-comet/bin/harness eval --comet-model` (in-process) gives the same scores for the same outputs.

The tiny Llama is built with the COMET environment's transformers 4.x: transformers 5 (main
environment) reads its files, but 4.x cannot read a tokenizer saved by 5. Without `.venv-comet` the
tests that need it are skipped, except when `CI` is set (as tests/pg.py does for PostgreSQL).
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.conftest import ROOT, need_shared_data, run_harness

COMET_VENV = ROOT / ".venv-comet"
FLORES_TASK = "flores_eng_Latn-lin_Latn"
TERMS_TASK = "ifmt_terms_en-de_iate"
TASKS = (FLORES_TASK, TERMS_TASK)
TOL = 1e-6


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"COMET tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"COMET tests skipped: {reason} (bash scripts/setup_comet.sh)")


def need_comet_env() -> Path:
    for tool in ("python", "harness", "comet-score"):
        if not (COMET_VENV / "bin" / tool).exists():
            _unavailable(f"{COMET_VENV / 'bin' / tool} is missing")
    return COMET_VENV / "bin"


def _run(argv: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}\n{result.stderr[-4000:]}"
    return result


def _db_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _samples(url: str, run_id: str, task: str) -> list[dict[str, Any]]:
    with sqlite3.connect(_db_file(url)) as conn:
        rows = conn.execute(
            "select doc_id, doc_hash, output, target, scores from samples where run_id = ? and task = ? "
            "order by doc_id",
            (run_id, task),
        ).fetchall()
    return [
        {"doc_id": r[0], "doc_hash": r[1], "output": r[2], "target": r[3], "scores": json.loads(r[4])}
        for r in rows
    ]


def _comet_rows(url: str, run_id: str) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(_db_file(url)) as conn:
        rows = conn.execute(
            "select task, value, stderr, n, signature from task_results "
            "where run_id = ? and metric = 'comet'",
            (run_id,),
        ).fetchall()
    return {r[0]: {"value": r[1], "stderr": r[2], "n": r[3], "signature": r[4]} for r in rows}


def _counts(url: str) -> tuple[int, int]:
    with sqlite3.connect(_db_file(url)) as conn:
        results = conn.execute("select count(*) from task_results").fetchone()[0]
        samples = conn.execute("select count(*) from samples").fetchone()[0]
    return results, samples


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> dict[str, Any]:
    """A tiny COMET checkpoint, a run of the tiny model on FLORES and IF-MT terms (main environment,
    --limit 5), and its first `rescore --metric comet` (COMET environment)."""
    data = need_shared_data()
    bin_dir = need_comet_env()
    work = tmp_path_factory.mktemp("comet")
    db_url = f"sqlite:///{work / 'results.db'}"
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_DATA_DIR"}
    env.update(
        HARNESS_CACHE=str(session_cache),
        HARNESS_DB=db_url,
        SACREBLEU=str(work / "sacrebleu"),  # no spBLEU model: spBLEU is reported as not computed
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        CUDA_VISIBLE_DEVICES="",  # COMET on the CPU, as `comet-score --gpus 0` below
    )
    build = (
        "import sys; from pathlib import Path; from tests.tiny_model import build_tiny_model; "
        "from tests.tiny_comet import build_tiny_comet; build_tiny_model(Path(sys.argv[1])); "
        "print(build_tiny_comet(Path(sys.argv[2])))"
    )
    made = _ok(
        _run([str(bin_dir / "python"), "-c", build, str(work / "tiny-llama"), str(work / "tiny-comet")], env)
    )
    checkpoint = Path(made.stdout.strip().splitlines()[-1])
    assert checkpoint == work / "tiny-comet" / "checkpoints" / "model.ckpt" and checkpoint.is_file()
    model = work / "tiny-llama"
    eval_args = ["--model", str(model), "--tasks", ",".join(TASKS), "--limit", "5", "--data-dir", str(data)]
    evaluated = run_harness("eval", *eval_args, "--db", db_url, "--json", check=False, timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr[-4000:]
    run_id = json.loads(evaluated.stdout)["run_id"]
    rescored = _ok(
        _run(
            [str(bin_dir / "harness"), "rescore", run_id[:8], "--metric", "comet"]
            + ["--comet-model", str(checkpoint), "--db", db_url, "--json"],
            env,
        )
    )
    return {
        "bin": bin_dir,
        "env": env,
        "work": work,
        "db": db_url,
        "data": data,
        "model": model,
        "checkpoint": checkpoint,
        "eval_args": eval_args,
        "run_id": run_id,
        "rescore": json.loads(rescored.stdout),
        "rescore_stderr": rescored.stderr,
    }


def test_rescore_equals_comet_score(scored: dict[str, Any]) -> None:
    run_id, db_url = scored["run_id"], scored["db"]
    payload = scored["rescore"]
    assert payload["run_id"] == run_id and payload["metric"] == "comet" and payload["recovered_sources"] == {}
    assert [r["task"] for r in payload["results"]] == sorted(TASKS)
    assert "[1/2] flores_eng_Latn-lin_Latn: comet of 5 stored outputs" in scored["rescore_stderr"]
    rows = _comet_rows(db_url, run_id)
    assert set(rows) == set(TASKS)
    digest = hashlib.sha256(scored["checkpoint"].read_bytes()).hexdigest()
    for task in TASKS:
        samples = _samples(db_url, run_id, task)
        assert len(samples) == 5 and rows[task]["n"] == 5
        assert rows[task]["signature"] == (
            f"model:tiny-comet|sha256:{digest[:12]}|unbabel-comet:2.2.7|precision:fp16|batch_size:16"
            "|scale:comet"
        )
        # The same triples through the real comet-score CLI (one line per segment).
        files = {}
        for part, column in (("src", [s["scores"]["source"] for s in samples]),) + tuple(
            (p, [s[key] for s in samples]) for p, key in (("hyp", "output"), ("ref", "target"))
        ):
            assert all("\n" not in x and "\r" not in x for x in column), f"{task} {part}: multi-line segment"
            files[part] = scored["work"] / f"{task}.{part}"
            files[part].write_text("".join(f"{x}\n" for x in column), encoding="utf-8", newline="\n")
        out = scored["work"] / f"{task}.json"
        printed = _ok(
            _run(
                [str(scored["bin"] / "comet-score"), "-s", str(files["src"]), "-t", str(files["hyp"])]
                + ["-r", str(files["ref"]), "--model", str(scored["checkpoint"]), "--gpus", "0"]
                + ["--batch_size", "16", "--to_json", str(out)],
                scored["env"],
            )
        ).stdout
        theirs = [seg["COMET"] for seg in json.loads(out.read_text(encoding="utf-8"))[str(files["hyp"])]]
        ours = [s["scores"]["comet"] for s in samples]
        assert ours == pytest.approx(theirs, abs=TOL)
        assert len(set(ours)) > 1, "the tiny checkpoint must tell segments apart"
        assert rows[task]["value"] == pytest.approx(sum(theirs) / len(theirs), abs=TOL)
        system = re.search(rf"{re.escape(str(files['hyp']))}\tscore: ([0-9.-]+)\n", printed)
        assert system is not None, printed
        assert abs(rows[task]["value"] - float(system.group(1))) <= 5e-5  # comet-score prints 4 decimals
        assert 0 < rows[task]["stderr"] < 1


def test_rescore_again_replaces_and_recovers_sources_of_older_runs(scored: dict[str, Any]) -> None:
    """Rescoring a run again replaces its COMET values (same values, no new row); a run stored before
    FLORES samples carried their source gets it from the data the run read, accepted only where the
    rebuilt document hashes to the stored doc_hash."""
    copy = scored["work"] / "older.db"
    shutil.copy(_db_file(scored["db"]), copy)
    url, run_id = f"sqlite:///{copy}", scored["run_id"]
    original = {t: _samples(scored["db"], run_id, t) for t in TASKS}

    def strip_sources(conn: sqlite3.Connection) -> None:
        for s in original[FLORES_TASK]:
            scores = {k: v for k, v in s["scores"].items() if k not in ("source", "comet")}
            conn.execute(
                "update samples set scores = ? where run_id = ? and task = ? and doc_id = ?",
                (json.dumps(scores), run_id, FLORES_TASK, s["doc_id"]),
            )

    with sqlite3.connect(copy) as conn:
        strip_sources(conn)
    counts = _counts(url)
    argv = [str(scored["bin"] / "harness"), "rescore", run_id, "--metric", "comet", "--db", url]
    folder = str(scored["checkpoint"].parents[1])  # the model folder holding checkpoints/model.ckpt
    payload = json.loads(_ok(_run([*argv, "--comet-model", folder, "--json"], scored["env"])).stdout)
    assert payload["recovered_sources"] == {FLORES_TASK: 5}
    assert payload["results"] == scored["rescore"]["results"]
    assert _counts(url) == counts
    assert _comet_rows(url, run_id) == _comet_rows(scored["db"], run_id)
    assert {t: _samples(url, run_id, t) for t in TASKS} == original

    # A document whose data no longer matches fails loudly, naming the task and the document.
    with sqlite3.connect(copy) as conn:
        strip_sources(conn)
        conn.execute(
            "update samples set doc_hash = ? where run_id = ? and task = ? and doc_id = 2",
            ("0" * 64, run_id, FLORES_TASK),
        )
    failed = _run([*argv, "--comet-model", str(scored["checkpoint"]), "--tasks", FLORES_TASK], scored["env"])
    assert failed.returncode == 2, failed.stderr[-2000:]
    assert f"{FLORES_TASK} doc 2: the data under" in " ".join(failed.stderr.split())


def test_in_process_comet_equals_rescore(scored: dict[str, Any]) -> None:
    """`harness eval --comet-model` in the COMET environment: the same outputs (from the response
    cache the first run filled) get the same COMET scores as the rescore, through the same code."""
    argv = [str(scored["bin"] / "harness"), "eval", *scored["eval_args"], "--db", scored["db"]]
    argv += ["--comet-model", str(scored["checkpoint"]), "--json"]
    payload = json.loads(_ok(_run(argv, scored["env"])).stdout)
    run_id = payload["run_id"]
    assert run_id != scored["run_id"]
    reported = {r["task"]: r for r in payload["results"] if r["metric"] == "comet"}
    rescored = {r["task"]: r for r in scored["rescore"]["results"]}
    assert set(reported) == set(TASKS)
    for task in TASKS:
        mine, first = _samples(scored["db"], run_id, task), _samples(scored["db"], scored["run_id"], task)
        assert [s["output"] for s in mine] == [s["output"] for s in first]
        assert [s["scores"]["comet"] for s in mine] == pytest.approx(
            [s["scores"]["comet"] for s in first], abs=TOL
        )
        assert reported[task]["value"] == pytest.approx(rescored[task]["value"], abs=TOL)
        assert reported[task]["signature"] == rescored[task]["signature"]
    with sqlite3.connect(_db_file(scored["db"])) as conn:
        fingerprint = json.loads(
            conn.execute("select fingerprint from runs where id = ?", (run_id,)).fetchone()[0]
        )
    digest = hashlib.sha256(scored["checkpoint"].read_bytes()).hexdigest()
    assert fingerprint["comet"]["checkpoint_sha256"] == digest
    assert fingerprint["comet"]["unbabel_comet"] == "2.2.7"


def _store_run(db_url: str, task: str) -> str:
    """A complete run holding one task with two samples, written through the harness's own store."""
    from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
    from db import store
    from db.session import make_engine, make_session_factory

    factory = make_session_factory(make_engine(db_url))
    run_id = store.start_run(factory, "stored-model", "/models/stored", "local", {"data": "default"})
    samples = [SampleRecord(i, f"h{i}", "p", "reference", "output", {"acc": 1.0}) for i in range(2)]
    metrics = [MetricResult(task, "acc", 1.0, 0.0, 2, "sig")]
    meta = TaskMeta("synthetic", None, "acc", "acc", "")
    store.store_task(factory, run_id, TaskOutcome(task, "v1", "h" * 64, metrics, samples), meta)
    store.finish_run(factory, run_id, "complete")
    return run_id


def test_rescore_errors(tmp_path: Path) -> None:
    db_url = os.environ["HARNESS_DB"]
    xnli = _store_run(db_url, "xnli_en")
    flores = _store_run(db_url, FLORES_TASK)
    cases = [
        (
            ["rescore", xnli, "--metric", "bleurt", "--comet-model", "x"],
            "--metric bleurt: unknown; rescore computes comet",
        ),
        (["rescore", "deadbeef", "--metric", "comet", "--comet-model", "x"], "no run 'deadbeef'"),
        (["rescore", xnli[:8], "--metric", "comet", "--comet-model", "x"], f"run {xnli} has no MT task"),
        (["rescore", flores, "--metric", "comet"], "--metric comet needs --comet-model"),
        (
            ["rescore", flores, "--metric", "comet", "--comet-model", "x", "--tasks", "flores_lin"],
            "--tasks: flores_lin not among",
        ),
    ]
    for args, message in cases:
        result = run_harness(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in " ".join(result.stderr.split()), (args, result.stderr)


def test_comet_needs_its_environment(tmp_path: Path) -> None:
    """In an environment without unbabel-comet (the main one), --comet-model fails with the way out,
    before any model is loaded (here the model does not even exist)."""
    import importlib.util

    if importlib.util.find_spec("comet") is not None:
        pytest.skip("unbabel-comet is importable here; this checks an environment without it")
    flores = _store_run(os.environ["HARNESS_DB"], FLORES_TASK)
    hint = "unbabel-comet is not installed in this environment"
    result = run_harness("rescore", flores, "--metric", "comet", "--comet-model", str(tmp_path / "ckpt"))
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and hint in message and "scripts/setup_comet.sh" in message
    args = [
        "--model",
        str(tmp_path / "no-model"),
        "--tasks",
        FLORES_TASK,
        "--data-dir",
        str(need_shared_data()),
    ]
    result = run_harness("eval", *args, "--comet-model", str(tmp_path / "ckpt"))
    assert result.returncode == 2 and hint in " ".join(result.stderr.split())
    assert ".venv-comet/bin/harness rescore RUN --metric comet" in " ".join(result.stderr.split())


def test_missing_comet_checkpoint_names_the_path(tmp_path: Path) -> None:
    bin_dir = need_comet_env()
    flores = _store_run(os.environ["HARNESS_DB"], FLORES_TASK)
    missing = tmp_path / "nowhere" / "checkpoints" / "model.ckpt"
    result = _run(
        [str(bin_dir / "harness"), "rescore", flores, "--metric", "comet", "--comet-model", str(missing)],
        dict(os.environ),
    )
    assert result.returncode == 2
    assert f"--comet-model {missing}: no such checkpoint" in " ".join(result.stderr.split())
