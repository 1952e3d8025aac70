"""Where the harness keeps its cache and its default database."""

import os
from pathlib import Path


def cache_dir() -> Path:
    """Models converted from GGUF, fetched data sets, the unpacked bundled sample.

    `HARNESS_CACHE`, else `$XDG_CACHE_HOME/harness`, else `~/.cache/harness`.
    """
    if env := os.environ.get("HARNESS_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harness"


def default_db_url() -> str:
    """`HARNESS_DB` (any SQLAlchemy URL), else SQLite at `$XDG_DATA_HOME/harness/results.db`
    (`~/.local/share/harness/results.db`)."""
    if env := os.environ.get("HARNESS_DB"):
        return env
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'harness' / 'results.db'}"
