"""Storage: runs, task results and samples in SQLite through SQLAlchemy."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import store
from db.models import Sample
from db.queries import list_results
from db.session import make_engine, make_session_factory
from harness.specs import MetricResult, SampleRecord, TaskOutcome
from tests.conftest import run_harness


def _outcome(task: str, value: float) -> TaskOutcome:
    return TaskOutcome(
        task=task,
        version="v1",
        task_hash="h" * 64,
        metrics=[MetricResult(task, "chrf++", value, 1.0, 2, "sig")],
        samples=[SampleRecord(i, f"d{i}", "p", "t", "o", {"chrf++": 1.0}) for i in range(2)],
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'r.db'}"


def test_complete_run_is_listed(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {"dtype": "float32"})
    store.store_task(factory, run_id, _outcome("t1", 12.5))
    assert list_results(engine) == []  # still running: not shown by default
    assert [r.status for r in list_results(engine, include_incomplete=True)] == ["running"]
    store.finish_run(factory, run_id, "complete")
    rows = list_results(engine)
    assert [(r.model, r.task, r.metric, r.value, r.n) for r in rows] == [("m", "t1", "chrf++", 12.5, 2)]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Sample)) == 2


def test_failed_run_keeps_what_it_scored(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {})
    store.store_task(factory, run_id, _outcome("t1", 1.0))
    store.finish_run(factory, run_id, "failed", error="KeyboardInterrupt")
    rows = list_results(engine, include_incomplete=True)
    assert [(r.task, r.status) for r in rows] == [("t1", "failed")]


def test_sqlite_uses_wal(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_results_command_formats(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {})
    store.store_task(factory, run_id, _outcome("flores_eng_Latn-lin_Latn", 10.0))
    store.finish_run(factory, run_id, "complete")
    as_json = json.loads(run_harness("results", "--db", db_url, "--format", "json", check=True).stdout)
    assert as_json["results"][0]["value"] == 10.0 and as_json["results"][0]["run_id"] == run_id
    assert "samples" not in as_json
    with_samples = json.loads(
        run_harness("results", "--db", db_url, "--format", "json", "--samples", check=True).stdout
    )
    assert [(s["doc_id"], s["doc_hash"], s["output"]) for s in with_samples["samples"]] == [
        (0, "d0", "o"),
        (1, "d1", "o"),
    ]
    assert run_harness("results", "--db", db_url, "--samples").returncode == 2
    as_csv = run_harness("results", "--db", db_url, "--format", "csv", "--task", "nope", check=True).stdout
    assert as_csv.splitlines() == [
        "run_id,model,task,metric,value,stderr,n,status,finished_at,signature,note"
    ]
    table = run_harness("results", "--db", db_url, check=True).stdout
    assert "flores_eng_Latn-lin_Latn" in table
