"""The Hugging Face hub's plain HTTP API, as `harness data fetch` uses it: file URLs at a pinned
revision (`resolve/<revision>/<path>`), folder listings (`api/datasets/<repo>/tree/<revision>/<path>`,
with each LFS file's SHA-256), and the user's token for gated datasets.

The token comes from `HARNESS_HF_TOKEN` or `HF_TOKEN`; it is sent as `Authorization: Bearer ...`
to the hub only (dropped when a download is redirected to another host, such as the hub's file
CDN), and never written to a file, a message or a log.
"""

import json
import os
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from core.errors import HarnessError

TOKEN_VARIABLES = ("HARNESS_HF_TOKEN", "HF_TOKEN")


def token() -> str | None:
    """The hub token from the environment, None when neither variable is set."""
    for name in TOKEN_VARIABLES:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def auth_headers(gated: bool, repo: str) -> dict[str, str]:
    """The Authorization header for a gated dataset; an error naming the variables without a token."""
    if not gated:
        return {}
    found = token()
    if found is None:
        raise HarnessError(
            f"{repo} is a gated dataset: accept its terms on https://huggingface.co/datasets/{repo}, "
            f"then set {' or '.join(TOKEN_VARIABLES)} to a hub access token"
        )
    return {"Authorization": f"Bearer {found}"}


class _SameHostAuth(urllib.request.HTTPRedirectHandler):
    """Follows redirects, sending the Authorization header only to the host it was meant for."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        moved = urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc
        if new is not None and moved:
            for name in [k for k in new.headers if k.lower() == "authorization"]:
                del new.headers[name]
        return new


def open_url(url: str, headers: dict[str, str], timeout: float = 60) -> Any:
    """`urlopen` with `headers`; the Authorization header never follows a redirect to another host."""
    request = urllib.request.Request(url)  # noqa: S310 (declared source or a mirror)
    for name, value in headers.items():
        request.add_header(name, value)
    return urllib.request.build_opener(_SameHostAuth).open(request, timeout=timeout)


def file_url(endpoint: str, repo: str, revision: str, path: str) -> str:
    quoted = urllib.parse.quote(revision, safe="")
    return f"{endpoint}/datasets/{repo}/resolve/{quoted}/{urllib.parse.quote(path)}"


@dataclass(frozen=True)
class HubFile:
    path: str
    """Path in the repository (`dev/lin_Latn.parquet`)."""
    sha256: str
    """The hub's SHA-256 of the file (its LFS object id); empty for a file not stored in LFS."""


def list_folder(
    endpoint: str, repo: str, revision: str, folder: str, headers: dict[str, str]
) -> list[HubFile]:
    """The files directly in `folder` of dataset `repo` at `revision`, following the listing's pages."""
    quoted = urllib.parse.quote(revision, safe="")
    url: str | None = f"{endpoint}/api/datasets/{repo}/tree/{quoted}/{urllib.parse.quote(folder.rstrip('/'))}"
    out: list[HubFile] = []
    while url:
        try:
            with open_url(url, headers) as response:
                entries = json.loads(response.read().decode("utf-8"))
                url = _next_page(response.headers.get("Link", ""))
        except OSError as exc:
            raise HarnessError(f"could not list {folder} of {repo}@{revision} ({url}): {exc}") from exc
        except ValueError as exc:
            raise HarnessError(f"{repo}@{revision}: the listing of {folder} is not JSON ({exc})") from exc
        for entry in entries:
            if entry.get("type") == "file":
                out.append(HubFile(entry["path"], (entry.get("lfs") or {}).get("oid", "")))
    return sorted(out, key=lambda f: f.path)


def _next_page(link: str) -> str | None:
    match = re.search(r'<([^>]+)>;\s*rel="next"', link)
    return match.group(1) if match else None
