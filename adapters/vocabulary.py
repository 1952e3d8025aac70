"""Extend a BPE tokenizer with the tokens a tokenizer trained on target-language text learned.

The new tokens get ids after every existing id and their merges are appended after the old
merges, so text the old tokenizer handled keeps its ids wherever no new merge applies.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

from core.errors import HarnessError


def train_target_tokenizer(old_tokenizer: Any, texts: list[str], vocab_size: int) -> Any:
    """A tokenizer of the old one's kind (same normaliser and pre-tokeniser) trained on `texts`."""
    return old_tokenizer.train_new_from_iterator(texts, vocab_size=vocab_size)


def _pairs(merges: list[Any]) -> list[tuple[str, str]]:
    """Merges as pairs, whichever of the two JSON forms (`"a b"` or `["a", "b"]`) they use."""
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1]) for m in merges]  # type: ignore[misc]


def _bpe_model(tokenizer: Any, what: str) -> dict[str, Any]:
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    if state["model"]["type"] != "BPE":
        raise HarnessError(f"vocab: the {what} tokenizer is {state['model']['type']}; only BPE is supported")
    return state


def new_tokens_of(old_tokenizer: Any, trained_tokenizer: Any, max_new: int | None = None) -> list[str]:
    """Tokens of the trained tokenizer the old one lacks, in the order they were learned."""
    old_vocab = old_tokenizer.get_vocab()
    trained = _bpe_model(trained_tokenizer, "trained")["model"]["vocab"]
    special = set(trained_tokenizer.all_special_tokens)
    tokens = [
        t for t, _ in sorted(trained.items(), key=lambda kv: kv[1]) if t not in old_vocab and t not in special
    ]
    return tokens[:max_new] if max_new is not None else tokens


def extend_tokenizer(old_tokenizer: Any, trained_tokenizer: Any, new_tokens: list[str]) -> tuple[Any, int]:
    """The old tokenizer with `new_tokens` (ids from the returned first id on) and the merges
    that build them; loaded back through AutoTokenizer so its configuration is kept."""
    from transformers import AutoTokenizer

    state = _bpe_model(old_tokenizer, "base model's")
    vocab: dict[str, int] = state["model"]["vocab"]
    used = list(vocab.values()) + [t["id"] for t in state.get("added_tokens", [])]
    first = max(used) + 1
    for offset, token in enumerate(new_tokens):
        vocab[token] = first + offset
    merges = state["model"]["merges"]
    as_strings = bool(merges) and isinstance(merges[0], str)
    wanted = set(new_tokens)
    trained_merges = _pairs(_bpe_model(trained_tokenizer, "trained")["model"]["merges"])
    added = [(a, b) for a, b in trained_merges if a + b in wanted and a in vocab and b in vocab]
    merges += [f"{a} {b}" if as_strings else [a, b] for a, b in added]
    with tempfile.TemporaryDirectory() as tmp:
        old_tokenizer.save_pretrained(tmp)
        (Path(tmp) / "tokenizer.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        extended = AutoTokenizer.from_pretrained(tmp)
    if extended.pad_token is None:
        extended.pad_token = extended.eos_token
    return extended, first
