"""Engine factory: any SQLAlchemy URL, migrated to the newest schema (Alembic, `db/migrations`);
SQLite files get WAL mode and a busy timeout."""

import functools
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.paths import default_db_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INITIAL_REVISION = "0001"
"""The schema that `Base.metadata.create_all` made before there were migrations."""
_PG_LOCK_KEY = 0x68_61_72_6E  # "harn": the advisory lock that serializes migrations on PostgreSQL


SQLITE_WAIT_S = 30.0
"""How long a connection waits for another's lock (busy_timeout, and the switch to WAL below)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # First: the others may have to wait for a lock.
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_WAIT_S * 1000)}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried while the file is locked.

    On a new file still in rollback mode, a connection that holds a read lock and needs the write
    lock while another process holds it gets SQLITE_BUSY at once: SQLite skips the busy handler where
    waiting could deadlock. Two processes that open a new database together hit this (about 1 start
    in 4 in `test_two_writer_processes_at_once` before this retry). Once the file is in WAL mode the
    pragma is a read and never waits.
    """
    import sqlite3

    deadline = time.monotonic() + SQLITE_WAIT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def normalize_url(url: str) -> str:
    """`postgresql://...` means psycopg 3, the driver the harness installs (SQLAlchemy's default
    for a bare `postgresql://` is psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file: `db/migrations`, and the connection to run on."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations in {MIGRATIONS}"
    return head


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _lock_for_migration(conn: Connection) -> None:
    """Open the migration's transaction holding a lock that concurrent migrators wait for."""
    if conn.dialect.name == "sqlite":
        # The write lock, taken now rather than at the first write: a second process waits here
        # (busy_timeout) instead of racing to create the same tables. pysqlite issues no BEGIN
        # of its own inside an open transaction, and SQLite's DDL is transactional.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest revision.

    Already there: one read, nothing else. Otherwise the check and every migration run in one
    transaction that holds a lock (SQLite: `BEGIN IMMEDIATE`, the database's write lock;
    PostgreSQL: a transaction-level advisory lock), so processes that start together on a new
    database take turns: the first migrates and commits, the others then find it at head.
    Both databases have transactional DDL, so a failed migration leaves nothing half done.
    """
    head = head_revision()
    with engine.connect() as conn:
        if _current_revision(conn) == head:
            return
        conn.rollback()
        _lock_for_migration(conn)
        current = _current_revision(conn)
        if current != head:
            config = alembic_config(conn)
            if current is None and inspect(conn).has_table("runs"):
                # Made by `create_all` before the harness had migrations: the initial schema.
                command.stamp(config, INITIAL_REVISION)
            command.upgrade(config, "head")
        conn.commit()


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: `core.paths.default_db_url()`), with the schema migrated to head."""
    url = normalize_url(url or default_db_url())
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
