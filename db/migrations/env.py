"""Alembic environment. `db.session.upgrade` runs it programmatically and passes an open
connection in `config.attributes["connection"]`, already inside the transaction that holds the
migration lock. Without one, `sqlalchemy.url` (or `-x url=...`) names the database.

After changing `db/models.py`, add a revision (tests/unit/test_db.py fails until there is one):

    .venv/bin/python -c "from alembic import command; from db.session import alembic_config as c
    cfg = c(); cfg.set_main_option('sqlalchemy.url', 'sqlite:////tmp/schema.db')
    command.upgrade(cfg, 'head'); command.revision(cfg, 'what changed', autogenerate=True, rev_id='0002')"

then review the file it writes in `versions/` and format it with `ruff format`.
"""

from alembic import context
from sqlalchemy import Connection, create_engine

from db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: autogenerate batch (copy and move) operations for it.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _url() -> str:
    from db.session import normalize_url

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    return normalize_url(url)


def run_migrations() -> None:
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
