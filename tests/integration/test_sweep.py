"""`harness sweep`: (checkpoint x task) units on a real local Ray cluster of two nodes and in one
process, each unit its own run in one database; finished units are skipped on a re-run.

The cluster is started here with `ray start --block` (a head and a second node, one CPU each, so
that two units run at once, one per node) in process groups of their own, and killed by those
groups afterwards; `ray stop` is never used, since it stops every Ray process on the machine.
Without Ray installed the cluster test is skipped, except when `CI` is set: there it fails.
"""

import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path
from typing import NoReturn

import pytest

from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from db.sweep_queries import finished_units
from tests.conftest import ROOT, need_shared_data, run_harness
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

T1, T2, T3 = "flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn", "flores_eng_Latn-fra_Latn"
RAY = Path(sys.executable).parent / "ray"


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"the Ray sweep test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"Ray sweep test skipped: {reason} (pip install 'polyglot-harness[sweep]')")


def _kill_cluster(groups: list[int], temp_dir: Path) -> None:
    """SIGKILL the nodes' process groups, then any process still naming the cluster's own temp folder."""
    for pgid in groups:
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    time.sleep(0.5)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(temp_dir).encode() in cmdline:
            with suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
deadline = time.monotonic() + 120
while len([n for n in ray.nodes() if n["Alive"]]) < 2:
    if time.monotonic() > deadline:
        sys.exit("the second Ray node did not join within 120 s")
    time.sleep(0.5)
"""


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster of two nodes with one CPU each; its address."""
    if importlib.util.find_spec("ray") is None or not RAY.is_file():
        _ray_unavailable(f"ray is not installed in {sys.prefix}")
    # Short: Ray's socket paths below it must fit in 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "RAY_"))}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = [
        "--block", "--num-cpus=1", "--object-store-memory=100000000", "--disable-usage-stats",
        "--node-ip-address=127.0.0.1",
    ]  # fmt: skip
    head = [
        "--head", f"--port={port}", "--include-dashboard=false", f"--dashboard-port={_free_port()}",
        f"--ray-client-server-port={_free_port()}", f"--temp-dir={temp_dir}",
    ]  # fmt: skip
    groups: list[int] = []
    try:
        for name, args in (("head", head), ("node2", [f"--address={address}"])):
            # Ports with fixed defaults, taken free for each node (they share this machine).
            ports = [f"--dashboard-agent-listen-port={_free_port()}", f"--metrics-export-port={_free_port()}"]
            log_path = temp_dir / f"{name}.log"
            with open(log_path, "w") as log:
                node = subprocess.Popen(
                    [str(RAY), "start", *args, *common, *ports],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=temp_dir,
                    start_new_session=True,  # its own process group, killed as one at the end
                )
            groups.append(node.pid)
            deadline = time.monotonic() + 120
            while "Ray runtime started" not in log_path.read_text(errors="replace"):
                if node.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ray start ({name}) failed:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        started = time.monotonic()
        waited = subprocess.run(
            [sys.executable, "-c", WAIT_FOR_NODES, address],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if waited.returncode != 0:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in temp_dir.glob("*.log"))
            raise RuntimeError(f"Ray cluster did not start: {waited.stderr[-2000:]}\n{logs}")
        print(f"Ray cluster of 2 nodes at {address} up in {time.monotonic() - started:.1f} s")
        yield address
    finally:
        _kill_cluster(groups, temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.tiny_model import build_tiny_model

    root = tmp_path_factory.mktemp("sweep-models")
    return build_tiny_model(root / "tiny-a", seed=1), build_tiny_model(root / "tiny-b", seed=2)


def _sweep(models: list[Path], tasks: list[str], db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_harness(
        "sweep", "--models", ",".join(map(str, models)), "--tasks", ",".join(tasks), "--limit", "3",
        "--data-dir", str(need_shared_data()), "--db", f"sqlite:///{db}", "--json", *extra,
    )  # fmt: skip


def _runs(db: Path) -> dict[str, tuple[str, str, list[str], int]]:
    """run id -> (status, checkpoint source, its tasks, its samples)."""
    with closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT r.id, r.status, c.source FROM runs r JOIN checkpoints c ON c.id = r.checkpoint_id"
        ).fetchall()
        return {
            run_id: (
                status,
                source,
                [
                    t
                    for (t,) in con.execute(
                        "SELECT DISTINCT task FROM task_results WHERE run_id = ?", (run_id,)
                    )
                ],
                con.execute("SELECT count(*) FROM samples WHERE run_id = ?", (run_id,)).fetchone()[0],
            )
            for run_id, status, source in rows
        }


def test_sweep_on_two_ray_nodes_skips_finished_units(
    ray_cluster: str, two_models: tuple[Path, Path], tmp_path: Path
) -> None:
    db = tmp_path / "sweep.db"
    first = _sweep(list(two_models), [T1, T2], db, "--ray", ray_cluster)
    assert first.returncode == 0, first.stderr[-4000:]
    units = json.loads(first.stdout)["units"]
    assert [u["status"] for u in units] == ["done"] * 4
    assert {(u["source"], u["task"]) for u in units} == {(str(m), t) for m in two_models for t in (T1, T2)}
    # One CPU per node and per unit: two units ran at once, one on each node, in worker processes.
    assert len({u["node_id"] for u in units}) == 2, units
    assert len({u["pid"] for u in units}) >= 2 and all(isinstance(u["pid"], int) for u in units)
    assert all(u["metric"] == "chrf++" and 0 <= u["value"] <= 100 for u in units)
    assert first.stderr.count("done ") >= 4 and "[4/4]" in first.stderr
    runs = _runs(db)
    assert set(runs) == {u["run_id"] for u in units}
    assert {(src, tuple(tasks), n) for status, src, tasks, n in runs.values() if status == "complete"} == {
        (str(m), (t,), 3) for m in two_models for t in (T1, T2)
    }

    again = _sweep(list(two_models), [T1, T2], db, "--ray", ray_cluster)
    assert again.returncode == 0, again.stderr[-4000:]
    skipped = json.loads(again.stdout)["units"]
    assert [u["status"] for u in skipped] == ["skipped"] * 4
    assert [u["run_id"] for u in skipped] == [u["run_id"] for u in units]
    assert [u["value"] for u in skipped] == [u["value"] for u in units]
    assert _runs(db) == runs  # nothing new

    # A third task: only its two units run. A model whose weights do not load fails on its
    # workers without stopping the others, and the sweep exits 1.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    wider = _sweep([*two_models, broken], [T1, T2, T3], db, "--ray", ray_cluster)
    assert wider.returncode == 1, wider.stderr[-4000:]
    third = json.loads(wider.stdout)
    assert third["counts"] == {"done": 2, "skipped": 4, "failed": 3}
    assert {(u["source"], u["task"]) for u in third["units"] if u["status"] == "done"} == {
        (str(m), T3) for m in two_models
    }
    failed = [u for u in third["units"] if u["status"] == "failed"]
    assert {u["source"] for u in failed} == {str(broken)} and all(u["error"] and u["node_id"] for u in failed)
    after = _runs(db)
    assert len(after) == 6 and all(status == "complete" for status, *_ in after.values())


def test_sweep_in_process_without_ray(two_models: tuple[Path, Path], tmp_path: Path) -> None:
    """No Ray import at all; a unit that fails (weights that do not load) does not stop the other,
    and the sweep exits 1; other settings (here the limit) make a finished unit run again."""
    model = two_models[0]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    db = tmp_path / "local.db"
    args = [
        "sweep", "--models", f"{model},{broken}", "--tasks", T1, "--limit", "2",
        "--data-dir", str(need_shared_data()), "--db", f"sqlite:///{db}", "--json",
    ]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "harness.cli", *args],
        capture_output=True, text=True, timeout=600, env=os.environ.copy(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-4000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "lm_eval" in imported and not {m for m in imported if m == "ray" or m.startswith("ray.")}
    payload = json.loads(result.stdout)
    done, failed = payload["units"]
    assert (done["status"], done["node_id"], failed["status"]) == ("done", None, "failed")
    assert failed["source"] == str(broken) and failed["run_id"] is None and failed["error"]
    assert payload["counts"] == {"done": 1, "skipped": 0, "failed": 1}
    assert f"failed {broken} {T1}" in result.stderr
    assert [(s, src, n) for s, src, _, n in _runs(db).values()] == [("complete", str(model), 2)]

    other = run_harness(  # table output
        "sweep", "--models", str(model), "--tasks", T1, "--limit", "1",
        "--data-dir", str(need_shared_data()), "--db", f"sqlite:///{db}",
    )  # fmt: skip
    assert other.returncode == 0, other.stderr[-4000:]
    assert "done" in other.stdout and "skipped" not in other.stdout
    assert sorted(n for *_, n in _runs(db).values()) == [1, 2]


def test_sweep_bad_input_runs_nothing(two_models: tuple[Path, Path], tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    model = str(two_models[0])
    data = str(need_shared_data())
    wrong_model = run_harness(
        "sweep", "--models", f"{model},./no-such-checkpoint", "--tasks", T1, "--data-dir", data,
        "--db", f"sqlite:///{db}",
    )  # fmt: skip
    assert wrong_model.returncode == 2 and "--models: './no-such-checkpoint'" in wrong_model.stderr
    unknown_task = run_harness(
        "sweep",
        "--models",
        model,
        "--tasks",
        f"{T1},flores_lni",
        "--data-dir",
        data,
        "--db",
        f"sqlite:///{db}",
    )
    assert unknown_task.returncode == 2 and "unknown task 'flores_lni'" in unknown_task.stderr
    in_memory = run_harness(
        "sweep", "--models", model, "--tasks", T1, "--data-dir", data, "--db", "sqlite://"
    )
    assert in_memory.returncode == 2 and "in-memory" in in_memory.stderr
    no_cluster = run_harness(
        "sweep", "--models", model, "--tasks", T1, "--data-dir", data, "--db", f"sqlite:///{db}",
        "--ray", f"127.0.0.1:{_free_port()}",
    )  # fmt: skip
    assert no_cluster.returncode == 2 and "--ray 127.0.0.1:" in no_cluster.stderr
    assert not db.exists()  # nothing was started


def _outcome(task: str, task_hash: str, value: float) -> TaskOutcome:
    return TaskOutcome(
        task,
        "v1",
        task_hash,
        [MetricResult(task, "chrf++", value, 1.0, 1, "sig")],
        [SampleRecord(0, "d", "p", "t", "o", {})],
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_finished_units_query(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path / 'q.db'}"
        if backend == "sqlite"
        else new_database(request.getfixturevalue("postgres_url"))
    )
    factory = make_session_factory(make_engine(url))
    settings = {
        "backend": "harness-hf",
        "dtype": "float32",
        "limit": 3,
        "num_fewshot": None,
        "split": None,
        "judge": None,
    }

    def run(source: str, outcomes: list[TaskOutcome], fingerprint: dict, status: str = "complete") -> str:
        run_id = store.start_run(factory, "m", source, "local", fingerprint)
        for outcome in outcomes:
            store.store_task(factory, run_id, outcome, TaskMeta("synthetic", None, "chrf++", "chrf++", ""))
        store.finish_run(factory, run_id, status)
        return run_id

    same = settings | {"versions": {"harness": "0"}, "batch_size": 4}  # neither compared
    old = run("/a", [_outcome("t1", "h1", 1.0), _outcome("t2", "h2", 2.0)], same)
    newer = run("/a", [_outcome("t1", "h1", 3.0)], same)
    run("/a", [_outcome("t2", "h2", 9.0)], same, status="failed")
    run("/a", [_outcome("t3", "h3", 9.0)], settings | {"limit": 4})
    run("/a", [_outcome("t3", "h3", 9.0)], settings | {"num_fewshot": 0})
    run("/a", [_outcome("t3", "h3", 9.0)], settings | {"judge": {"model": "j"}})
    run("/a", [_outcome("t4", "old-hash", 9.0)], settings)
    run("/b", [_outcome("t3", "h3", 9.0)], settings)
    engine = make_engine(url)
    found = finished_units(engine, "/a", {"t1": "h1", "t2": "h2", "t3": "h3", "t4": "h4"}, settings)
    assert {task: (u.run_id, u.metrics) for task, u in found.items()} == {
        "t1": (newer, {"chrf++": 3.0}),
        "t2": (old, {"chrf++": 2.0}),
    }
    assert set(finished_units(engine, "/b", {"t3": "h3"}, settings)) == {"t3"}
    assert finished_units(engine, "/b", {"t3": "h3"}, settings | {"dtype": "bfloat16"}) == {}
