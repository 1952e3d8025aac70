"""SHA-256 of files and of JSON-serialisable descriptions: the one place checksums are computed."""

import hashlib
import json
from pathlib import Path
from typing import Any

FileVersion = tuple[Path, int, int, int]
"""(resolved path, inode, size, mtime in ns): a file replaced or rewritten in place changes it."""

_FILE_DIGESTS: dict[FileVersion, str] = {}
"""File version -> digest: a run hashes the same files many times (FLORES's English files once per
direction)."""


def file_version(path: Path) -> FileVersion:
    """The key under which what is read from a file can be remembered for a run."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return resolved, stat.st_ino, stat.st_size, stat.st_mtime_ns


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks (remembered per file version)."""
    key = file_version(path)
    if key in _FILE_DIGESTS:
        return _FILE_DIGESTS[key]
    digest = hashlib.sha256()
    with key[0].open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    _FILE_DIGESTS[key] = digest.hexdigest()
    return _FILE_DIGESTS[key]


def content_hash(payload: dict[str, Any]) -> str:
    """SHA-256 of a JSON-serialisable description of a task (template, config, data checksums)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
