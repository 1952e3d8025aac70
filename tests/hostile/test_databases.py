"""Hostile databases and broken run states, through the real CLI: every probe ends with the exact
exit code, a message that names the problem, no traceback, and the stored rows (and, for files that
are not ours, their bytes and modification time) unchanged.

Exit codes: 2 for bad input (a malformed URL, a path with no database, a file that is not a
harness database, an unknown run); 1 for an environment failure (`db.session.DatabaseUnavailable`,
an `EnvironmentFailure`: unreachable server, read-only, full disk). `harness gate` exits 2 for
every database failure: it cannot compare, and its 1 means "regressed".

The tests run as root in CI, where `chmod` does not stop writes: read-only databases are probed
with a real read-only bind mount and a tiny full tmpfs in a private mount namespace (`unshare -m`),
with `chattr +i`, and as the `nobody` user through `setpriv` with the system Python 3.11 (the venv's
interpreter lives under /root, which `nobody` cannot enter). Each probe skips when its tool or
privilege is missing.
"""

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from tests.conftest import ROOT, run_harness
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

TASKS = ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"]


def _meta(task: str) -> TaskMeta:
    language = task.split("-")[1]
    return TaskMeta("flores", language, "chrf++", "chrf++", "FLORES-200 devtest, test probe")


def _outcome(task: str, value: float) -> TaskOutcome:
    samples = [SampleRecord(i, f"{task}-{i}", "p", "t", "o", {"chrf++": value + i}) for i in range(4)]
    metrics = [
        MetricResult(task, "chrf++", value, 1.0, 4, "sig"),
        MetricResult(task, "bleu", 1.0, 0.5, 4, "sig"),
    ]
    return TaskOutcome(task=task, version="v1", task_hash="h" * 64, metrics=metrics, samples=samples)


def seed(url: str) -> dict[str, str]:
    """One complete and one failed run, stored as `harness eval` stores them; their ids."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    ids = {}
    for name, status in [("complete", "complete"), ("failed", "failed")]:
        run_id = store.start_run(factory, "probe-model", "/ckpt/probe", "local", {"probe": name})
        for i, task in enumerate(TASKS):
            store.store_task(factory, run_id, _outcome(task, 40.0 + i), _meta(task))
        store.finish_run(factory, run_id, status, error="probe" if status == "failed" else None)
        ids[name] = run_id
    engine.dispose()  # checkpoints the WAL into the file: the file alone holds everything
    return ids


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read with an immutable read-only open (it cannot write)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "runs" in tables
        return {t: sorted(map(tuple, con.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables}


def file_state(path: Path) -> tuple[str, int, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, path.stat().st_size


def expect(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, (result.returncode, output)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def reading_commands(url: str, ref: str, out: Path, report: bool = False) -> list[tuple[str, list[str]]]:
    """results and gate (and report: see `test_report_opens_read_only`)."""
    commands = [
        ("results", ["results", "--db", url, "--all"]),
        ("gate", ["gate", "--db", url, "--baseline", ref, "--candidate", ref]),
    ]
    return commands + ([("report", ["report", ref, "--db", url, "--out", str(out)])] if report else [])


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "store" / "results.db"
    return path, seed(f"sqlite:///{path}")


# --- reading never writes --------------------------------------------------------------------------


def test_reading_commands_leave_the_file_untouched(
    seeded: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, ids = seeded
    before, state = rows(path), file_state(path)
    time.sleep(0.01)
    for name, args in reading_commands(f"sqlite:///{path}", ids["complete"], tmp_path / "r.md", report=True):
        expect(run_harness(*args), 0)
        assert file_state(path) == state, name
    assert rows(path) == before
    shown = json.loads(
        run_harness("results", "--db", f"sqlite:///{path}", "--all", "--format", "json").stdout
    )
    assert {(r["run_id"], r["status"]) for r in shown["results"]} == {
        (ids["complete"], "complete"),
        (ids["failed"], "failed"),
    }


def test_existing_database_keeps_its_journal_mode(tmp_path: Path) -> None:
    """WAL is set on a new database only: a harness database in rollback mode stays so."""
    path = tmp_path / "rollback.db"
    seed(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    make_engine(f"sqlite:///{path}").dispose()  # a writer
    expect(run_harness("results", "--db", f"sqlite:///{path}"), 0)
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)


# --- files that are not harness databases ------------------------------------------------------------


def _foreign_files(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    noise = tmp_path / "noise.db"
    noise.write_bytes(os.urandom(8192))
    yield noise, "is not a SQLite database"
    other = tmp_path / "other-app.sqlite"
    with closing(sqlite3.connect(other)) as con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.execute("INSERT INTO notes (body) VALUES ('keep me')")
        con.commit()
    yield other, "another application's tables (notes)"
    empty = tmp_path / "empty.db"
    empty.touch()
    yield empty, "holds no harness results"


def test_foreign_files_are_refused_untouched(tmp_path: Path) -> None:
    probes = list(_foreign_files(tmp_path))
    assert probes
    for path, fragment in probes:
        state = file_state(path)
        url = f"sqlite:///{path}"
        for name, args in reading_commands(url, "0123456789ab", tmp_path / "r.md"):
            result = run_harness(*args)
            expect(result, 2, fragment if name != "gate" else str(path))
            assert file_state(path) == state, (path, name)
        if path.stat().st_size:  # an empty file is a fine place for a writer to start a database
            # A writer (rescore opens the database before anything else) refuses it too.
            expect(run_harness("rescore", "0123456789ab", "--metric", "lid", "--db", url), 2, fragment)
            assert file_state(path) == state, (path, "rescore")
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(path.name)) == [path.name]
    assert not (tmp_path / "r.md").exists()


def test_report_opens_read_only(seeded: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """`report` never creates a database or folders, never migrates an empty file, and reads a
    file that even root cannot write (`chattr +i` when available, else a read-only check)."""
    out = tmp_path / "r.md"
    missing = tmp_path / "nowhere" / "results.db"
    expect(
        run_harness("report", "probe-model", "--db", f"sqlite:///{missing}", "--out", str(out)),
        2,
        str(missing),
    )
    assert not missing.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    expect(
        run_harness("report", "probe-model", "--db", f"sqlite:///{empty}", "--out", str(out)), 2, "no harness"
    )
    assert empty.stat().st_size == 0
    path, ids = seeded
    if (
        os.geteuid() == 0
        and shutil.which("chattr")
        and subprocess.run(["chattr", "+i", str(path)]).returncode == 0
    ):
        try:
            expect(run_harness("report", ids["complete"], "--db", f"sqlite:///{path}", "--out", str(out)), 0)
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def test_missing_database_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "deeper" / "results.db"
    for _name, args in reading_commands(f"sqlite:///{path}", "probe-model", tmp_path / "r.md"):
        expect(run_harness(*args), 2, "no results database at", str(path))
    assert not (tmp_path / "nowhere").exists()


def test_malformed_url(tmp_path: Path) -> None:
    for name, args in reading_commands("notaurl", "probe-model", tmp_path / "r.md", report=True):
        expect(run_harness(*args), 2, "notaurl", "not a database URL" if name != "gate" else "notaurl")
    expect(run_harness("rescore", "abcdef", "--metric", "lid", "--db", "notaurl"), 2, "not a database URL")


def test_unreachable_postgresql_hides_the_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://probe:secretpw@127.0.0.1:{port}/harness"
    shown = f"postgresql://probe:***@127.0.0.1:{port}/harness"
    started = time.monotonic()
    for name, args in reading_commands(url, "probe-model", tmp_path / "r.md", report=True):
        expect(run_harness(*args), 2 if name == "gate" else 1, "cannot reach the results database", shown)
    result = run_harness("rescore", "abcdef", "--metric", "lid", "--db", url)
    expect(result, 1, "cannot reach the results database")
    assert "secretpw" not in result.stderr
    assert time.monotonic() - started < 120


# --- read-only databases -----------------------------------------------------------------------------


def _namespace(script: str) -> subprocess.CompletedProcess[str]:
    """`script` (sh) as root in a private mount namespace: its mounts vanish with it."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare for a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-ec", script],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
        cwd=ROOT,
    )


def _harness_sh(*args: str) -> str:
    """A shell line that runs the CLI and prints its exit code and output as one JSON line."""
    code = (
        "import json, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(json.dumps([r.returncode, r.stdout, r.stderr]))"
    )
    quoted = " ".join(
        f"'{a}'" for a in [sys.executable, "-c", code, sys.executable, "-m", "harness.cli", *args]
    )
    return quoted


def _results_of(output: str) -> list[subprocess.CompletedProcess[str]]:
    out = []
    for line in output.splitlines():
        if line.startswith("["):
            code, stdout, stderr = json.loads(line)
            out.append(subprocess.CompletedProcess([], code, stdout, stderr))
    return out


def test_read_only_mount(seeded: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """A real read-only mount (a bind of the database's folder, remounted ro): even root cannot
    write there. The reading commands work; a writer gets a clean error; nothing changes."""
    path, ids = seeded
    folder = path.parent
    before, state = rows(path), file_state(path)
    url = f"sqlite:///{path}"
    lines = [f"mount --bind '{folder}' '{folder}'", f"mount -o remount,bind,ro '{folder}'"]
    lines += [_harness_sh(*args) for _, args in reading_commands(url, ids["complete"], tmp_path / "r.md")]
    lines.append(_harness_sh("rescore", ids["complete"], "--metric", "lid", "--db", url))
    done = _namespace("\n".join(lines))
    assert done.returncode == 0, done.stderr
    results = _results_of(done.stdout)
    assert len(results) == 3
    for result in results[:2]:
        expect(result, 0)
    expect(results[2], 1, "cannot store results in", str(path), "read-only mount")
    assert file_state(path) == state and rows(path) == before


def test_immutable_file(seeded: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """`chattr +i`: a file that root cannot write either."""
    path, ids = seeded
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable attribute")
    try:
        before, state = rows(path), file_state(path)
        url = f"sqlite:///{path}"
        for _name, args in reading_commands(url, ids["complete"], tmp_path / "r.md"):
            expect(run_harness(*args), 0)
        expect(run_harness("rescore", ids["complete"], "--metric", "lid", "--db", url), 1, "not writable")
        assert file_state(path) == state and rows(path) == before
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _as_nobody() -> list[str]:
    """The system Python 3.11 as `nobody`, importing the harness and the venv's packages."""
    python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or shutil.which("setpriv") is None or not python.exists():
        pytest.skip("needs root, setpriv and /usr/bin/python3")
    site = (
        ROOT / ".venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    )
    base = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", f"PYTHONPATH={ROOT}:{site}"]
    check = subprocess.run(
        [*base, str(python), "-c", "import sqlalchemy, typer, harness"], capture_output=True
    )
    if check.returncode != 0 or not site.is_dir():
        pytest.skip("the system Python cannot import the harness as nobody")
    return [*base, "HOME=/tmp", str(python), "-m", "harness.cli"]


def test_read_only_folder_as_another_user(tmp_path: Path) -> None:
    """chmod: a file and folder `nobody` cannot write, read as `nobody` (the WAL file needs
    `immutable=1` there); a writer as `nobody` gets a clean error, a new database there too."""
    nobody = _as_nobody()
    shared = Path(f"/tmp/harness-hostile-{os.getpid()}")  # pytest's tmp folder is private to root
    folder = shared / "ro"
    try:
        folder.mkdir(parents=True)
        path = folder / "results.db"
        ids = seed(f"sqlite:///{path}")
        with closing(sqlite3.connect(path)) as con:
            assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        before, state = rows(path), file_state(path)
        path.chmod(0o444)
        folder.chmod(0o555)
        shared.chmod(0o755)
        url = f"sqlite:///{path}"

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*nobody, *args], capture_output=True, text=True, cwd="/tmp", timeout=300)

        expect(run("results", "--db", url, "--all"), 0)
        expect(run("gate", "--db", url, "--baseline", ids["complete"], "--candidate", ids["complete"]), 0)
        expect(run("rescore", ids["complete"], "--metric", "lid", "--db", url), 1, "not writable")
        expect(
            run("rescore", "abcdef", "--metric", "lid", "--db", f"sqlite:///{folder}/new.db"),
            1,
            "not writable",
        )
        expect(
            run("rescore", "abcdef", "--metric", "lid", "--db", f"sqlite:///{folder}/a/b.db"), 1, "Permission"
        )
        assert sorted(p.name for p in folder.iterdir()) == ["results.db"]
        assert file_state(path) == state and rows(path) == before
    finally:
        if folder.exists():
            folder.chmod(0o755)
        shutil.rmtree(shared, ignore_errors=True)


FILL_AND_WRITE = """
import sys
from core.errors import HarnessError
from db import store
from db.session import make_engine, make_session_factory
from tests.hostile.test_databases import _meta, _outcome
factory = make_session_factory(make_engine("sqlite:///" + sys.argv[1]))
try:
    with open(sys.argv[2], "wb") as filler:  # the database is open: now fill the disk
        while True:
            filler.write(bytes(4096))
            filler.flush()
except OSError:
    pass
try:
    for i in range(100):
        store.store_task(factory, sys.argv[3], _outcome(f"big{i}-lin_Latn", 1.0), _meta(f"big{i}-lin_Latn"))
    print("stored everything")
except HarnessError as exc:
    print("ERR", type(exc).__name__, exc)
"""


def test_full_disk(tmp_path: Path) -> None:
    """A tiny tmpfs, filled: `results` on a database at an older schema (it must migrate it) and a
    writer storing tasks both stop with "the disk is full"; what was stored stays."""
    old = tmp_path / "old.db"
    seed(f"sqlite:///{old}")
    with closing(sqlite3.connect(old)) as con:  # back to the schema before 0006, rows kept
        con.execute("PRAGMA journal_mode=DELETE")
        for column in ("host", "pid", "heartbeat_at"):
            con.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        con.execute("UPDATE alembic_version SET version_num = '0005'")
        con.commit()
    current = tmp_path / "current.db"
    ids = seed(f"sqlite:///{current}")
    mount = tmp_path / "tiny"
    mount.mkdir()
    script = "\n".join(
        [
            f"mount -t tmpfs -o size=2m tmpfs '{mount}'",
            f"cp '{old}' '{current}' '{mount}/'",
            f"'{sys.executable}' -c '{FILL_AND_WRITE}' '{mount}/current.db' '{mount}/filler' {ids['failed']}",
            f"dd if=/dev/zero of='{mount}/filler2' bs=512 2>/dev/null || true",  # what the writer left
            _harness_sh("results", "--db", f"sqlite:///{mount}/old.db"),
            f"cp '{mount}/old.db' '{tmp_path}/old-after.db'",
            f"cp '{mount}/current.db' '{tmp_path}/current-after.db'",
        ]
    )
    before_old, before_current = rows(old), rows(current)
    done = _namespace(script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert "ERR DatabaseUnavailable" in done.stdout and "the disk is full" in done.stdout, done.stdout
    (result,) = _results_of(done.stdout)
    expect(result, 1, "the disk is full", "old.db")
    assert rows(tmp_path / "old-after.db") == before_old
    after = rows(tmp_path / "current-after.db")
    stored = {r for r in after["task_results"]} - set(before_current["task_results"])
    assert all(row[2].startswith("big") for row in stored)  # whole tasks stored before it filled
    assert {k: v for k, v in after.items() if k not in ("task_results", "samples", "runs")} == {
        k: v for k, v in before_current.items() if k not in ("task_results", "samples", "runs")
    }


# --- runs ----------------------------------------------------------------------------------------------


def test_unknown_run_is_an_error_and_prefixes_work(seeded: tuple[Path, dict[str, str]]) -> None:
    path, ids = seeded
    url = f"sqlite:///{path}"
    expect(run_harness("results", "--db", url, "--run", "nosuch"), 2, "--run nosuch", "harness results --all")
    shown = run_harness("results", "--db", url, "--run", ids["complete"][:8], "--format", "json")
    expect(shown, 0)
    assert {r["run_id"] for r in json.loads(shown.stdout)["results"]} == {ids["complete"]}
    failed = run_harness("results", "--db", url, "--run", ids["failed"][:8], "--format", "json")
    expect(failed, 0, "is failed", "--all")
    assert json.loads(failed.stdout)["results"] == []


WRITER = """
import sys, time
from db import store
from db.session import make_engine, make_session_factory
from tests.hostile.test_databases import _outcome, _meta
factory = make_session_factory(make_engine(sys.argv[1]))
if sys.argv[2] == "start":
    run_id = store.start_run(factory, "probe-model", "/ckpt/probe", "local", {"probe": "killed"})
    task = "flores_eng_Latn-lin_Latn"
    store.store_task(factory, run_id, _outcome(task, 1.0), _meta(task))
    print(run_id, flush=True)
else:
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        store.reopen_run(factory, sys.argv[3])
        print("won", flush=True)
    except Exception as exc:
        print("lost", type(exc).__name__, exc, flush=True)
time.sleep(600)
"""


def _writer(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _status(url: str, run_id: str) -> str:
    shown = run_harness("results", "--db", url, "--all", "--format", "json", "--run", run_id)
    expect(shown, 0)
    (status,) = {r["status"] for r in json.loads(shown.stdout)["results"]}
    return str(status)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def test_killed_run_shows_as_interrupted_and_resumes(any_url: str) -> None:
    proc = _writer(any_url, "start")
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        assert run_id, proc.stderr.read() if proc.stderr else ""
        assert _status(any_url, run_id) == "running"
        factory = make_session_factory(make_engine(any_url))
        with pytest.raises(Exception, match=f"run {run_id} is being run by process {proc.pid} on host"):
            store.resumable_run(factory, run_id[:8])
    finally:
        _stop(proc)  # kill -9: the run row still says running
    assert _status(any_url, run_id) == "interrupted"
    resumable = store.resumable_run(factory, run_id[:8])
    assert resumable.status == "interrupted" and resumable.stored_tasks == {"flores_eng_Latn-lin_Latn"}
    store.reopen_run(factory, run_id)
    assert _status(any_url, run_id) == "running"  # this test's process now writes it, and lives
    store.finish_run(factory, run_id, "partial")
    assert _status(any_url, run_id) == "partial"


def test_two_resumes_at_once_one_wins(any_url: str) -> None:
    ids = seed(any_url)
    run_id = ids["failed"]
    procs = [_writer(any_url, "claim", run_id) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        answers = {proc.pid: proc.stdout.readline().strip() for proc in procs if proc.stdout}
        winners = [pid for pid, answer in answers.items() if answer == "won"]
        assert len(winners) == 1, answers
        (loser,) = [answer for answer in answers.values() if answer != "won"]
        assert loser.startswith("lost HarnessError"), loser
        assert f"run {run_id} is being resumed by process {winners[0]} on host" in loser
        assert _status(any_url, run_id) == "running"
    finally:
        for proc in procs:
            _stop(proc)
    assert _status(any_url, run_id) == "interrupted"


def test_eval_resume_of_a_run_in_progress_is_refused_before_loading(tiny_model: Path, tmp_path: Path) -> None:
    """`harness eval --resume` of a run that a live process is writing: a clean error, nothing stored."""
    from tests.conftest import need_shared_data

    data = need_shared_data()
    url = f"sqlite:///{tmp_path / 'eval.db'}"
    first = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", TASKS[0], "--limit", "2", "--data-dir", str(data),
        "--db", url, "--json",
    )  # fmt: skip
    expect(first, 0)
    run_id = json.loads(first.stdout[first.stdout.index("{") :])["run_id"]
    factory = make_session_factory(make_engine(url))
    store.finish_run(factory, run_id, "failed", error="probe")
    holder = _writer(url, "claim", run_id)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "won"
        before = rows(tmp_path / "eval.db")
        again = run_harness(
            "eval", "--model", str(tiny_model), "--tasks", TASKS[0], "--limit", "2", "--data-dir", str(data),
            "--db", url, "--resume", run_id[:8],
        )  # fmt: skip
        expect(again, 2, f"run {run_id} is being run by process {holder.pid} on host")
        assert rows(tmp_path / "eval.db") == before
    finally:
        _stop(holder)
