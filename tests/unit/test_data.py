"""Data resolution and `harness data fetch` against a real HTTP server on loopback."""

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import HarnessError
from harness.engine import data
from tests.conftest import ROOT, run_harness


def _tarball(lines: int = 3) -> bytes:
    """A small archive in the official layout: flores200_dataset/{dev,devtest}/<lang>.<split>."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for split in ("dev", "devtest"):
            for lang in ("eng_Latn", "lin_Latn"):
                body = "".join(f"{lang} {split} sentence {i}\n" for i in range(lines)).encode()
                info = tarfile.TarInfo(f"flores200_dataset/{split}/{lang}.{split}")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    archive = _tarball()
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "flores200_dataset.tar.gz").write_bytes(archive)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "www"))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/flores200_dataset.tar.gz", archive
    httpd.shutdown()


def test_missing_data_names_path_and_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(HarnessError) as info:
        data.resolve("flores200", tmp_path)
    message = str(info.value)
    assert str(tmp_path / "flores200" / "dev" / "eng_Latn.dev") in message
    assert "harness data fetch flores200" in message


def test_data_dir_env_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flores200" / "dev").mkdir(parents=True)
    (tmp_path / "flores200" / "devtest").mkdir()
    (tmp_path / "flores200" / "dev" / "eng_Latn.dev").write_text("a\n")
    (tmp_path / "flores200" / "devtest" / "eng_Latn.devtest").write_text("a\n")
    monkeypatch.setenv("HARNESS_DATA_DIR", str(tmp_path))
    assert data.resolve("flores200") == tmp_path / "flores200"


def test_fetch_verifies_and_unpacks(server: tuple[str, bytes]) -> None:
    url, archive = server
    result = run_harness(
        "data", "fetch", "flores200", "--url", url, "--sha256", hashlib.sha256(archive).hexdigest()
    )
    assert result.returncode == 0, result.stderr
    folder = data.resolve("flores200")  # the cache is now the resolution
    assert folder == data.fetched_root() / "flores200"
    assert (folder / "devtest" / "lin_Latn.devtest").read_text().splitlines()[
        2
    ] == "lin_Latn devtest sentence 2"


def test_fetch_with_wrong_checksum_leaves_nothing(server: tuple[str, bytes]) -> None:
    url, _ = server
    result = run_harness("data", "fetch", "flores200", "--url", url)  # the pinned official checksum
    assert result.returncode == 2
    assert "does not match the expected b8b0b767" in result.stderr
    assert not (data.fetched_root() / "flores200").exists()
    assert list(data.fetched_root().iterdir()) == []


def test_failed_fetch_keeps_the_data_already_there(server: tuple[str, bytes]) -> None:
    url, archive = server
    run_harness(
        "data",
        "fetch",
        "flores200",
        "--url",
        url,
        "--sha256",
        hashlib.sha256(archive).hexdigest(),
        check=True,
    )
    result = run_harness("data", "fetch", "flores200", "--url", url, "--sha256", "0" * 64)
    assert result.returncode == 2
    assert data.resolve("flores200").joinpath("dev", "eng_Latn.dev").is_file()


def test_fetch_unreachable_url_is_a_clear_error() -> None:
    result = run_harness("data", "fetch", "flores200", "--url", "http://127.0.0.1:9/none.tar.gz")
    assert result.returncode == 2
    assert "could not download http://127.0.0.1:9/none.tar.gz" in result.stderr


def test_bundled_sample_unpacks_with_licence() -> None:
    root = data.bundled_sample_root()
    assert (root / "LICENSE.md").read_text().startswith("The FLORES-200 sentences")
    assert (
        len((root / "flores200" / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines())
        == 20
    )


TEN = [
    "flores200",
    "flores_plus",
    "xnli",
    "afrixnli",
    "kobest",
    "ceval",
    "agieval",
    "gaokao_bench",
    "ifmt",
    "terminology_en_de",
    "sib200",
]


def test_the_families_declare_the_ten_data_sets() -> None:
    sources = data.sources()
    assert list(sources) == TEN
    for source in sources.values():
        parts = {d.into for d in source.downloads}
        assert source.name in parts and source.licence and source.homepage and source.tasks
        assert all(path.split("/", 1)[0] in parts for path in source.file_sha256)
        assert source.not_fetched <= set(source.file_sha256)
        assert (
            source.file_sha256
            or any(d.sha256 for d in source.downloads)
            or "UNPINNED" in source.note
            or (
                "the hub's SHA-256" in source.pinning  # FLORES+: a hub commit, each file checked as listed
            )
        )


def test_per_file_pins_are_those_of_the_verified_offline_copy() -> None:
    """The committed tables against SHA256SUMS, and against the files themselves."""
    from tests.conftest import need_shared_data

    shared = need_shared_data()
    sums = dict(reversed(line.split("  ", 1)) for line in (shared / "SHA256SUMS").read_text().splitlines())
    # The official files the copy lacks (3 AfriXNLI tests, 3 SIB-200 folders, the GAOKAO 2024 update).
    unseen = (shared / "SHA256SUMS.unseen").read_text().splitlines()
    sums |= dict(reversed(line.split("  ", 1)) for line in unseen if line and not line.startswith("#"))
    pinned = {p: h for s in data.sources().values() for p, h in s.file_sha256.items()}
    # SIB-200: 205 languages x 3 splits, labels, LICENSE, SOURCE.md; 3 + 13 other unseen files
    assert len(pinned) == 263 + 618 + 16
    assert all(sums[p] == h for p, h in pinned.items())
    folders = ("xnli/", "afrixnli/", "kobest/", "ceval/", "agieval/", "gaokao_bench", "terminology_en_de/")
    folders += ("sib200/",)
    assert {p for p in sums if p.startswith(folders)} == set(pinned)  # no file of those folders left out
    assert {
        "afrixnli/amh/test.jsonl",
        "sib200/dzo_Tibt/dev.tsv",
        "gaokao_bench_updates/2024_Obj_Prompt.json",
    } <= set(pinned)
    assert data.sha256_file(shared / "kobest" / "wic" / "test.jsonl") == pinned["kobest/wic/test.jsonl"]


@pytest.mark.parametrize("name", TEN)
def test_missing_data_names_the_fetch_command_for_every_set(name: str, tmp_path: Path) -> None:
    with pytest.raises(
        HarnessError,
        match=rf"{name} data not found: expected {tmp_path}/{name}/.*"
        rf"harness data fetch {name}",
    ):
        data.resolve(name, tmp_path)


def test_more_mirrors_than_downloads_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="kobest has 1 download"):
        data.fetch("kobest", url=["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], dest_root=tmp_path)


def test_sgm_segments_one_per_line_as_the_official_recipe() -> None:
    sgm = '<doc docid="a">\n<seg id="1">A & B</seg>\n<p>\n<seg id="2"> two </seg>\n</doc>\n'
    assert data.sgm_to_text(sgm) == "A & B\n two \n"


def test_pins_are_data_files_beside_each_source(tmp_path: Path) -> None:
    from tasks.datasource import load_pins

    pin_files = sorted((ROOT / "tasks").glob("*/*.sha256"))
    assert len(pin_files) == 8  # xnli, afrixnli, kobest, ceval, agieval, gaokao_bench, terminology, sib200
    assert sum(len(load_pins(str(p.parent / "source.py"), p.stem)) for p in pin_files) == 263 + 618 + 16
    source = tmp_path / "source.py"
    with pytest.raises(HarnessError, match=r"toy\.sha256: the data pins of toy cannot be read"):
        load_pins(str(source), "toy")
    (tmp_path / "toy.sha256").write_text("abc  toy/a.txt\n")
    with pytest.raises(HarnessError, match=r"toy\.sha256: not `sha256sum` lines"):
        load_pins(str(source), "toy")
