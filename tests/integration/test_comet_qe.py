"""CometKiwi (reference-free QE) and xCOMET (scores and error spans), end to end with real
unbabel-comet in its own environment (`.venv-comet`) and tiny checkpoints of the same model classes
as the hub models, built offline here (tests/tiny_comet.py: `UnifiedMetric` with `input_segments:
[mt, src]` as `Unbabel/wmt22-cometkiwi-da`, `XCOMETMetric` over XLM-R XL as `Unbabel/XCOMET-XL`):

- `harness eval` (main environment) of a tiny random model on English->Lingala and English->French,
  stored in a SQLite database; then `.venv-comet/bin/harness rescore RUN --metric cometkiwi` and
  `--metric xcomet` store scores equal to the real `comet-score` CLI on the same files (no `-r` for
  CometKiwi), segment by segment within 1e-6, and xCOMET's error spans equal to comet-score's;
- CometKiwi scores outputs that have no reference (references blanked: the same scores);
- the Lingala rows carry the language-coverage flag (lin_Latn is not among XLM-R's 100 languages),
  the French rows do not; `harness results` and `harness report` show it;
- clear errors: a checkpoint of the wrong class, the gated hub default offline (names the token).
"""

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need_shared_data, run_harness
from tests.integration.test_comet import _db_file, _ok, _run, _samples, need_comet_env

LINGALA = "flores_eng_Latn-lin_Latn"
FRENCH = "flores_eng_Latn-fra_Latn"
TASKS = (LINGALA, FRENCH)
TOL = 1e-6


def _rows(url: str, run_id: str, metric: str) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(_db_file(url)) as conn:
        rows = conn.execute(
            "select task, value, n, signature, note from task_results where run_id = ? and metric = ?",
            (run_id, metric),
        ).fetchall()
    return {r[0]: {"value": r[1], "n": r[2], "signature": r[3], "note": r[4]} for r in rows}


@pytest.fixture(scope="module")
def qe(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> dict[str, Any]:
    """Tiny CometKiwi and xCOMET checkpoints, a stored run of the tiny model (--limit 4), and its
    rescores with both metrics (COMET environment)."""
    data = need_shared_data()
    bin_dir = need_comet_env()
    work = tmp_path_factory.mktemp("comet-qe")
    db_url = f"sqlite:///{work / 'results.db'}"
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_DATA_DIR"}
    env.update(
        HARNESS_CACHE=str(session_cache),
        HARNESS_DB=db_url,
        SACREBLEU=str(work / "sacrebleu"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        CUDA_VISIBLE_DEVICES="",  # on the CPU, as `comet-score --gpus 0` below
    )
    build = (
        "import sys; from pathlib import Path; from tests.tiny_model import build_tiny_model; "
        "from tests.tiny_comet import build_tiny_cometkiwi, build_tiny_xcomet; "
        "build_tiny_model(Path(sys.argv[1])); print(build_tiny_cometkiwi(Path(sys.argv[2]))); "
        "print(build_tiny_xcomet(Path(sys.argv[3])))"
    )
    argv = [str(bin_dir / "python"), "-c", build, str(work / "tiny-llama")]
    made = _ok(_run([*argv, str(work / "tiny-cometkiwi"), str(work / "tiny-xcomet")], env))
    kiwi, xcomet = (Path(line) for line in made.stdout.strip().splitlines()[-2:])
    assert kiwi == work / "tiny-cometkiwi" / "checkpoints" / "model.ckpt" and kiwi.is_file()
    assert xcomet == work / "tiny-xcomet" / "checkpoints" / "model.ckpt" and xcomet.is_file()
    eval_args = ["--model", str(work / "tiny-llama"), "--tasks", ",".join(TASKS), "--limit", "4"]
    eval_args += ["--data-dir", str(data), "--lid-model", "none"]
    evaluated = run_harness("eval", *eval_args, "--db", db_url, "--json", timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr[-4000:]
    run_id = json.loads(evaluated.stdout)["run_id"]
    harness = str(bin_dir / "harness")
    rescored = {}
    for metric, flag, checkpoint in (
        ("cometkiwi", "--cometkiwi-model", kiwi),
        ("xcomet", "--xcomet-model", xcomet),
    ):
        done = _ok(
            _run(
                [harness, "rescore", run_id[:8], "--metric", metric, flag, str(checkpoint)]
                + ["--db", db_url, "--json"],
                env,
            )
        )
        rescored[metric] = json.loads(done.stdout)
    return {
        "bin": bin_dir,
        "env": env,
        "work": work,
        "db": db_url,
        "run_id": run_id,
        "kiwi": kiwi,
        "xcomet": xcomet,
        "rescore": rescored,
        "eval_args": eval_args,
    }


def _comet_score(
    qe: dict[str, Any], task: str, checkpoint: Path, with_reference: bool
) -> list[dict[str, Any]]:
    """The stored (source, output[, reference]) of `task` through the real comet-score CLI: its JSON
    segments (score under "COMET", error spans under "errors" when there are any)."""
    samples = _samples(qe["db"], qe["run_id"], task)
    columns = {"src": [s["scores"]["source"] for s in samples], "hyp": [s["output"] for s in samples]}
    if with_reference:
        columns["ref"] = [s["target"] for s in samples]
    files = {}
    for part, column in columns.items():
        assert all("\n" not in x and "\r" not in x for x in column), f"{task} {part}: multi-line segment"
        files[part] = qe["work"] / f"{checkpoint.parents[1].name}-{task}.{part}"
        files[part].write_text("".join(f"{x}\n" for x in column), encoding="utf-8", newline="\n")
    out = qe["work"] / f"{checkpoint.parents[1].name}-{task}.json"
    argv = [str(qe["bin"] / "comet-score"), "-s", str(files["src"]), "-t", str(files["hyp"])]
    argv += ["-r", str(files["ref"])] if with_reference else []
    argv += ["--model", str(checkpoint), "--gpus", "0", "--batch_size", "16", "--to_json", str(out)]
    _ok(_run(argv, qe["env"]))
    return json.loads(out.read_text(encoding="utf-8"))[str(files["hyp"])]


def test_cometkiwi_equals_comet_score(qe: dict[str, Any]) -> None:
    payload = qe["rescore"]["cometkiwi"]
    assert payload["metric"] == "cometkiwi" and [r["task"] for r in payload["results"]] == sorted(TASKS)
    rows = _rows(qe["db"], qe["run_id"], "cometkiwi")
    for task in TASKS:
        theirs = [seg["COMET"] for seg in _comet_score(qe, task, qe["kiwi"], with_reference=False)]
        ours = [s["scores"]["cometkiwi"] for s in _samples(qe["db"], qe["run_id"], task)]
        assert len(ours) == 4 and ours == pytest.approx(theirs, abs=TOL)
        assert len(set(ours)) > 1, "the tiny checkpoint must tell segments apart"
        assert rows[task]["value"] == pytest.approx(sum(theirs) / len(theirs), abs=TOL)
        assert rows[task]["signature"].startswith("model:tiny-cometkiwi|sha256:")
        assert "reference-free" in rows[task]["note"]


def test_xcomet_equals_comet_score_with_error_spans(qe: dict[str, Any]) -> None:
    rows = _rows(qe["db"], qe["run_id"], "xcomet")
    spans_seen = 0
    for task in TASKS:
        theirs = _comet_score(qe, task, qe["xcomet"], with_reference=True)
        samples = _samples(qe["db"], qe["run_id"], task)
        assert [s["scores"]["xcomet"] for s in samples] == pytest.approx(
            [t["COMET"] for t in theirs], abs=TOL
        )
        assert rows[task]["value"] == pytest.approx(sum(t["COMET"] for t in theirs) / len(theirs), abs=TOL)
        for sample, segment in zip(samples, theirs, strict=True):
            ours = sample["scores"]["xcomet_error_spans"]
            expected = segment.get("errors", [])  # comet-score leaves the key out when there is none
            assert [(s["text"], s["start"], s["end"], s["severity"]) for s in ours] == [
                (s["text"], s["start"], s["end"], s["severity"]) for s in expected
            ]
            assert [s["confidence"] for s in ours] == pytest.approx(
                [s["confidence"] for s in expected], abs=TOL
            )
            spans_seen += len(ours)
    assert spans_seen > 0, "the tiny xCOMET must mark some spans"


def test_cometkiwi_needs_no_reference(qe: dict[str, Any]) -> None:
    """The same outputs with every reference blanked: CometKiwi's scores do not change."""
    copy = qe["work"] / "no-references.db"
    shutil.copy(_db_file(qe["db"]), copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("update samples set target = '' where run_id = ?", (qe["run_id"],))
    url = f"sqlite:///{copy}"
    argv = [str(qe["bin"] / "harness"), "rescore", qe["run_id"], "--metric", "cometkiwi"]
    _ok(_run([*argv, "--cometkiwi-model", str(qe["kiwi"]), "--db", url], qe["env"]))
    for task in TASKS:
        assert {s["target"] for s in _samples(url, qe["run_id"], task)} == {""}
        blank = [s["scores"]["cometkiwi"] for s in _samples(url, qe["run_id"], task)]
        assert blank == [s["scores"]["cometkiwi"] for s in _samples(qe["db"], qe["run_id"], task)]


def test_coverage_flag_on_the_lingala_rows(qe: dict[str, Any]) -> None:
    """lin_Latn is not among XLM-R's 100 languages: the Lingala rows of both metrics carry the flag,
    the French ones do not; `harness results` and `harness report` show it."""
    for metric in ("cometkiwi", "xcomet"):
        rows = _rows(qe["db"], qe["run_id"], metric)
        assert "outside encoder coverage: lin_Latn (target lin_Latn)" in rows[LINGALA]["note"]
        assert "XLM-R 100" in rows[LINGALA]["note"]
        assert "outside encoder coverage" not in rows[FRENCH]["note"]
    listed = run_harness("results", "--run", qe["run_id"], "--db", qe["db"], "--format", "json", check=True)
    flags = {(r["task"], r["metric"]): r["outside_coverage"] for r in json.loads(listed.stdout)["results"]}
    assert flags[(LINGALA, "cometkiwi")] == flags[(LINGALA, "xcomet")] == "lin_Latn"
    assert flags[(FRENCH, "cometkiwi")] is None and flags[(LINGALA, "chrf++")] is None
    table = run_harness("results", "--run", qe["run_id"], "--db", qe["db"], check=True).stdout
    assert "outside_coverage" in table and "lin_Latn" in table
    report = qe["work"] / "report.md"
    run_harness("report", qe["run_id"], "--out", str(report), "--db", qe["db"], check=True)
    text = report.read_text(encoding="utf-8")
    assert text.count("⚠ outside coverage: lin\\_Latn") + text.count("⚠ outside coverage: lin_Latn") == 2


def test_wrong_class_and_gated_default(qe: dict[str, Any]) -> None:
    harness = [str(qe["bin"] / "harness"), "rescore", qe["run_id"], "--db", qe["db"]]
    wrong = _run([*harness, "--metric", "cometkiwi", "--cometkiwi-model", str(qe["xcomet"])], qe["env"])
    message = " ".join(wrong.stderr.split())
    assert wrong.returncode == 2 and f"--cometkiwi-model {qe['xcomet']}: not a CometKiwi" in message
    assert "'xcomet_metric'" in message
    gated = _run([*harness, "--metric", "xcomet"], qe["env"])  # the default, Unbabel/XCOMET-XL, offline
    message = " ".join(gated.stderr.split())
    assert gated.returncode == 2, gated.stderr[-2000:]
    assert "--xcomet-model Unbabel/XCOMET-XL: not a local checkpoint" in message
    assert "gated on the Hugging Face hub" in message and "token" in message
    assert "offline, give a local checkpoint with --xcomet-model PATH" in message


def test_in_process_eval_equals_rescore(qe: dict[str, Any]) -> None:
    """`harness eval --cometkiwi-model --xcomet-model` in the COMET environment: the same outputs (from
    the response cache) get the same scores and spans as the rescores, and the fingerprint records
    each model and its language coverage."""
    argv = [str(qe["bin"] / "harness"), "eval", *qe["eval_args"], "--db", qe["db"], "--json"]
    argv += ["--cometkiwi-model", str(qe["kiwi"]), "--xcomet-model", str(qe["xcomet"])]
    payload = json.loads(_ok(_run(argv, qe["env"])).stdout)
    run_id = payload["run_id"]
    for metric in ("cometkiwi", "xcomet"):
        reported = {r["task"]: r for r in payload["results"] if r["metric"] == metric}
        rescored = {r["task"]: r for r in qe["rescore"][metric]["results"]}
        assert set(reported) == set(TASKS)
        for task in TASKS:
            assert reported[task]["value"] == pytest.approx(rescored[task]["value"], abs=TOL)
            assert reported[task]["note"] == rescored[task]["note"]
    for task in TASKS:
        mine, first = _samples(qe["db"], run_id, task), _samples(qe["db"], qe["run_id"], task)
        assert [s["output"] for s in mine] == [s["output"] for s in first]
        assert [s["scores"]["xcomet_error_spans"] for s in mine] == [
            s["scores"]["xcomet_error_spans"] for s in first
        ]
    with sqlite3.connect(_db_file(qe["db"])) as conn:
        fingerprint = json.loads(
            conn.execute("select fingerprint from runs where id = ?", (run_id,)).fetchone()[0]
        )
    assert (
        fingerprint["cometkiwi"]["name"] == "tiny-cometkiwi"
        and fingerprint["xcomet"]["name"] == "tiny-xcomet"
    )
    assert fingerprint["xcomet"]["coverage"] == {
        "name": "XLM-R 100",
        "source": "Conneau et al. 2020, Table 6",
        "flores_languages": 91,
    }
