"""What a family declares about each data set it reads: official source, pinned version, checksums,
licence and layout. The engine (`harness/engine/data.py`) only resolves, fetches, verifies and lists them.

A declaration is plain data (frozen dataclasses, no I/O at import): each family keeps its own in
`tasks/<family>/source.py` and exposes it as the family's `sources` attribute.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from core.errors import HarnessError

DownloadKind = Literal["tarball", "zip", "github", "hf"]
"""`tarball` / `zip`: an archive at a URL; `github`: a repository's zipball at a pinned commit
(its top folder `<owner>-<repo>-<sha>/` is stripped); `hf`: files of a Hugging Face hub dataset at a
pinned revision, read through the hub's plain file API (`resolve/<revision>/<path>`)."""


@dataclass(frozen=True)
class Download:
    """One official download and where its files go in our layout."""

    kind: DownloadKind
    version: str
    """Pinned version: the commit (github), the revision (hf), the release (tarball / zip)."""
    into: str
    """Folder under the data root that receives the files (usually the data set's name)."""
    files: tuple[tuple[str, str], ...]
    """(path in the archive or hub repository, path under `into`); a path ending in `/` maps a folder.
    A `.parquet` source becomes JSONL (one `json.dumps(row, ensure_ascii=False)` per line), a `.sgm`
    source becomes one segment per line; anything else is copied byte for byte."""
    url: str = ""
    """Archive URL (tarball, zip); derived from `repo` and `version` for github."""
    repo: str = ""
    """`owner/name` on GitHub or on the hub."""
    sha256: str = ""
    """SHA-256 of the archive itself, where it is stable and known (FLORES-200's tarball)."""
    version_pinned: bool = True
    """False when `version` is a branch: the content is then pinned by the per-file SHA-256 only."""
    optional: bool = False
    """An extra part: a failed download is reported and skipped, the rest is still fetched."""
    note: str = ""
    text_column: str = ""
    """With a column name, a `.parquet` source becomes that column's values one a line, rows in `id`
    order, instead of JSONL, and its `.parquet` suffix becomes `.<its folder>` (FLORES+'s
    `dev/lin_Latn.parquet` -> FLORES-200's `dev/lin_Latn.dev`)."""
    gated: bool = False
    """A gated hub dataset: the user's hub token (`HF_TOKEN` or `HARNESS_HF_TOKEN`, never stored or
    logged) is sent with every request to the hub."""

    def __post_init__(self) -> None:
        if self.kind not in get_args(DownloadKind):
            raise ValueError(f"unknown download kind {self.kind!r}")
        if self.kind in ("github", "hf") and not self.repo:
            raise ValueError(f"a {self.kind} download needs repo")
        if self.kind in ("tarball", "zip") and not self.url:
            raise ValueError(f"a {self.kind} download needs url")

    def claims(self, path: str) -> bool:
        """Whether the data-root path `path` is one this download places (a folder rule's files, a
        file rule's file; a rule into `into`'s top claims all of it)."""
        if not path.startswith(self.into + "/"):
            return False
        rel = path[len(self.into) + 1 :]
        return any(
            dst == "" or (dst.endswith("/") and rel.startswith(dst)) or rel == dst for _, dst in self.files
        )

    @property
    def source_url(self) -> str:
        """Where the files come from, for messages and `harness data list`."""
        if self.kind == "github":
            return self.url or f"https://api.github.com/repos/{self.repo}/zipball/{self.version}"
        if self.kind == "hf":
            return f"https://huggingface.co/datasets/{self.repo} (revision {self.version})"
        return self.url

    @property
    def pinned_version(self) -> str:
        where = self.repo or self.url
        return f"{where}@{self.version}" + ("" if self.version_pinned else " (branch, commit not pinned)")


@dataclass(frozen=True)
class Layout:
    """The files the family reads, relative to the data set's folder."""

    required: tuple[str, ...] = ()
    """Files that must exist for the data set to count as present (the first is named when missing)."""
    any_of: str = ""
    """A glob that must match at least one file (data sets whose languages vary), e.g. `*/test.jsonl`."""

    def check(self, folder: Path) -> list[str]:
        """What is missing from `folder`, as paths; empty when the layout is complete."""
        missing = [str(folder / p) for p in self.required if not (folder / p).is_file()]
        if self.any_of and not any(folder.glob(self.any_of)):
            missing.append(str(folder / self.any_of))
        return missing


@dataclass(frozen=True)
class DataSource:
    """One data set: what it is, where it officially comes from, and how we check it."""

    name: str
    """Folder under the data root and `harness data fetch` name."""
    description: str
    licence: str
    homepage: str
    downloads: tuple[Download, ...]
    layout: Layout
    tasks: tuple[str, ...]
    """The tasks (or task name patterns) that read it."""
    file_sha256: dict[str, str] = field(default_factory=dict)
    """Data-root-relative path -> SHA-256 of each file of the unpacked layout (empty: no per-file pins)."""
    not_fetched: frozenset[str] = frozenset()
    """Pinned files no official download provides: verified when present, never required."""
    note: str = ""
    """What is not pinned, and why."""

    @property
    def pinning(self) -> str:
        """How the fetched content is verified, in a few words."""
        parts = []
        if self.file_sha256:
            parts.append(f"per-file SHA-256 ({len(self.file_sha256)} files)")
        if any(d.sha256 for d in self.downloads):
            parts.append("archive SHA-256")
        if any(d.kind == "hf" and any(src.endswith("/") for src, _ in d.files) for d in self.downloads):
            parts.append("the hub's SHA-256 of each listed file")
        return " + ".join(parts) or "revision only (no checksum)"


def load_pins(source_file: str, block: str, required: bool = True) -> dict[str, str]:
    """A family's per-file pins: `<block>.sha256` beside its `source.py` (`sha256sum` format, data-root
    relative paths), read once at import; a missing or malformed file is an error naming it (a
    missing one is no pins with `required=False`: a data set pinned only once first fetched)."""
    path = Path(source_file).parent / f"{block}.sha256"
    if not required and not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"{path}: the data pins of {block} cannot be read ({exc})") from exc
    pins = parse_sha256sums(text)
    bad = [p for p, digest in pins.items() if len(digest) != 64 or not p]
    if bad or not pins:
        example = bad[0] if bad else "the file is empty"
        raise HarnessError(f"{path}: not `sha256sum` lines (<64 hex>  <path>): {example}")
    return pins


def parse_sha256sums(text: str) -> dict[str, str]:
    """`sha256sum` output (`<hex>  <path>` per line) -> path -> hex."""
    out: dict[str, str] = {}
    for line in text.strip().splitlines():
        digest, _, path = line.partition("  ")
        out[path] = digest
    return out
