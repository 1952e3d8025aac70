"""Reading a model's tokenizer for `harness tokenizer-report`: where its files are (a folder, the
alias's GGUF file, a hub snapshot), their SHA-256, and how it marks byte fallback (`fallback_rule`)."""

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import sha256_file
from core.paths import cache_dir
from harness.engine.models import ALIASES, ModelSpec, resolve_model

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
)
"""The files that define tokenisation (the chat template does not), hashed in this order."""
BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map, which byte-level BPE vocabularies are written in."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars, strict=True)}


BYTE_OF_CHAR = {char: byte for byte, char in _bytes_to_unicode().items()}


def tokenizer_folder(arg: str) -> tuple[ModelSpec, str]:
    """The model as `harness eval` resolves it, and where its tokenizer loads from (a folder or hub id).

    For an alias the converted checkpoint is used when it exists; otherwise only the tokenizer is
    read from the GGUF file and saved once to the cache (the same files the conversion writes).
    """
    if arg not in ALIASES:
        spec = resolve_model(arg)
        return spec, spec.pretrained
    converted = cache_dir() / "models" / arg
    folder = converted if (converted / "tokenizer.json").is_file() else _alias_tokenizer(arg)
    return ModelSpec(name=arg, kind="alias", pretrained=str(folder), path=arg), str(folder)


def _alias_tokenizer(alias: str) -> Path:
    from transformers import AutoTokenizer

    from harness.engine.models import _portable_tokenizer_config, alias_gguf

    target = cache_dir() / "tokenizers" / alias
    if not (target / "tokenizer.json").is_file():
        gguf = alias_gguf(alias)
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(target)
        _portable_tokenizer_config(target / "tokenizer_config.json")
    return target


def tokenizer_sha256(location: str) -> str:
    """SHA-256 over the tokenizer's files (`TOKENIZER_FILES` present: each name and its SHA-256)."""
    import hashlib

    folder = Path(location)
    if not folder.is_dir():
        folder = _hub_snapshot(location)
    found = [(name, sha256_file(folder / name)) for name in TOKENIZER_FILES if (folder / name).is_file()]
    if not found:
        raise HarnessError(f"--model: no tokenizer files ({', '.join(TOKENIZER_FILES[:2])}, ...) in {folder}")
    return hashlib.sha256("\n".join(f"{name} {digest}" for name, digest in found).encode()).hexdigest()


def _hub_snapshot(repo: str) -> Path:
    from huggingface_hub import try_to_load_from_cache

    for name in TOKENIZER_FILES:
        path = try_to_load_from_cache(repo, name)
        if isinstance(path, str):
            return Path(path).parent
    raise HarnessError(f"--model {repo}: its tokenizer is not in the Hugging Face cache")


def load_tokenizer(location: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(location)
    except (OSError, ValueError) as exc:
        raise HarnessError(f"--model: cannot load the tokenizer of {location} ({exc})") from exc


def _backend_state(tokenizer: Any) -> dict[str, Any] | None:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return json.loads(backend.to_str()) if backend is not None else None


def _mentions_byte_level(part: Any) -> bool:
    if isinstance(part, dict):
        return part.get("type") == "ByteLevel" or any(_mentions_byte_level(v) for v in part.values())
    if isinstance(part, list):
        return any(_mentions_byte_level(v) for v in part)
    return False


def fallback_rule(tokenizer: Any) -> str:
    """`byte-pieces`, `partial-utf8` or `none` (see the module's docstring)."""
    state = _backend_state(tokenizer)
    if state is None:  # a slow tokenizer: byte pieces in the vocabulary tell
        vocab = tokenizer.get_vocab()
        return "byte-pieces" if sum(bool(BYTE_PIECE.match(t)) for t in vocab) == 256 else "none"
    if state["model"].get("byte_fallback"):
        return "byte-pieces"
    if _mentions_byte_level(state.get("pre_tokenizer")) or _mentions_byte_level(state.get("decoder")):
        return "partial-utf8"
    return "none"


def unk_id(tokenizer: Any) -> int | None:
    """The id the tokenizer's model emits for what it cannot encode; None when it has none."""
    state = _backend_state(tokenizer)
    if state is None:
        return tokenizer.unk_token_id
    model = state["model"]
    if model["type"] == "Unigram":
        return model.get("unk_id")
    token = model.get("unk_token")
    return tokenizer.convert_tokens_to_ids(token) if token is not None else None


def fallback_test(tokenizer: Any, rule: str) -> Callable[[int], bool]:
    """Whether a token id is a byte-fallback token under `rule` (cached per id)."""
    special = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}))

    @functools.cache
    def test(token_id: int) -> bool:
        if rule == "none" or token_id in special:
            return False
        piece = tokenizer.convert_ids_to_tokens(token_id)
        if rule == "byte-pieces":
            return bool(BYTE_PIECE.match(piece))
        if any(char not in BYTE_OF_CHAR for char in piece):
            return False  # not written in the byte alphabet: a whole token of its own
        try:
            bytes(BYTE_OF_CHAR[char] for char in piece).decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    return test
