"""Served models (`--backend api`): any OpenAI-compatible completions endpoint, through lm-eval's
`local-completions` model (loglikelihoods from `echo` + `logprobs`, generation from completions).

`--model` names the weights the server serves: a local folder or alias gives the tokenizer (token
ids are sent, so context lengths match the HF backend's) and the checkpoint the results are
stored under; the served model's name is the one the server lists at `/v1/models` that equals
`--model`, else the only one it lists."""

import json
import os
import urllib.error
import urllib.request
from typing import Any

from core.errors import HarnessError
from harness.engine.models import ModelSpec


def completions_url(base_url: str) -> str:
    """`http://host:8000`, `.../v1` or `.../v1/completions` -> `.../v1/completions`."""
    url = base_url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise HarnessError(f"--base-url {base_url!r}: give an http(s) URL such as http://127.0.0.1:8000/v1")
    if url.endswith("/completions"):
        return url
    return (url if url.endswith("/v1") else url + "/v1") + "/completions"


def api_key(env_var: str | None) -> str | None:
    if env_var is None:
        return None
    key = os.environ.get(env_var)
    if not key:
        raise HarnessError(f"--api-key-env {env_var}: the environment variable is not set")
    return key


def _get_json(url: str, key: str | None, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def model_entries(url: str, key: str | None, timeout: float = 30) -> list[dict[str, Any]]:
    """The server's `/v1/models` list (each entry has at least `id`)."""
    models_url = url.rsplit("/completions", 1)[0] + "/models"
    try:
        body = _get_json(models_url, key, timeout)
    except urllib.error.HTTPError as exc:
        raise HarnessError(f"--base-url: {models_url} answered HTTP {exc.code} ({exc.reason})") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise HarnessError(f"--base-url: cannot reach {models_url} ({exc})") from exc
    try:
        entries = [dict(m) for m in body["data"]]
        for entry in entries:
            entry["id"] = str(entry["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise HarnessError(f"--base-url: {models_url} did not return an OpenAI model list") from exc
    return entries


def served_models(url: str, key: str | None, timeout: float = 30) -> list[str]:
    """The model ids the server lists at `/v1/models`."""
    return [entry["id"] for entry in model_entries(url, key, timeout)]


def server_version(url: str, key: str | None, timeout: float = 10) -> str | None:
    """What the server says its version is at `/version` (vLLM's server), None when it has no such page."""
    root = url.rsplit("/v1/", 1)[0]
    try:
        body = _get_json(root + "/version", key, timeout)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return str(body.get("version")) if isinstance(body, dict) and body.get("version") else None


def served_identity(url: str, key: str | None, served: str) -> dict[str, Any]:
    """What identifies the served model, for the response cache key and the run's fingerprint: its
    `/v1/models` entry (without `created`, which some servers set to the time of the request) and
    the server's version."""
    entry = next((e for e in model_entries(url, key) if e["id"] == served), {"id": served})
    entry = {k: v for k, v in entry.items() if k not in ("created", "permission")}
    return {"url": url, "model": entry, "server_version": server_version(url, key)}


def pick_served_model(model_arg: str, spec: ModelSpec, served: list[str]) -> str:
    for candidate in (model_arg, spec.path, spec.pretrained, spec.name):
        if candidate in served:
            return candidate
    if len(served) == 1:
        return served[0]
    raise HarnessError(
        f"--model {model_arg}: the server serves {', '.join(served) or 'no model'}; "
        "pass one of those names as --model"
    )


def _max_length(spec: ModelSpec) -> int:
    """The model's context window from its config when it is local (lm-eval assumes 2048)."""
    from pathlib import Path

    config = Path(spec.pretrained) / "config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        return int(data.get("max_position_embeddings") or 2048)
    return 2048


def load_api(
    spec: ModelSpec, url: str, served: str, api_key_env: str | None, batch_size: int, seed: int = 1234
) -> Any:
    """lm-eval's local-completions model for the server at `url` (a completions URL) serving `served`."""
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    key = api_key(api_key_env)
    local = spec.kind != "hub"

    class KeyedCompletionsAPI(LocalCompletionsAPI):
        @property
        def api_key(self) -> str:
            return key or ""

    return KeyedCompletionsAPI(
        base_url=url,
        model=served,
        tokenizer=spec.pretrained if local else None,
        tokenizer_backend="huggingface" if local else "auto",
        tokenized_requests=True,
        batch_size=batch_size,
        max_length=_max_length(spec),
        seed=seed,
        max_retries=3,
    )
