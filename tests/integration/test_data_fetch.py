"""`harness data fetch` / `data list` against a local HTTP server serving archives built, in the
official layouts, from the real files of the offline copy (so the per-file SHA-256 pins verify)."""

import dataclasses
import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.errors import HarnessError
from harness.engine import data
from tests.conftest import need_shared_data, run_harness
from tests.unit.test_data import TEN


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def www(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 (any free port), and its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)


def _zipball(top: str, files: dict[str, bytes]) -> bytes:
    """A GitHub zipball: every path under one `<owner>-<repo>-<sha>/` folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, body in files.items():
            bundle.writestr(f"{top}/{path}", body)
    return buffer.getvalue()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _gaokao_repos(shared: Path, tamper: str | None = None) -> tuple[bytes, bytes]:
    """OpenLMLab/GAOKAO-Bench and GAOKAO-Bench-2023 as their repositories lay the files out."""
    main: dict[str, bytes] = {"README.md": b"not part of the layout\n", "Bench/choice_bench.py": b"pass\n"}
    for path, body in _files(shared / "gaokao_bench").items():
        main[
            path if path == "LICENSE" else ("Bench/" if path.endswith("_Prompt.json") else "Data/") + path
        ] = body
    main["Data/Objective_Questions/gemini-pro_2010-2013_English_MCQs.json"] = b"{}"  # model outputs, dropped
    if tamper:
        main[tamper] = main[tamper].replace(b"}", b" }", 1)
    update = {
        ("Bench/" + p if p.endswith("_Prompt.json") else "Data/" + p.removeprefix("GAOKAO-Bench-2023/")): body
        for p, body in _files(shared / "gaokao_bench_updates").items()
    }
    return (
        _zipball("OpenLMLab-GAOKAO-Bench-0123abc", main),
        _zipball("OpenLMLab-GAOKAO-Bench-2023-4567def", update),
    )


def test_github_zipballs_unpack_to_the_shared_layout_byte_for_byte(
    www: tuple[Path, str], tmp_path: Path
) -> None:
    shared = need_shared_data()
    root, base = www
    main, update = _gaokao_repos(shared)
    (root / "gaokao.zip").write_bytes(main)
    (root / "gaokao2023.zip").write_bytes(update)
    dest = tmp_path / "data"
    result = run_harness(
        "data", "fetch", "gaokao_bench", "--url", f"{base}/gaokao.zip", "--url", f"{base}/gaokao2023.zip",
        "--url", f"{base}/no-2024-here.zip", "--dest", str(dest),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for part in ("gaokao_bench", "gaokao_bench_updates"):
        expected = _files(shared / part)
        assert len(expected) > 10
        assert _files(dest / part) == expected
    assert data.resolve("gaokao_bench", dest) == dest / "gaokao_bench"
    assert sorted(p.name for p in dest.iterdir()) == ["gaokao_bench", "gaokao_bench_updates"]  # no leftovers


def test_a_tampered_file_fails_naming_it_and_nothing_is_moved(www: tuple[Path, str], tmp_path: Path) -> None:
    shared = need_shared_data()
    root, base = www
    bad = "Data/Objective_Questions/2010-2022_Biology_MCQs.json"
    main, update = _gaokao_repos(shared, tamper=bad)
    (root / "gaokao.zip").write_bytes(main)
    (root / "gaokao2023.zip").write_bytes(update)
    dest = tmp_path / "data"
    result = run_harness(
        "data", "fetch", "gaokao_bench", "--url", f"{base}/gaokao.zip", "--url", f"{base}/gaokao2023.zip",
        "--url", f"{base}/no-2024-here.zip", "--dest", str(dest),
    )  # fmt: skip
    assert result.returncode == 2
    pinned = data.sources()["gaokao_bench"].file_sha256[
        "gaokao_bench/Objective_Questions/2010-2022_Biology_MCQs.json"
    ]
    message = " ".join(result.stderr.split())
    assert "gaokao_bench/Objective_Questions/2010-2022_Biology_MCQs.json: SHA-256" in message
    assert f"does not match the expected {pinned}" in message
    assert list(dest.iterdir()) == []  # not even the verified update part


def _parquet(rows: list[dict[str, object]]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer)
    return buffer.getvalue()


def test_hub_parquet_becomes_the_shared_jsonl_byte_for_byte(
    www: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = need_shared_data()
    root, base = www
    hub = root / "datasets" / "skt" / "kobest_v1" / "resolve" / "refs" / "convert" / "parquet"
    expected = _files(shared / "kobest")
    assert len(expected) == 15
    for path, body in expected.items():
        rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
        target = hub / path.replace(".jsonl", "/0000.parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_parquet(rows))
    monkeypatch.setenv("HF_ENDPOINT", base)  # as a user points the harness at a hub mirror
    folder = data.fetch("kobest", dest_root=tmp_path / "data")
    assert _files(folder) == expected


def test_hub_file_with_other_rows_fails_and_leaves_nothing(www: tuple[Path, str], tmp_path: Path) -> None:
    shared = need_shared_data()
    root, base = www
    hub = root / "datasets" / "skt" / "kobest_v1" / "resolve" / "refs" / "convert" / "parquet"
    for path, body in _files(shared / "kobest").items():
        rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
        if path == "wic/test.jsonl":
            rows = rows[:-1]
        (hub / path.replace(".jsonl", "")).mkdir(parents=True)
        (hub / path.replace(".jsonl", "/0000.parquet")).write_bytes(_parquet(rows))
    with pytest.raises(
        HarnessError, match=r"kobest/wic/test\.jsonl: SHA-256 \w+ does not match the expected"
    ):
        data.fetch("kobest", url=base, dest_root=tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []


def _wmt_tgz(shared: Path) -> bytes:
    """WMT17 test.tgz with the two newstest2017 en-de sgm files, segments wrapped as WMT wraps them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for lang, name in (("en", "newstest2017-ende-src.en.sgm"), ("de", "newstest2017-ende-ref.de.sgm")):
            lines = (shared / "terminology_en_de" / "newstest2017_en-de" / f"newstest2017.{lang}").read_text(
                encoding="utf-8"
            )
            segs = "".join(f'<seg id="{i}">{line}</seg>\n' for i, line in enumerate(lines.splitlines(), 1))
            head = '<srcset setid="newstest2017" srclang="any">\n<doc sysid="ref" docid="x">\n<p>\n'
            body = f"{head}{segs}</p>\n</doc>\n</srcset>\n"
            info = tarfile.TarInfo(f"test/{name}")
            raw = body.encode("utf-8")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def test_terminology_set_from_its_repository_and_the_wmt17_sgm(www: tuple[Path, str], tmp_path: Path) -> None:
    shared = need_shared_data()
    root, base = www
    terms = _files(shared / "terminology_en_de" / "terminology")
    repo = {"README.md": b"readme\n", "print_lines.py": b"pass\n", "LICENSE": terms["LICENSE"]}
    repo |= {
        ("iate/" if p.startswith("iate") else "wiktionary/") + p: b
        for p, b in terms.items()
        if p.endswith(".tsv")
    }
    (root / "terms.zip").write_bytes(_zipball("mtresearcher-terminology_dataset-89abcde", repo))
    (root / "test.tgz").write_bytes(_wmt_tgz(shared))
    folder = data.fetch(
        "terminology_en_de", url=[f"{base}/terms.zip", f"{base}/test.tgz"], dest_root=tmp_path
    )
    expected = _files(shared / "terminology_en_de")
    del expected["terminology/LICENSE.wiktionary"]  # declared as not fetched: no known official path
    assert len(expected) == 7
    assert _files(folder) == expected


def test_data_list_shows_ten_sets_present_and_missing(www: tuple[Path, str], tmp_path: Path) -> None:
    shared = need_shared_data()
    root, base = www
    main, update = _gaokao_repos(shared)
    (root / "gaokao.zip").write_bytes(main)
    dest = tmp_path / "data"
    # the optional 2023 part is not served: fetched without it, and listed as missing
    data.fetch(
        "gaokao_bench",
        url=[f"{base}/gaokao.zip", f"{base}/nothing.zip", f"{base}/nothing.zip"],
        dest_root=dest,
    )
    result = run_harness("data", "list", "--json", "--data-dir", str(dest), check=True)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == sorted(TEN)
    assert [n for n, row in rows.items() if row["status"] == "present"] == ["gaokao_bench"]
    assert rows["gaokao_bench"]["parts"] == {"gaokao_bench": True, "gaokao_bench_updates": False}
    assert rows["gaokao_bench"]["size_bytes"] == sum(len(b) for b in _files(shared / "gaokao_bench").values())
    assert rows["ifmt"]["pinning"] == "revision only (no checksum)" and "UNPINNED" in rows["ifmt"]["note"]
    assert rows["terminology_en_de"]["families"] == ["ifmt_terms"]
    table = run_harness("data", "list", "--data-dir", str(shared), check=True).stdout
    assert rows["sib200"]["families"] == ["sib200", "sib200_afrobench"]
    assert all(name in table for name in rows) and table.count("present") >= 10


UNSEEN_SIB = ("dzo_Tibt", "nqo_Nkoo", "tzm_Tfng")
"""SIB-200 folders of the official release that the offline copy lacks (pinned from SHA256SUMS.unseen)."""


def _sib_repo(files: dict[str, bytes], extra: dict[str, bytes]) -> dict[str, bytes]:
    """dadelani/sib-200 as the repository lays it out (`data/annotated/<lang>/`, `data/eng/labels.txt`,
    code and per-language label copies that the layout drops), with `extra` annotated files."""
    repo = {"README.md": b"readme\n", "code/train_textclass.py": b"pass\n", "LICENSE": files["LICENSE"]}
    repo["data/eng/labels.txt"] = files["labels.txt"]
    repo |= {f"data/annotated/{p}": b for p, b in files.items() if p.endswith(".tsv")}
    repo["data/annotated/lin_Latn/labels.txt"] = files["labels.txt"]  # per-language copies upstream
    return repo | {f"data/annotated/{p}": b for p, b in extra.items()}


def test_sib200_places_every_pinned_folder_of_the_release(
    www: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The three folders the offline copy lacks are pinned: a repository holding them places them,
    verified (their real bytes are not here, so their pins are replaced by those of stand-ins)."""
    shared = need_shared_data()
    source = data.sources()["sib200"]
    commit = "593cea88519930f776c1a4a1980b6a35b39dca57"
    assert source.downloads[0].source_url == f"https://api.github.com/repos/dadelani/sib-200/zipball/{commit}"
    files = _files(shared / "sib200")
    stand_ins = {
        f"{lang}/{split}.tsv": f"{lang} {split}\n".encode()
        for lang in UNSEEN_SIB
        for split in ("train", "dev", "test")
    }
    pins = dict(source.file_sha256)
    assert all(f"sib200/{p}" in pins for p in stand_ins)
    pins |= {f"sib200/{p}": hashlib.sha256(b).hexdigest() for p, b in stand_ins.items()}
    monkeypatch.setattr(data, "_source", lambda name: dataclasses.replace(source, file_sha256=pins))
    root, base = www
    (root / "sib.zip").write_bytes(_zipball(f"dadelani-sib-200-{commit[:7]}", _sib_repo(files, stand_ins)))
    folder = data.fetch("sib200", url=f"{base}/sib.zip", dest_root=tmp_path / "data")
    expected = {p: b for p, b in files.items() if p != "SOURCE.md"} | stand_ins  # SOURCE.md: the copy's note
    assert len(expected) == 205 * 3 + 2
    assert _files(folder) == expected


def test_sib200_without_the_unseen_folders_fails_naming_them(www: tuple[Path, str], tmp_path: Path) -> None:
    shared = need_shared_data()
    files = _files(shared / "sib200")
    root, base = www
    wrong = {"dzo_Tibt/test.tsv": files["lin_Latn/test.tsv"]}  # another language's file under its name
    (root / "sib.zip").write_bytes(_zipball("dadelani-sib-200-593cea8", _sib_repo(files, wrong)))
    result = run_harness(
        "data", "fetch", "sib200", "--url", f"{base}/sib.zip", "--dest", str(tmp_path / "data")
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "sib200: 9 file(s) failed verification, nothing was changed" in message
    assert "sib200/dzo_Tibt/dev.tsv is missing from the download" in message
    assert not (tmp_path / "data" / "sib200").exists()


def test_gaokao_2024_update_is_verified_and_placed_beside_2023(
    www: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third part (OpenLMLab/GAOKAO-Bench-Updates) places the 2024 files its pins name (stand-ins
    here, the real bytes are not in the offline copy), and a fetch without it still places 2023."""
    shared = need_shared_data()
    source = data.sources()["gaokao_bench"]
    unseen = sorted(p for p in source.file_sha256 if "2024" in p)
    assert len(unseen) == 13
    stand_ins = {p.removeprefix("gaokao_bench_updates/"): f"{p}\n".encode() for p in unseen}
    pins = dict(source.file_sha256) | {
        f"gaokao_bench_updates/{p}": hashlib.sha256(b).hexdigest() for p, b in stand_ins.items()
    }
    monkeypatch.setattr(data, "_source", lambda name: dataclasses.replace(source, file_sha256=pins))
    root, base = www
    main, update = _gaokao_repos(shared)
    (root / "gaokao.zip").write_bytes(main)
    (root / "gaokao2023.zip").write_bytes(update)
    updates = {("Bench/" + p if p.endswith("_Prompt.json") else "Data/" + p): b for p, b in stand_ins.items()}
    (root / "gaokao2024.zip").write_bytes(_zipball("OpenLMLab-GAOKAO-Bench-Updates-89abcde", updates))
    urls = [f"{base}/gaokao.zip", f"{base}/gaokao2023.zip", f"{base}/gaokao2024.zip"]
    folder = data.fetch("gaokao_bench", url=urls, dest_root=tmp_path / "data")
    placed = _files(folder.parent / "gaokao_bench_updates")
    assert placed == _files(shared / "gaokao_bench_updates") | stand_ins


def test_flores200_spm_is_fetched_verified_and_then_used_by_spbleu(
    www: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`harness data fetch flores200-spm` from a mirror: a file with another hash is refused and
    nothing placed; the pinned file (a tiny SentencePiece model standing in, pinned by its hash) is
    placed where sacrebleu reads it, and spBLEU is computed from then on."""
    import os

    from core import spm
    from core.mt import corpus_score
    from tests.unit.test_metrics import _train_spm

    root, base = www
    (root / "wrong.model").write_bytes(b"not a sentencepiece model")
    result = run_harness("data", "fetch", "flores200-spm", "--url", f"{base}/wrong.model")
    assert result.returncode == 2
    assert "does not match the pinned flores200 SentencePiece model" in " ".join(result.stderr.split())
    assert not spm.spm_model_path().exists()
    assert "harness data fetch flores200-spm" in corpus_score("spbleu", ["a"], ["a"]).note

    model = _train_spm(tmp_path)
    (root / "flores200.model").write_bytes(model.read_bytes())
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    monkeypatch.setattr(spm, "FLORES200_SPM_SHA256", digest)
    placed = data.fetch_spm(f"{base}/flores200.model")
    assert placed == spm.spm_model_path() and placed.read_bytes() == model.read_bytes()
    assert placed.parent == Path(os.environ["SACREBLEU"]) / "models"
    score = corpus_score("spbleu", ["Mbote na bino"], ["Mbote na bino"])
    assert score.value is not None and f"spm_sha256:{digest}" in score.signature
