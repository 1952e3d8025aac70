"""FLORES+ end to end: `harness data fetch flores_plus` from a local server that answers as the hub
does for a gated dataset (folder listings with each file's SHA-256, `resolve/<revision>/...` file
URLs redirected to a file host), then `harness eval` of the tiny model on a `flores+_` direction.

The served parquet files are built here in FLORES+'s published layout (`dev/<code>.parquet`,
`devtest/<code>.parquet`, columns id, iso_639_3, iso_15924, glottocode, text) from real FLORES-200
sentences of three languages, Chinese under its FLORES+ code `cmn_Hans`, rows shuffled."""

import hashlib
import http.server
import io
import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.flores.source import FLORES_PLUS_REVISION
from tests.conftest import need_shared_data, run_harness

REPO = "openlanguagedata/flores_plus"
TOKEN = "hf_test-secret-4c9e1f0b7a"  # noqa: S105 (a made-up token the test looks for everywhere)
LANGS = {"eng_Latn": "eng_Latn", "lin_Latn": "lin_Latn", "cmn_Hans": "zho_Hans"}
"""FLORES+ code -> the FLORES-200 file its sentences come from."""
ROWS = 6


def _parquet(code: str, sentences: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    iso, script = code.split("_")
    order = list(range(len(sentences)))
    random.Random(code).shuffle(order)  # the task must put rows back in `id` order
    table = pa.table(
        {
            "id": [i + 1 for i in order],
            "iso_639_3": [iso] * len(order),
            "iso_15924": [script] * len(order),
            "glottocode": ["xxxx1234"] * len(order),
            "text": [sentences[i] for i in order],
            "url": ["https://example.org"] * len(order),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _tree(shared: Path) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    files, sentences = {}, {}
    for split in ("dev", "devtest"):
        for code, source in LANGS.items():
            path = shared / "flores200" / split / f"{source}.{split}"
            lines = path.read_text(encoding="utf-8").splitlines()[:ROWS]
            files[f"{split}/{code}.parquet"] = _parquet(code, lines)
            sentences[f"{split}/{code}"] = lines
    return files, sentences


class _Hub:
    """What the servers saw: (path, Authorization header or None) per request, by server."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.seen: dict[str, list[tuple[str, str | None]]] = {"hub": [], "cdn": []}
        self.cdn = ""


def _handler(hub: _Hub, role: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            auth = self.headers.get("Authorization")
            hub.seen[role].append((self.path, auth))
            if role == "cdn":  # a signed file URL: no token needed, none should arrive
                self._send(200, hub.files[self.path.removeprefix("/files/")])
                return
            if auth != f"Bearer {TOKEN}":
                self._send(401, b'{"error": "Access to dataset openlanguagedata/flores_plus is restricted"}')
                return
            tree = f"/api/datasets/{REPO}/tree/{FLORES_PLUS_REVISION}/"
            resolve = f"/datasets/{REPO}/resolve/{FLORES_PLUS_REVISION}/"
            if self.path.startswith(tree):
                folder = self.path.removeprefix(tree)
                listing = [
                    {
                        "type": "file",
                        "path": path,
                        "size": len(body),
                        "lfs": {"oid": hashlib.sha256(body).hexdigest(), "size": len(body)},
                    }
                    for path, body in sorted(hub.files.items())
                    if path.startswith(folder + "/")
                ]
                self._send(200, json.dumps(listing).encode(), {"Content-Type": "application/json"})
            elif self.path.startswith(resolve) and self.path.removeprefix(resolve) in hub.files:
                self._send(302, b"", {"Location": f"{hub.cdn}/files/{self.path.removeprefix(resolve)}"})
            else:
                self._send(404, b"not found")

    return Handler


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[_Hub, str, dict[str, list[str]]]]:
    files, sentences = _tree(need_shared_data())
    state = _Hub(files)
    servers = {
        role: http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, role))
        for role in ("hub", "cdn")
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    # "localhost" vs "127.0.0.1": two hosts, as the hub and its file CDN are.
    state.cdn = f"http://localhost:{servers['cdn'].server_address[1]}"
    yield state, f"http://127.0.0.1:{servers['hub'].server_address[1]}", sentences
    for server in servers.values():
        server.shutdown()


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_fetch_gated_flores_plus_and_evaluate(
    hub: tuple[_Hub, str, dict[str, list[str]]],
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, endpoint, sentences = hub
    dest = tmp_path / "data"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HARNESS_HF_TOKEN", raising=False)

    # Without a token: an error naming the variables, nothing placed, nothing asked of the hub.
    refused = run_harness("data", "fetch", "flores_plus", "--dest", str(dest))
    assert refused.returncode != 0
    assert "HF_TOKEN" in refused.stderr and "gated" in refused.stderr
    assert not (dest / "flores_plus").exists() and state.seen["hub"] == []

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    fetched = run_harness("data", "fetch", "flores_plus", "--dest", str(dest))
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    folder = dest / "flores_plus"
    # Every hub request carried the token; the file host never received it.
    assert len(state.seen["hub"]) == 2 + 6 and all(a == f"Bearer {TOKEN}" for _, a in state.seen["hub"])
    assert len(state.seen["cdn"]) == 6 and all(a is None for _, a in state.seen["cdn"])
    # FLORES-200's layout, rows in id order, one sentence a line.
    for key, lines in sentences.items():
        split = key.split("/")[0]
        assert (folder / f"{key}.{split}").read_text(encoding="utf-8") == "".join(s + "\n" for s in lines)
    assert (folder / "REVISION").read_text() == FLORES_PLUS_REVISION + "\n"
    # The per-file pins a first fetch leaves for `tasks/flores/flores_plus.sha256`.
    sums = dict(reversed(line.split("  ", 1)) for line in (folder / "SHA256SUMS").read_text().splitlines())
    placed = [p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"]
    assert len(placed) == 7 and sums == {
        f"flores_plus/{p.relative_to(folder).as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in placed
    }
    # The token is in no stored file and no output.
    assert TOKEN.encode() not in _all_bytes(dest)
    assert TOKEN not in fetched.stdout + fetched.stderr

    task = "flores+_eng_Latn-cmn_Hans"
    listed = run_harness("tasks", "list", "--family", "flores+", "--data-dir", str(dest), check=True).stdout
    assert "flores+\t4 tasks" in listed and "flores+_cmn\t2 tasks" in listed
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", task, "--limit", "2", "--data-dir", str(dest),
        "--no-cache", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert TOKEN not in result.stdout + result.stderr
    rows = {r["metric"]: r for r in json.loads(result.stdout)["results"] if r["task"] == task}
    version = f"|data:flores_plus@{FLORES_PLUS_REVISION}"
    for metric in ("chrf++", "bleu"):
        assert rows[metric]["signature"].endswith(version), rows[metric]["signature"]
    assert rows["chrf++"]["n"] == 2
    import os

    db = Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))
    assert TOKEN.encode() not in db.read_bytes()
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "select distinct family, language, source_language, task_version from task_results "
            "where task = ?",
            (task,),
        ).fetchall()
        prompt, target = conn.execute(
            "select prompt, target from samples where task = ? and doc_id = 1", (task,)
        ).fetchone()
    # Stored under the FLORES-200 code of its target, so language views meet FLORES-200's rows.
    assert stored == [
        ("flores+", "zho_Hans", "eng_Latn", f"flores-prompt-v1+flores_plus@{FLORES_PLUS_REVISION}")
    ]
    assert prompt == f"English: {sentences['devtest/eng_Latn'][1]}\nChinese (Simplified):"
    assert target == sentences["devtest/cmn_Hans"][1]
