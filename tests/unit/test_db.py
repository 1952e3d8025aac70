"""Storage: runs, task results and samples through SQLAlchemy, on SQLite and on a real PostgreSQL
server (tests/pg.py); the Alembic migrations against the models; two writer processes at once."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, inspect, select, text, update

from core.errors import HarnessError
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from db import store
from db.app_queries import list_runs, run_detail
from db.models import Base, Checkpoint, Model, Run, RunStatus, Sample, TaskResult, utcnow
from db.queries import list_results
from db.run_state import this_host
from db.session import alembic_config, head_revision, make_engine, make_session_factory, normalize_url
from tests.conftest import ROOT, run_harness
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

BACKENDS = ["sqlite", "postgresql"]

META = TaskMeta("synthetic", None, "chrf++", "chrf++", "rows written by the storage tests")


def _outcome(task: str, value: float) -> TaskOutcome:
    return TaskOutcome(
        task=task,
        version="v1",
        task_hash="h" * 64,
        metrics=[MetricResult(task, "chrf++", value, 1.0, 2, "sig")],
        samples=[SampleRecord(i, f"d{i}", "p", "t", "o", {"chrf++": 1.0}) for i in range(2)],
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'r.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def test_complete_run_is_listed(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {"dtype": "float32"})
    store.store_task(factory, run_id, _outcome("t1", 12.5), META)
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
    store.store_task(factory, run_id, _outcome("t1", 1.0), META)
    store.finish_run(factory, run_id, "failed", error="KeyboardInterrupt")
    rows = list_results(engine, include_incomplete=True)
    assert [(r.task, r.status) for r in rows] == [("t1", "failed")]


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_results_command_formats(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {})
    store.store_task(factory, run_id, _outcome("flores_eng_Latn-lin_Latn", 10.0), META)
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
        "run_id,model,step,task,family,language,source_language,metric,primary_metric,value,stderr,n,"
        "status,finished_at,signature,note,outside_coverage"
    ]
    table = run_harness("results", "--db", db_url, check=True).stdout
    assert "flores_eng_Latn-lin_Latn" in table


def test_migrations_produce_the_models_schema(db_url: str) -> None:
    """If this fails after a change to db/models.py, add a migration (see db/migrations/env.py)."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    # Every downgrade undoes its upgrade.
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_make_engine_migrates_only_when_behind(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_engine(sqlite_url)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("migrated a database already at head")

    monkeypatch.setattr(command, "upgrade", fail)
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()


def test_database_made_before_migrations_is_adopted(sqlite_url: str) -> None:
    """Databases that `create_all` made (the harness before migrations: the 0001 schema, with no
    version table) keep their rows and get every later migration."""
    old = create_engine(sqlite_url)
    with old.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(insert(Model).values(name="old", created_at=func.now()))
    old.dispose()
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert conn.execute(select(Model.name)).scalars().all() == ["old"]


def test_rows_stored_before_primary_metrics_get_their_familys_primary(db_url: str) -> None:
    """Migration 0004 on rows written at 0003: each task gets the primary metric its family had then
    (chrF++ for FLORES, the term-usage rate for the terminology tasks, accuracy for XNLI); a task
    without that metric stored keeps None (the app then shows no primary column for it)."""
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(text("INSERT INTO models (id, name, created_at) VALUES (1, 'm', CURRENT_TIMESTAMP)"))
        conn.execute(
            text(
                "INSERT INTO checkpoints (id, model_id, source, kind, created_at) "
                "VALUES (1, 1, '/m', 'local', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, checkpoint_id, status, started_at, fingerprint) "
                "VALUES ('r1', 1, 'complete', CURRENT_TIMESTAMP, '{}')"
            )
        )
        rows = [
            ("flores_eng_Latn-lin_Latn", "flores", "chrf++"),
            ("flores_eng_Latn-lin_Latn", "flores", "bleu"),
            ("ifmt_terms_en-de_iate", "ifmt_terms", "term_usage"),
            ("ifmt_terms_en-de_iate", "ifmt_terms", "chrf++"),
            ("xnli_sw", "xnli", "acc"),
            ("kobest_wic", "kobest", "f1"),  # no acc stored: not inferable
        ]
        for i, (task, family, metric) in enumerate(rows):
            conn.execute(
                text(
                    "INSERT INTO task_results (id, run_id, task, family, task_version, task_hash, metric, n, "
                    "signature, note) VALUES (:id, 'r1', :task, :family, 'v', 'h', :metric, 1, '', '')"
                ),
                {"id": i + 1, "task": task, "family": family, "metric": metric},
            )
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()
    stored = {
        (r.task, r.metric): (r.primary_metric, r.sample_metric) for r in list_results(make_engine(db_url))
    }
    assert stored[("flores_eng_Latn-lin_Latn", "bleu")] == ("chrf++", "chrf++")
    assert stored[("ifmt_terms_en-de_iate", "chrf++")] == ("term_usage", "terms_used/terms_total")
    assert stored[("xnli_sw", "acc")] == ("acc", "acc")
    assert stored[("kobest_wic", "f1")] == (None, None)


def test_plain_postgresql_url_means_psycopg_3() -> None:
    assert normalize_url("postgresql://u:p@h:5/d") == "postgresql+psycopg://u:p@h:5/d"
    assert normalize_url("postgresql+psycopg2://h/d") == "postgresql+psycopg2://h/d"
    assert normalize_url("sqlite:////tmp/a b.db") == "sqlite:////tmp/a b.db"


def test_plain_postgresql_url_works(request: pytest.FixtureRequest) -> None:
    url = new_database(request.getfixturevalue("postgres_url"))
    url = url.replace("postgresql+psycopg://", "postgresql://")
    engine = make_engine(url)
    assert engine.dialect.driver == "psycopg"
    assert list_results(engine) == []


WRITERS, RUNS, TASKS, SAMPLES, METRICS = 2, 3, 10, 50, 2


def test_two_writer_processes_at_once(db_url: str) -> None:
    """Two processes open a new database at the same moment (both migrate it) and write 30 tasks of
    50 samples each, interleaved: no lock errors, no lost rows."""
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.db_writer", db_url, f"w{i}", str(RUNS), str(TASKS), str(SAMPLES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=os.environ.copy(),
        )
        for i in range(WRITERS)
    ]
    try:
        for p in procs:  # both have imported everything ...
            assert p.stdout is not None and p.stdout.readline() == "ready\n"
        for p in procs:  # ... and now start together
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert "database is locked" not in err and p.returncode == 0, err[-3000:]
        assert out == "done\n"
    engine = make_engine(db_url)
    with engine.connect() as conn:

        def count(model: type[Base]) -> int | None:
            return conn.scalar(select(func.count()).select_from(model))

        assert count(Model) == 1 and count(Checkpoint) == 1
        assert count(Run) == WRITERS * RUNS
        assert conn.scalar(select(func.count()).where(Run.status == "complete")) == WRITERS * RUNS
        assert count(TaskResult) == WRITERS * RUNS * TASKS * METRICS
        assert count(Sample) == WRITERS * RUNS * TASKS * SAMPLES
    assert time.monotonic() - started < 30


def test_run_statuses_are_an_enum() -> None:
    assert [s.value for s in RunStatus] == ["running", "complete", "failed", "partial", "interrupted"]


def test_finish_run_takes_the_final_statuses(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    for status in ["complete", RunStatus.failed, "partial"]:
        run_id = store.start_run(factory, "m", "/ckpt", "local", {})
        store.store_task(factory, run_id, _outcome("t1", 1.0), META)
        store.finish_run(factory, run_id, status)
        assert {r.status for r in list_results(engine, run_id=run_id, include_incomplete=True)} == {status}
    for bad in ["running", "interrupted", "done"]:
        with pytest.raises(ValueError):
            store.finish_run(factory, run_id, bad)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_running_run_of_a_gone_process_shows_as_interrupted(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On this host, by the writer's process id (and its start time, against a reused id); on
    another host, by the age of its heartbeat; runs stored before the writer was recorded, by
    the age of `started_at`."""
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {})
    store.store_task(factory, run_id, _outcome("t1", 1.0), META)

    def shown() -> set[str]:
        rows = {r.status for r in list_results(engine, include_incomplete=True)}
        rows |= {r.status for r in list_runs(engine, include_incomplete=True)}
        detail = run_detail(engine, run_id)
        assert detail is not None
        return rows | {detail.status}

    def set_writer(**values: object) -> None:
        with engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == run_id).values(**values))

    with factory() as session:
        run = session.get(Run, run_id)
        assert run is not None and (run.host, run.pid) == (this_host(), os.getpid())
    assert shown() == {"running"}  # this process: alive
    set_writer(pid=_dead_pid())
    assert shown() == {"interrupted"}
    old = utcnow() - timedelta(days=2)
    set_writer(pid=os.getpid(), heartbeat_at=old)  # an id now held by a process started later
    assert shown() == {"interrupted"}
    set_writer(host="elsewhere", pid=1, heartbeat_at=utcnow())
    assert shown() == {"running"}
    set_writer(heartbeat_at=old)
    assert shown() == {"interrupted"}
    monkeypatch.setenv("HARNESS_RUN_STALE_AFTER_S", str(3 * 24 * 3600))
    assert shown() == {"running"}
    monkeypatch.delenv("HARNESS_RUN_STALE_AFTER_S")
    set_writer(host=None, pid=None, heartbeat_at=None)  # stored before 0006
    assert shown() == {"running"}
    set_writer(started_at=old)
    assert shown() == {"interrupted"}
    store.finish_run(factory, run_id, "failed")
    assert shown() == {"failed"}


def test_resume_claims_the_run(db_url: str) -> None:
    """`reopen_run` takes an interrupted or failed run for this process; a live writer keeps it."""
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    run_id = store.start_run(factory, "m", "/ckpt", "local", {})
    store.store_task(factory, run_id, _outcome("t1", 1.0), META)
    store.reopen_run(factory, run_id)  # its own writer: fine
    with engine.begin() as conn:
        conn.execute(
            update(Run).where(Run.id == run_id).values(host="elsewhere", pid=7, heartbeat_at=utcnow())
        )
    with pytest.raises(HarnessError, match=f"run {run_id} is being run by process 7 on host elsewhere"):
        store.resumable_run(factory, run_id[:8])
    with pytest.raises(HarnessError, match=f"run {run_id} is being resumed by process 7 on host elsewhere"):
        store.reopen_run(factory, run_id)
    with engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == run_id).values(pid=_dead_pid(), host=this_host()))
    assert store.resumable_run(factory, run_id).status == "interrupted"
    store.reopen_run(factory, run_id)
    with factory() as session:
        run = session.get(Run, run_id)
        assert run is not None and (run.status, run.host, run.pid) == ("running", this_host(), os.getpid())
    with pytest.raises(HarnessError, match="already holds t1"):
        store.store_task(factory, run_id, _outcome("t1", 1.0), META)
    store.finish_run(factory, run_id, "complete")
    with pytest.raises(HarnessError, match="already complete"):
        store.reopen_run(factory, run_id)


def test_rows_stored_before_0006_have_no_writer(db_url: str) -> None:
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
        conn.execute(text("INSERT INTO models (id, name, created_at) VALUES (1, 'm', CURRENT_TIMESTAMP)"))
        conn.execute(
            text(
                "INSERT INTO checkpoints (id, model_id, source, kind, created_at) "
                "VALUES (1, 1, '/c', 'local', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, checkpoint_id, status, started_at, fingerprint) "
                "VALUES ('r1', 1, 'failed', CURRENT_TIMESTAMP, '{}')"
            )
        )
    engine.dispose()
    factory = make_session_factory(make_engine(db_url))
    with factory() as session:
        run = session.get(Run, "r1")
        assert run is not None and (run.status, run.host, run.pid, run.heartbeat_at) == (
            "failed",
            None,
            None,
            None,
        )
    store.reopen_run(factory, "r1")
    with factory() as session:
        run = session.get(Run, "r1")
        assert run is not None and (run.status, run.pid) == ("running", os.getpid())
