"""Engine factory: any SQLAlchemy URL, migrated to the newest schema (Alembic, `db/migrations`).

- `make_engine(url)` is for the commands that write (eval, rescore, ingest, sweep, adapt, ...): a
  missing SQLite file is created, with its folders, in WAL mode; an existing file keeps the journal
  mode it has (WAL is never forced on it: it may sit on a network mount, or belong to a reader).
- `make_engine(url, read_only=True)` is for the commands that only read (results, gate, report):
  it never creates a file or a folder, and opens a SQLite file at the current schema with
  `mode=ro` (plus `immutable=1` on a read-only mount, or where SQLite cannot otherwise read a WAL
  file in a folder it cannot write), PostgreSQL with `default_transaction_read_only`.

Before anything opens a SQLite file for SQLAlchemy, its header and table names are read without
writing: a file that is not SQLite, or a SQLite database of another application, is refused and
left untouched. Failures name the database (password hidden) and the fix: `HarnessError` for bad
input (a malformed URL, a wrong file), `DatabaseUnavailable` for the environment (server down,
read-only, disk full), which the CLI exits with 1.
"""

import functools
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import EnvironmentFailure, HarnessError
from core.paths import default_db_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INITIAL_REVISION = "0001"
"""The schema that `Base.metadata.create_all` made before there were migrations."""
_PG_LOCK_KEY = 0x68_61_72_6E  # "harn": the advisory lock that serializes migrations on PostgreSQL


SQLITE_WAIT_S = 30.0
"""How long a connection waits for another's lock (busy_timeout, and the switch to WAL below)."""


PG_CONNECT_TIMEOUT_S = 10
"""How long a PostgreSQL connection attempt waits (libpq `connect_timeout`) unless the URL sets one."""
SQLITE_HEADER = b"SQLite format 3\x00"
HARNESS_TABLES = frozenset({"models", "checkpoints", "runs", "task_results", "samples"})
"""Tables every harness database has had since the first schema (0001)."""


class DatabaseUnavailable(EnvironmentFailure):
    """The database is named correctly but cannot be used now: the server is unreachable, the file
    or its folder is read-only, the disk is full. An environment failure: the CLI exits with 1."""


def _writer_pragmas(dbapi_connection: Any, _record: Any, *, wal: bool) -> None:
    cursor = dbapi_connection.cursor()
    # First: the others may have to wait for a lock.
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_WAIT_S * 1000)}")
    if wal:
        _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_WAIT_S * 1000)}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried while the file is locked.

    On a new file still in rollback mode, a connection that holds a read lock and needs the write
    lock while another process holds it gets SQLITE_BUSY at once: SQLite skips the busy handler where
    waiting could deadlock. Two processes that open a new database together hit this (about 1 start
    in 4 in `test_two_writer_processes_at_once` before this retry). Once the file is in WAL mode the
    pragma is a read and never waits.
    """
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


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def shown_url(url: str) -> str:
    """The URL as an error message shows it: the password replaced by `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise HarnessError(
            f"--db {shown_url(url)}: not a database URL; use sqlite:///PATH/results.db (a file; "
            "four slashes before an absolute path) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None


def _first_line(exc: BaseException, secret: str | None) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = text_[0].strip() if text_ else type(exc).__name__
    return line.replace(secret, "***") if secret else line


def _explain(
    exc: BaseException, shown: str, dialect: str, connecting: bool, secret: str | None
) -> str | None:
    """An environment failure's message, or None when `exc` is not one (a constraint, a bug)."""
    message = _first_line(exc, secret)
    low = message.lower()
    if dialect == "sqlite":
        if "database or disk is full" in low:
            return (
                f"{shown}: the disk is full ({message}); free space or pass --db on another disk. "
                "What was stored before is kept (a run continues with `harness eval --resume RUN`)"
            )
        if "disk i/o error" in low:
            return (
                f"{shown}: disk I/O error ({message}); check the disk or mount (a full disk gives "
                "this too where SQLite cannot create its -shm file)"
            )
        if "readonly database" in low or "read-only" in low:
            return f"{shown} is read-only ({message}): cannot store results there; pass another --db"
        if "unable to open database file" in low:
            return (
                f"cannot open {shown} ({message}): its folder is missing or not writable "
                "(SQLite writes a journal beside the file); pass another --db or fix the permissions"
            )
        if "locked" in low:
            return (
                f"{shown} stayed locked by another process for {SQLITE_WAIT_S:.0f} s ({message}); "
                "try again when it has finished"
            )
        return None
    if "no space left" in low or "disk full" in low:
        return f"{shown}: the server's disk is full ({message})"
    if connecting:
        return (
            f"cannot reach the results database {shown} ({message}); check that the server is "
            "running and the URL's host, port, user, password and database name, or pass another --db"
        )
    if "server closed the connection" in low or "connection" in low and "lost" in low:
        return f"lost the connection to {shown} ({message}); what was stored before is kept"
    return None


def _translate_errors(engine: Engine, shown: str, secret: str | None) -> None:
    """Raise `DatabaseUnavailable` instead of a driver's environment failure, whenever it happens."""

    def handle(ctx: ExceptionContext) -> None:
        if not isinstance(ctx.sqlalchemy_exception, DBAPIError) or ctx.original_exception is None:
            return
        if type(ctx.sqlalchemy_exception).__name__ not in ("OperationalError", "DatabaseError"):
            return  # IntegrityError and the like: the callers handle them
        connecting = ctx.connection is None or ctx.is_disconnect
        message = _explain(ctx.original_exception, shown, ctx.dialect.name, connecting, secret)
        if message is not None:
            raise DatabaseUnavailable(message) from ctx.original_exception

    event.listen(engine, "handle_error", handle)


def _create(url: URL | str, shown: str, **kwargs: Any) -> Engine:
    try:
        return create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise HarnessError(
            f"--db {shown}: unknown kind of database; use sqlite:///PATH or postgresql://..."
        ) from None
    except ModuleNotFoundError as exc:
        raise HarnessError(f"--db {shown}: its driver ({exc.name}) is not installed") from None


@dataclass(frozen=True)
class _SqliteFile:
    """What a SQLite file holds, read without writing to it."""

    empty: bool
    tables: frozenset[str] = frozenset()
    revision: str | None = None
    immutable: bool = False
    """Readable only with `immutable=1` (a WAL file in a folder this process cannot write)."""


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _writable(path: Path) -> bool:
    """Whether this process may write `path` (existing or not) and the journal beside it."""
    folder = path.parent
    if not folder.is_dir() or _read_only_mount(folder) or not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _ro_uri(path: Path, immutable: bool) -> str:
    return f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")


def _inspect_sqlite(path: Path) -> _SqliteFile:
    """The header and tables of an existing file, opened read-only (`mode=ro`): nothing is written."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except IsADirectoryError:
        raise HarnessError(
            f"{path} is a folder; --db must name a database file (sqlite:///{path}/results.db)"
        ) from None
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if not header:
        return _SqliteFile(empty=True)
    if not header.startswith(SQLITE_HEADER):
        raise HarnessError(
            f"{path} is not a SQLite database (it starts with {header[:16]!r}); it was left untouched. "
            "--db must name a harness results database, or a new file"
        )
    wal = path.with_name(path.name + "-wal")
    for immutable in (False, True):
        con = sqlite3.connect(_ro_uri(path, immutable), uri=True, timeout=SQLITE_WAIT_S)
        try:
            names = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = frozenset(r[0] for r in names)
            revision = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
            return _SqliteFile(empty=not tables, tables=tables, revision=revision, immutable=immutable)
        except sqlite3.OperationalError as exc:
            low = str(exc).lower()
            # mode=ro on a WAL file needs its -shm: where the folder is not writable (or the disk
            # is full) and no -shm exists, only immutable=1 reads it, and only safely when no WAL
            # content is pending.
            if immutable or not ("readonly" in low or "unable to open" in low or "disk i/o" in low):
                message = _explain(exc, str(path), "sqlite", False, None)
                raise DatabaseUnavailable(message or f"cannot read {path}: {exc}") from None
            if wal.exists() and wal.stat().st_size > 0:
                raise DatabaseUnavailable(
                    f"{path} is read-only here and {wal.name} beside it holds changes not yet in the "
                    "file, which a read-only open cannot see; copy the folder somewhere writable and "
                    "pass --db with the copy"
                ) from None
        except sqlite3.DatabaseError as exc:
            raise HarnessError(
                f"{path} is not a readable SQLite database ({exc}); it was left untouched"
            ) from None
        finally:
            con.close()
    raise AssertionError("unreachable")


def _check_harness_schema(where: str, tables: frozenset[str], revision: str | None) -> None:
    """Refuse a database that holds another application's tables, or a newer harness schema."""
    if not tables:
        return
    if not tables >= HARNESS_TABLES:
        listed = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
        raise HarnessError(
            f"{where} is not a harness results database: it holds another application's tables "
            f"({listed}); it was left untouched. Pass --db with a harness database, or a new file"
        )
    if revision is not None and revision not in known_revisions():
        raise HarnessError(
            f"{where} is at schema revision {revision}, which this harness does not know (a newer "
            f"harness wrote it; this one reads up to {head_revision()}); upgrade the harness"
        )


def _no_results(where: str) -> HarnessError:
    return HarnessError(
        f"{where} holds no harness results yet (it is empty); run `harness eval --db ...` to store "
        "some, or pass the --db that holds them"
    )


def make_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for `url` (default: `core.paths.default_db_url()`) at the newest schema.

    `read_only`: for the commands that only read (see the module): nothing is created, and a
    database at the current schema is opened so that nothing can be written. A read-only database
    at an older schema cannot be migrated, and is an error that says so.
    """
    raw = url or default_db_url()
    parsed = _parse(raw)
    shown = shown_url(raw)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:") or "uri" in parsed.query:
            if read_only:
                raise HarnessError(f"--db {shown}: an in-memory database holds no results")
            return _migrated(_create(parsed, shown), shown, None, wal=False)
        return _sqlite_engine(Path(database).expanduser().absolute(), read_only)
    return _server_engine(normalize_url(raw), shown, read_only, parsed.password)


def _sqlite_engine(path: Path, read_only: bool) -> Engine:
    where = str(path)
    exists = path.exists()
    if read_only and not exists:
        raise HarnessError(
            f"no results database at {path} (results, gate and report never create one); check --db "
            "or HARNESS_DB, or run `harness eval` to store results there first"
        )
    info = _inspect_sqlite(path) if exists else _SqliteFile(empty=True)
    _check_harness_schema(where, info.tables, info.revision)
    if read_only:
        if info.empty:
            raise _no_results(where)
        if info.revision == head_revision():
            immutable = info.immutable or _read_only_mount(path.parent)
            uri = _ro_uri(path, immutable)
            engine = _create(
                URL.create("sqlite", database=str(path)),
                where,
                creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            )
            event.listen(engine, "connect", _reader_pragmas)
            _translate_errors(engine, where, None)
            return engine
        if not _writable(path):
            raise DatabaseUnavailable(
                f"{path} is read-only here and at schema revision {info.revision or INITIAL_REVISION}, "
                f"older than this harness's {head_revision()}; it cannot be migrated in place: copy it "
                "somewhere writable and pass --db with the copy"
            )
        # An older schema, writable: migrate it (as a writer would), never switching its journal.
        return _migrated(_create(URL.create("sqlite", database=str(path)), where), where, None, wal=False)
    if not exists:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"cannot create the folder of the results database {path} ({exc.strerror}); "
                "pass another --db or fix the permissions"
            ) from None
    if not _writable(path):
        raise DatabaseUnavailable(
            f"cannot store results in {path}: the "
            + ("file is" if exists and not os.access(path, os.W_OK) else "folder holding it is")
            + " not writable (or on a read-only mount); pass another --db or fix the permissions"
        )
    return _migrated(_create(URL.create("sqlite", database=str(path)), where), where, None, wal=info.empty)


def _migrated(engine: Engine, shown: str, secret: str | None, *, wal: bool) -> Engine:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", functools.partial(_writer_pragmas, wal=wal))
    _translate_errors(engine, shown, secret)
    try:
        upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        message = _explain(exc, shown, engine.dialect.name, False, secret)
        raise DatabaseUnavailable(
            message or f"cannot migrate {shown} to schema {head_revision()}: {_first_line(exc, secret)}"
        ) from None
    return engine


def _server_engine(url: str, shown: str, read_only: bool, secret: str | None) -> Engine:
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    engine = _create(url, shown, connect_args=connect_args)
    _translate_errors(engine, shown, secret)
    with engine.connect() as conn:
        tables = frozenset(inspect(conn).get_table_names())
        revision = _current_revision(conn)
    _check_harness_schema(shown, tables, revision)
    if read_only and not tables:
        engine.dispose()
        raise _no_results(shown)
    if read_only and revision == head_revision():
        engine.dispose()
        if parsed.get_backend_name() == "postgresql" and "options" not in parsed.query:
            connect_args["options"] = "-c default_transaction_read_only=on"
        engine = _create(url, shown, connect_args=connect_args)
        _translate_errors(engine, shown, secret)
        return engine
    return _migrated(engine, shown, secret, wal=False)
