"""A real PostgreSQL server for the tests, from the distribution's binaries (Debian: the
`postgresql` package, `/usr/lib/postgresql/<version>/bin`).

`postgres_url` (session-scoped) starts one server in a temporary folder on a free loopback port
and yields `postgresql+psycopg://postgres@127.0.0.1:PORT/harness`; `new_database` makes a
fresh, empty database on it. Without the binaries the tests that need the server are skipped,
except when `CI` is set: CI must test PostgreSQL, so there it is an error.

Import the fixture into a test module to use it: `from tests.pg import postgres_url  # noqa: F401`.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SUPERUSER = "postgres"


def find_pg_bin() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: `$PG_BIN`, Debian's newest version, or the PATH."""
    if env := os.environ.get("PG_BIN"):
        return Path(env)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if debian:
        return Path(debian[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One `postgres` process owning a temporary data folder; root runs it as the `postgres` user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            if shutil.which("runuser") is None:
                _unavailable("running as root and `runuser` is missing")
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                _unavailable(f"running as root and there is no `{SUPERUSER}` system user")
            self.as_user = ["runuser", "-u", SUPERUSER, "--"]
        # Not under pytest's basetemp: that is private to root (0700) and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="harness-pg-"))
        if self.as_user:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        cmd = [*self.as_user, str(self.bin_dir / tool), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> None:
        initdb = ["-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale"]
        self._run("initdb", *initdb, "--no-sync")
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                # A throwaway server: durability only costs time here.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        for attempt in range(5):  # another process may take the free port before the server does
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                    "-o", f"{options} -p {self.port}",
                )  # fmt: skip
                return
            except RuntimeError:
                if attempt == 4:
                    raise

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A running PostgreSQL server with an empty database `harness`, stopped after the session."""
    bin_dir = find_pg_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        _unavailable("no initdb/pg_ctl (looked in $PG_BIN, /usr/lib/postgresql/*/bin and PATH)")
    server = PostgresServer(bin_dir)
    try:
        started = time.monotonic()
        server.start()
        url = new_database(server.url(), "harness")
        print(f"PostgreSQL {bin_dir} on port {server.port}, started in {time.monotonic() - started:.1f} s")
        yield url
    finally:
        server.stop()


def new_database(postgres_url: str, name: str | None = None) -> str:
    """A fresh, empty database on the server `postgres_url` points at; its URL."""
    name = name or f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
