"""A response cache for model requests: what a model answered to a request, kept on disk as JSON in
SQLite (no pickle), so that re-running an evaluation, or resuming a killed one, does not ask the
model again.

Key: (model key, request type, SHA-256 of the request's arguments as JSON). The model key
(`model_key`) identifies what produces the numbers:

- the weights: SHA-256 of every file of the checkpoint folder (weights, config, tokenizer files;
  for a PEFT adapter, the adapter folder's files and the base model's), so retraining into the same
  folder gives a new key; a hub id is resolved to its local snapshot folder, which is hashed the
  same way;
- the dtype and the device type (CPU and GPU kernels differ in the last bits);
- the backend class and the lm-eval version (tokenisation of request pairs is lm-eval's), and the
  engine's own version (vLLM) and tensor-parallel size;
- for a served model (`served_model_key`): the URL, the served name and what the server reports
  about the model and itself, with the local tokenizer's files.

Batch size is not in the key: it changes loglikelihoods by float rounding only (~1e-6).
Answers are written in chunks as they are computed, each chunk in its own transaction, so a run
killed with SIGKILL loses at most the chunk in flight. File hashes are memoised on (path, size,
mtime) in the same database.
"""

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.paths import cache_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    model_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (model_key, kind, request_hash)
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""


def default_path() -> Path:
    return cache_dir() / "responses.sqlite"


def request_hash(args: Any) -> str:
    return hashlib.sha256(json.dumps(args, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ResponseCache:
    """One SQLite file shared by all models; safe for several processes (WAL, busy timeout)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._conn.commit()

    def get_many(self, model_key: str, kind: str, hashes: list[str]) -> dict[str, Any]:
        """request hash -> cached response, for those present."""
        out: dict[str, Any] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT request_hash, response FROM responses WHERE model_key = ? AND kind = ? "
                    f"AND request_hash IN ({marks})",
                    (model_key, kind, *chunk),
                )
                out.update({h: json.loads(r) for h, r in rows})
        return out

    def put_many(self, model_key: str, kind: str, items: Iterable[tuple[str, Any, Any]]) -> None:
        """Store (request hash, request, response) triples in one transaction."""
        rows = [
            (model_key, kind, h, json.dumps(req, ensure_ascii=False), json.dumps(resp, ensure_ascii=False))
            for h, req, resp in items
        ]
        with self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)", rows)

    def count(self, model_key: str | None = None) -> int:
        with self._lock:
            if model_key is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
            query = "SELECT COUNT(*) FROM responses WHERE model_key = ?"
            return int(self._conn.execute(query, (model_key,)).fetchone()[0])

    def file_sha256(self, path: Path) -> str:
        stat = path.stat()
        key = str(path.resolve())
        with self._lock:
            row = self._conn.execute(
                "SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
                (key, stat.st_size, stat.st_mtime_ns),
            ).fetchone()
        if row:
            return str(row[0])
        from core.hashing import sha256_file

        digest = sha256_file(path)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                (key, stat.st_size, stat.st_mtime_ns, digest),
            )
        return digest

    def close(self) -> None:
        self._conn.close()


def folder_digest(cache: ResponseCache, folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every regular file under a checkpoint folder (hidden ones aside)."""
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)
    )
    return {str(p.relative_to(folder)): cache.file_sha256(p) for p in files}


def local_folder(pretrained: str) -> Path:
    """A checkpoint folder, or a hub id's local snapshot (downloaded when the hub is reachable)."""
    path = Path(pretrained)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(pretrained))


def model_key(
    cache: ResponseCache,
    pretrained: str,
    peft: str | None,
    dtype: str,
    device: str,
    backend: str,
    engine: dict[str, Any] | None = None,
) -> str:
    """The key of a local model: its files, dtype, device type, backend class, lm-eval's version and
    the engine's own identity (`engine`: vLLM's version and tensor-parallel size)."""
    import lm_eval

    payload = {
        "weights": folder_digest(cache, local_folder(pretrained)),
        "adapter": folder_digest(cache, Path(peft)) if peft else None,
        "dtype": dtype,
        "device": device.split(":")[0],
        "backend": backend,
        "lm_eval": getattr(lm_eval, "__version__", "unknown"),
    }
    if engine:
        payload["engine"] = engine
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def served_model_key(cache: ResponseCache, tokenizer_folder: str | None, served: dict[str, Any]) -> str:
    """The key of a served model (`--backend api`): the completions URL, the served model's name and
    what the server reports about it (`served`: its `/v1/models` entry without the volatile `created`
    time, and the server's `/version` when it has one), plus the local tokenizer's files when
    requests are sent as token ids. A server that swaps weights under the same name and version
    cannot be told apart; `--no-cache` is for that case."""
    import lm_eval

    payload = {
        "served": served,
        "tokenizer": folder_digest(cache, Path(tokenizer_folder)) if tokenizer_folder else None,
        "backend": "local-completions",
        "lm_eval": getattr(lm_eval, "__version__", "unknown"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
