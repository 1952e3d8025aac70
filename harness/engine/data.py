"""Where evaluation data lives: resolution order, `harness data fetch` and `harness data list`.

The families declare their data sets (`tasks/<family>/source.py`: official downloads, pinned
versions, per-file SHA-256, layout); this module only resolves, fetches, verifies and lists them.
Order: `--data-dir` / `HARNESS_DATA_DIR` (a folder holding `flores200/` etc.), else the user cache
filled by `harness data fetch NAME`. Missing data is an error naming the path and the fetch command,
never a fallback to a sample. The bundled sample is used only when asked for.
"""

import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import HarnessError
from core.hashing import sha256_file
from core.paths import cache_dir
from tasks.datasource import DataSource, Download
from tasks.registry import data_sources

BUNDLED_SAMPLE = Path(__file__).parents[1] / "bundled" / "flores200-sample.tar.gz"
HF_ENDPOINT = "https://huggingface.co"
log = logging.getLogger(__name__)


def sources() -> dict[str, DataSource]:
    """Every declared data set by name (collected from the families through the registry)."""
    return {name: source for name, (source, _) in data_sources().items()}


def _source(name: str) -> DataSource:
    known = sources()
    if name not in known:
        raise HarnessError(f"unknown data set {name!r}; known: {', '.join(sorted(known))}")
    return known[name]


def fetched_root() -> Path:
    """Where `harness data fetch` unpacks data sets."""
    return cache_dir() / "data"


def data_root(data_dir: str | Path | None = None) -> tuple[Path, str]:
    """The data root in resolution order, and how it was chosen (for messages)."""
    explicit = data_dir if data_dir is not None else os.environ.get("HARNESS_DATA_DIR")
    if not explicit:
        return fetched_root(), "the harness cache"
    origin = "--data-dir" if data_dir is not None else "HARNESS_DATA_DIR"
    return Path(explicit).expanduser(), f"{origin}={explicit}"


def resolve(name: str, data_dir: str | Path | None = None) -> Path:
    """The folder of data set `name`, or a HarnessError naming where it was expected and how to get it."""
    source = _source(name)
    root, where = data_root(data_dir)
    folder = root / name
    missing = source.layout.check(folder)
    if missing:
        raise HarnessError(
            f"{name} data not found: expected {missing[0]} ({where}). "
            f"Run `harness data fetch {name}` to download it from {source.downloads[0].source_url} "
            f"into {fetched_root()}, or pass --data-dir with a folder that contains {name}/ in the "
            "official layout."
        )
    return folder


def _download(url: str, target: Path, headers: dict[str, str] | None = None) -> None:
    from tqdm import tqdm

    from harness.engine.hub import open_url

    try:
        with open_url(url, headers or {}) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with (
                target.open("wb") as out,
                tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar,
            ):
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as exc:
        raise HarnessError(
            f"could not download {url}: {exc}. Check the network, or pass --url with a mirror"
        ) from exc


def fetch_spm(url: str | None = None, sha256: str | None = None) -> Path:
    """Download the flores200 SentencePiece model spBLEU needs (`url`: a mirror), verify its pinned
    SHA-256 and place it where sacrebleu reads it (`core.spm.spm_model_path`); nothing is placed
    when the file does not verify. An existing verified file is kept."""
    from core import spm

    if spm.spm_status().available:
        return spm.spm_model_path()
    source = url or spm.FLORES200_SPM_URL
    expected = sha256 or spm.FLORES200_SPM_SHA256
    target = spm.spm_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".spm-") as tmp:
        staged = Path(tmp) / target.name
        _download(source, staged)
        if (found := sha256_file(staged)) != expected:
            raise HarnessError(
                f"{source}: SHA-256 {found} does not match the pinned flores200 SentencePiece model "
                f"{expected}; nothing was placed (check the --url mirror)"
            )
        staged.rename(target)
    return target


def fetch(
    name: str,
    url: str | Sequence[str] | None = None,
    sha256: str | None = None,
    dest_root: Path | None = None,
) -> Path:
    """Download the official files of `name`, convert them to our layout, verify every pinned
    SHA-256 and move the result into `<dest_root>/<name>` (and any extra part beside it).

    `url`: mirrors, one per declared download in order (for a hub download: the endpoint).
    `sha256`: the expected archive SHA-256 of the first download (default: the pinned one).
    Nothing is moved into place unless every file verifies and the layout is complete.
    """
    source = _source(name)
    mirrors = [url] if isinstance(url, str) else list(url or [])
    if len(mirrors) > len(source.downloads):
        raise HarnessError(f"{name} has {len(source.downloads)} download(s); got {len(mirrors)} --url")
    dest_root = dest_root or fetched_root()
    dest_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_root, prefix=f".{name}-") as tmp:
        staged, parts, fetched = Path(tmp) / "staged", set(), []
        for i, download in enumerate(source.downloads):
            mirror = mirrors[i] if i < len(mirrors) else None
            try:
                _stage(source, download, mirror, sha256 if i == 0 else None, staged, Path(tmp) / str(i))
            except HarnessError as exc:
                if not download.optional:
                    raise
                log.warning("%s: optional part %s skipped: %s", name, download.into, exc)
                continue
            parts.add(download.into)
            fetched.append(download)
        _verify(source, staged, fetched)
        if not source.file_sha256 and not any(d.sha256 for d in fetched):
            _write_sums(staged / source.name)
        for part in sorted(parts):
            target = dest_root / part
            if target.exists():
                target.rename(Path(tmp) / f"old-{part}")  # removed with the temporary folder
            (staged / part).rename(target)
    return dest_root / name


def _stage(
    source: DataSource, download: Download, mirror: str | None, sha256: str | None, staged: Path, work: Path
) -> None:
    """Download one part and write its files, converted, under `staged/<into>/`."""
    work.mkdir(parents=True)
    pinned = {p for p in source.file_sha256 if p.startswith(download.into + "/")}
    out = staged / download.into
    if download.kind == "hf":
        _stage_hub(download, (mirror or os.environ.get("HF_ENDPOINT") or HF_ENDPOINT).rstrip("/"), out, work)
        return
    url = mirror or download.source_url
    archive = work / "archive"
    _download(url, archive)
    expected = sha256 or download.sha256
    if expected and (found := sha256_file(archive)) != expected:
        raise HarnessError(f"{url}: SHA-256 {found} does not match the expected {expected}")
    unpacked = _unpack(archive, work / "unpacked", download, url)
    for file in sorted(p for p in unpacked.rglob("*") if p.is_file()):
        mapped = _map(file.relative_to(unpacked).as_posix(), download.files)
        if mapped is not None and (not pinned or f"{download.into}/{mapped}" in pinned):
            _place(file, out / mapped, url)


def _stage_hub(download: Download, endpoint: str, out: Path, work: Path) -> None:
    """A hub dataset's files at the pinned revision: a folder rule's files as the hub lists them, each
    checked against the SHA-256 the listing gives; the token sent for a gated dataset only."""
    from harness.engine import hub

    headers = hub.auth_headers(download.gated, download.repo)
    wanted: list[tuple[str, str, str]] = []  # (hub path, our path, the hub's SHA-256 or "")
    for hub_path, target in download.files:
        if not hub_path.endswith("/"):
            wanted.append((hub_path, target, ""))
            continue
        listed = hub.list_folder(endpoint, download.repo, download.version, hub_path, headers)
        if not listed:
            raise HarnessError(f"{download.repo}@{download.version}: {hub_path} lists no files")
        wanted += [(f.path, target + f.path[len(hub_path) :], f.sha256) for f in listed]
    for i, (hub_path, target, expected) in enumerate(wanted):
        url = hub.file_url(endpoint, download.repo, download.version, hub_path)
        local = work / f"{i}-{Path(hub_path).name}"
        _download(url, local, headers)
        if expected and (found := sha256_file(local)) != expected:
            raise HarnessError(f"{url}: SHA-256 {found} does not match the hub's {expected}")
        if download.text_column and hub_path.endswith(".parquet"):
            _parquet_lines(local, out / target, download.text_column, url)
        else:
            _place(local, out / target, url)
    if any(src.endswith("/") for src, _ in download.files):
        out.mkdir(parents=True, exist_ok=True)  # a listed download records the revision it listed
        (out / "REVISION").write_text(download.version + "\n", encoding="utf-8")


def _parquet_lines(src: Path, dest: Path, column: str, url: str) -> None:
    """One value of `column` a line, rows in `id` order; `x/name.parquet` becomes `x/name.x`."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(src, columns=["id", column]).to_pydict()
    except Exception as exc:  # pyarrow raises several types for a bad file or a missing column
        raise HarnessError(f"{url}: not a parquet file with columns id and {column} ({exc})") from exc
    rows = sorted(zip(table["id"], table[column], strict=True))
    bad = [i for i, text in rows if not isinstance(text, str) or "\n" in text or not text.strip()]
    if bad:
        raise HarnessError(f"{url}: row id {bad[0]} has an empty or multi-line {column}")
    dest = dest.with_name(dest.name.removesuffix(".parquet") + "." + dest.parent.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(text + "\n" for _, text in rows), encoding="utf-8")


def _write_sums(folder: Path) -> None:
    """`SHA256SUMS` (data-root-relative, `sha256sum` format) of a data set with no per-file pins yet:
    the lines its family's `<block>.sha256` is written from, so later fetches are pinned."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{sha256_file(p)}  {folder.name}/{p.relative_to(folder).as_posix()}\n" for p in files]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def _unpack(archive: Path, folder: Path, download: Download, url: str) -> Path:
    try:
        if download.kind == "tarball":
            with tarfile.open(archive) as tar:
                tar.extractall(folder, filter="data")
        else:
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(folder)
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise HarnessError(f"{url}: not a readable {download.kind} archive ({exc})") from exc
    if download.kind == "github":  # the zipball's single top folder, `<owner>-<repo>-<sha>/`
        tops = list(folder.iterdir())
        if len(tops) == 1 and tops[0].is_dir():
            return tops[0]
    return folder


def _map(path: str, rules: tuple[tuple[str, str], ...]) -> str | None:
    """Our layout path of an archive path, by the first matching rule; None: not part of the layout."""
    for src, dst in rules:
        if src.endswith("/") and path.startswith(src):
            return dst + path[len(src) :]
        if path == src:
            return dst
    return None


def _place(src: Path, dest: Path, url: str) -> None:
    """Copy, or convert by the source's suffix: parquet -> JSONL rows, WMT sgm -> one segment a line."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".parquet" or url.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(src).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise HarnessError(f"{url}: not a readable parquet file ({exc})") from exc
        with dest.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    elif src.suffix == ".sgm":
        dest.write_text(sgm_to_text(src.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        shutil.copyfile(src, dest)


def sgm_to_text(sgm: str) -> str:
    """The segments of a WMT sgm file, one per line, as the terminology set's README extracts them
    (`grep "seg id" | perl -pe 's/<seg id="[0-9]*">//g' | perl -pe 's/<\\/seg>//g'`)."""
    lines = [line for line in sgm.splitlines(keepends=True) if "seg id" in line]
    return "".join(re.sub(r'<seg id="[0-9]*">', "", line).replace("</seg>", "") for line in lines)


def _verify(source: DataSource, staged: Path, fetched: list[Download]) -> None:
    """Every pinned file that a fetched download places present with its SHA-256 (an optional part
    that was skipped is not asked for), and the layout complete."""
    problems = []
    for path, expected in sorted(source.file_sha256.items()):
        if not any(d.claims(path) for d in fetched):
            continue
        file = staged / path
        if not file.is_file():
            if path not in source.not_fetched:
                problems.append(f"{path} is missing from the download")
        elif (found := sha256_file(file)) != expected:
            problems.append(f"{path}: SHA-256 {found} does not match the expected {expected}")
    problems += [f"{p} is missing" for p in source.layout.check(staged / source.name)]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise HarnessError(
            f"{source.name}: {len(problems)} file(s) failed verification, nothing was changed: "
            f"{'; '.join(problems[:3])}{more}. The download differs from the pinned official files: "
            "check the --url mirror, or report it if the official source changed."
        )


@dataclass(frozen=True)
class DataSetStatus:
    """One row of `harness data list`."""

    name: str
    status: str
    """`present` when the family's layout check passes, else `missing`."""
    path: str
    parts: dict[str, bool]
    """Each folder the data set's downloads fill (GAOKAO-Bench's updates too) -> present."""
    version: str
    pinning: str
    licence: str
    size_bytes: int
    families: list[str]
    tasks: list[str]
    note: str
    fetch: str


def listing(data_dir: str | Path | None = None) -> list[DataSetStatus]:
    """Every declared data set: present or missing at the data root, pinned version, licence, size."""
    root, _ = data_root(data_dir)
    rows = []
    for name, (source, families) in data_sources().items():
        parts = dict.fromkeys(d.into for d in source.downloads)
        present = {p: (root / p).is_dir() and any((root / p).iterdir()) for p in parts}
        present[name] = not source.layout.check(root / name)
        size = sum(
            f.stat().st_size
            for p in parts
            if (root / p).is_dir()
            for f in (root / p).rglob("*")
            if f.is_file()
        )
        rows.append(
            DataSetStatus(
                name=name,
                status="present" if present[name] else "missing",
                path=str(root / name),
                parts=present,
                version="; ".join(d.pinned_version for d in source.downloads),
                pinning=source.pinning,
                licence=source.licence,
                size_bytes=size,
                families=families,
                tasks=list(source.tasks),
                note=source.note,
                fetch=f"harness data fetch {name}",
            )
        )
    return rows


def bundled_sample_root() -> Path:
    """Unpack the bundled FLORES-200 sample (a few sentences, for the README demo) and return its root."""
    target = cache_dir() / "bundled" / sha256_file(BUNDLED_SAMPLE)[:16]
    if not (target / "flores200").is_dir():
        cache_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            with tarfile.open(BUNDLED_SAMPLE) as tar:
                tar.extractall(tmp, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                Path(tmp).joinpath("sample").rename(target)
    return target
