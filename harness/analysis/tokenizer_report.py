"""`harness tokenizer-report`: how a model's tokenizer splits each FLORES-200 language.

Per language, on the parallel sentences of one split (devtest: 1012 lines aligned across languages),
tokenised without special tokens (no BOS/EOS):
- tokens per word: total tokens / total whitespace-separated words (`str.split`); None for scripts
  written without spaces between words (`NO_WORD_SPACES`), where a "word" would be a whole phrase;
- tokens per character (Unicode code points, spaces included) and UTF-8 bytes per token;
- parity with English (Petrov et al. 2023): the mean over sentences of tokens(language) /
  tokens(eng_Latn) on the same sentence; the ratio of the totals is kept beside it;
- unknown tokens: the tokenizer model's own unk id in the output (a byte-level BPE has none);
- byte-fallback tokens, by the tokenizer's kind (`fallback_rule`): `byte-pieces` for a
  SentencePiece-style model with byte fallback (pieces `<0x00>`..`<0xFF>`); `partial-utf8` for a
  byte-level BPE (GPT-2 style, SmolLM2's): a token whose bytes alone are not valid UTF-8, i.e. a
  piece of a multi-byte character; `none` otherwise.
Models are resolved as `harness eval` resolves them; only the tokenizer is read (the alias's
tokenizer comes from its GGUF file, without converting the weights).
"""

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import sha256_file
from core.languages import FLORES_LANGUAGES
from core.paths import cache_dir
from harness.engine.models import ALIASES, ModelSpec, resolve_model

REFERENCE = "eng_Latn"
VERSION = "tokenizer-report-v1"
SPLITS = ("dev", "devtest")
NO_WORD_SPACES = frozenset({"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
"""Scripts written without spaces between words: tokens per word is not meaningful there."""
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


@dataclass(frozen=True)
class LanguageStats:
    """One language under one tokenizer."""

    language: str
    sentences: int
    tokens: int
    words: int
    chars: int
    bytes: int
    tokens_per_word: float | None
    tokens_per_char: float
    bytes_per_token: float
    parity: float
    """Mean over sentences of tokens(language) / tokens(reference)."""
    parity_of_totals: float
    unk_tokens: int
    byte_fallback_tokens: int
    data_sha256: str

    @property
    def unk_share(self) -> float:
        return self.unk_tokens / self.tokens

    @property
    def byte_fallback_share(self) -> float:
        return self.byte_fallback_tokens / self.tokens


@dataclass(frozen=True)
class ModelReport:
    """One model's tokenizer over every language asked for."""

    model: str
    """The `--model` argument."""
    source: str
    model_name: str
    checkpoint_id: int | None
    tokenizer_sha256: str
    vocab_size: int
    fallback_rule: str
    signature: str
    languages: list[LanguageStats] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for lang, stats in zip(out["languages"], self.languages, strict=True):
            lang["unk_share"], lang["byte_fallback_share"] = stats.unk_share, stats.byte_fallback_share
        return out


@dataclass(frozen=True)
class Change:
    """One language: a model's tokenizer against a base's."""

    language: str
    base_tokens: int
    tokens: int
    base_tokens_per_word: float | None
    tokens_per_word: float | None
    base_parity: float
    parity: float

    @property
    def token_change(self) -> float:
        """Relative change of the token count (-0.2: 20% fewer tokens)."""
        return self.tokens / self.base_tokens - 1


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


def language_stats(
    language: str,
    sentences: Sequence[str],
    token_ids: Sequence[Sequence[int]],
    reference_counts: Sequence[int],
    unk: int | None,
    is_fallback: Callable[[int], bool],
    data_sha256: str = "",
) -> LanguageStats:
    """Statistics of one language from its tokenised sentences and the reference's token counts."""
    if len(sentences) != len(reference_counts) or len(sentences) != len(token_ids):
        raise HarnessError(
            f"{language}: {len(sentences)} sentences against {len(reference_counts)} of {REFERENCE}; "
            "the files are not parallel"
        )
    counts = [len(ids) for ids in token_ids]
    tokens, words = sum(counts), sum(len(s.split()) for s in sentences)
    chars, size = sum(len(s) for s in sentences), sum(len(s.encode("utf-8")) for s in sentences)
    if min(counts, default=0) == 0 or min(reference_counts, default=0) == 0:
        raise HarnessError(f"{language}: a sentence tokenised to no token (or there are no sentences)")
    ids = Counter(token_id for row in token_ids for token_id in row)
    script = language.split("_", 1)[-1]
    return LanguageStats(
        language=language,
        sentences=len(sentences),
        tokens=tokens,
        words=words,
        chars=chars,
        bytes=size,
        tokens_per_word=None if script in NO_WORD_SPACES else tokens / words,
        tokens_per_char=tokens / chars,
        bytes_per_token=size / tokens,
        parity=sum(c / r for c, r in zip(counts, reference_counts, strict=True)) / len(counts),
        parity_of_totals=tokens / sum(reference_counts),
        unk_tokens=ids.get(unk, 0) if unk is not None else 0,
        byte_fallback_tokens=sum(n for token_id, n in ids.items() if is_fallback(token_id)),
        data_sha256=data_sha256,
    )


def parse_languages(value: str | None) -> list[str]:
    """`--langs`: FLORES-200 codes (default: every one), with the reference always first."""
    if value is None:
        asked = list(FLORES_LANGUAGES)
    else:
        asked = [code.strip() for code in value.split(",") if code.strip()]
        unknown = [code for code in asked if code not in FLORES_LANGUAGES]
        if unknown or not asked:
            raise HarnessError(
                f"--langs: {', '.join(unknown) or 'nothing given'}: not a FLORES-200 code "
                "(e.g. lin_Latn, zho_Hans; `harness tasks list --family flores` shows them)"
            )
    return [REFERENCE, *dict.fromkeys(code for code in asked if code != REFERENCE)]


def read_sentences(
    data_dir: str | None, split: str, languages: Sequence[str]
) -> dict[str, tuple[list[str], str]]:
    """Each language's sentences of `split` and its file's SHA-256."""
    from harness.engine.data import resolve
    from tasks.flores.task import read_lines, split_path

    if split not in SPLITS:
        raise HarnessError(f"--split: {split!r} is not one of {', '.join(SPLITS)}")
    root = resolve("flores200", data_dir)
    out = {}
    for code in languages:
        path = split_path(root, code, split)
        if not path.is_file():
            raise HarnessError(f"FLORES-200 file missing: {path}")
        out[code] = (read_lines(path), sha256_file(path))
    return out


def signature(rule: str, unk: str | None) -> str:
    return (
        f"{VERSION}|special:none|words:whitespace|chars:codepoints|parity:mean-sentence-ratio-vs-{REFERENCE}"
        f"|fallback:{rule}|unk:{unk or 'none'}"
    )


def report_model(arg: str, data: dict[str, tuple[list[str], str]]) -> tuple[ModelReport, ModelSpec]:
    """One model's report (not stored: `checkpoint_id` is None)."""
    spec, location = tokenizer_folder(arg)
    tokenizer = load_tokenizer(location)
    rule, unk = fallback_rule(tokenizer), unk_id(tokenizer)
    is_fallback = fallback_test(tokenizer, rule)
    encoded = {
        code: tokenizer(sentences, add_special_tokens=False)["input_ids"]
        for code, (sentences, _) in data.items()
    }
    reference = [len(ids) for ids in encoded[REFERENCE]]
    languages = [
        language_stats(code, data[code][0], encoded[code], reference, unk, is_fallback, data[code][1])
        for code in data
    ]
    unk_token = tokenizer.convert_ids_to_tokens(unk) if unk is not None else None
    return (
        ModelReport(
            model=arg,
            source=spec.path,
            model_name=spec.name,
            checkpoint_id=None,
            tokenizer_sha256=tokenizer_sha256(location),
            vocab_size=len(tokenizer),
            fallback_rule=rule,
            signature=signature(rule, unk_token),
            languages=languages,
        ),
        spec,
    )


def changes(base: ModelReport, model: ModelReport) -> list[Change]:
    """Per language both have: the model against the base."""
    before = {s.language: s for s in base.languages}
    return [
        Change(
            s.language,
            before[s.language].tokens,
            s.tokens,
            before[s.language].tokens_per_word,
            s.tokens_per_word,
            before[s.language].parity,
            s.parity,
        )
        for s in model.languages
        if s.language in before
    ]


@dataclass(frozen=True)
class TokenizerReport:
    """What `harness tokenizer-report` found and stored."""

    split: str
    models: list[ModelReport]
    base: ModelReport | None
    changes: dict[str, list[Change]]
    """Model argument -> its change against the base (empty without `--base`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "reference": REFERENCE,
            "models": [m.to_json() for m in self.models],
            "base": self.base.model if self.base else None,
            "changes": {
                model: [asdict(c) | {"token_change": c.token_change} for c in rows]
                for model, rows in self.changes.items()
            },
        }


def _stored_rows(report: ModelReport, split: str) -> list[Any]:
    from db.models import TokenizerStat

    return [
        TokenizerStat(
            tokenizer_sha256=report.tokenizer_sha256,
            vocab_size=report.vocab_size,
            language=s.language,
            split=split,
            reference=REFERENCE,
            data_sha256=s.data_sha256,
            sentences=s.sentences,
            tokens=s.tokens,
            words=s.words,
            chars=s.chars,
            bytes=s.bytes,
            tokens_per_word=s.tokens_per_word,
            tokens_per_char=s.tokens_per_char,
            bytes_per_token=s.bytes_per_token,
            parity=s.parity,
            parity_of_totals=s.parity_of_totals,
            unk_tokens=s.unk_tokens,
            byte_fallback_tokens=s.byte_fallback_tokens,
            fallback_rule=report.fallback_rule,
            signature=report.signature,
        )
        for s in report.languages
    ]


def run_report(
    models: Sequence[str],
    languages: str | None = None,
    data_dir: str | None = None,
    split: str = "devtest",
    base: str | None = None,
    db_url: str | None = None,
) -> TokenizerReport:
    """Report every model (and the base), store each under its checkpoint as `harness eval`
    registers it, and compare each model with the base."""
    from dataclasses import replace

    from db import store
    from db.session import make_engine, make_session_factory
    from harness.engine.lineage import lineage_for

    names = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if not names:
        raise HarnessError("--model: give at least one model (a folder, alias or hub id)")
    data = read_sentences(data_dir, split, parse_languages(languages))
    factory = make_session_factory(make_engine(db_url))
    reports: dict[str, ModelReport] = {}
    for arg in [*names, *([base] if base and base not in names else [])]:
        report, spec = report_model(arg, data)
        checkpoint = store.register_checkpoint(factory, lineage_for(spec), spec.path, spec.kind)
        store.store_tokenizer_stats(factory, checkpoint, _stored_rows(report, split))
        reports[arg] = replace(report, checkpoint_id=checkpoint)
    base_report = reports[base] if base else None
    compared = {arg: changes(base_report, reports[arg]) for arg in names if base_report and arg != base}
    return TokenizerReport(split, [reports[arg] for arg in names], base_report, compared)


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_report(report: TokenizerReport) -> None:
    """Tables for a terminal: one per model, then each model's change against the base."""
    from rich.table import Table

    from core.languages import language_info
    from harness.output import console

    out = console()
    for m in [*report.models, *([report.base] if report.base and report.base not in report.models else [])]:
        table = Table(
            title=f"{m.model} · {report.split} · vocab {m.vocab_size} · tokenizer {m.tokenizer_sha256[:12]}",
            caption=f"{m.signature}; tokens/word — for scripts without spaces between words",
        )
        for column in ("language", "sentences", "tokens", "tok/word", "tok/char", "bytes/tok", "parity"):
            table.add_column(column, justify="left" if column == "language" else "right")
        table.add_column("unk %", justify="right")
        table.add_column(f"byte fallback % ({m.fallback_rule})", justify="right")
        for s in m.languages:
            table.add_row(
                f"{language_info(s.language).name} ({s.language})",
                str(s.sentences),
                str(s.tokens),
                _number(s.tokens_per_word),
                _number(s.tokens_per_char, 3),
                _number(s.bytes_per_token),
                _number(s.parity),
                _number(100 * s.unk_share),
                _number(100 * s.byte_fallback_share),
            )
        out.print(table)
    for model, rows in report.changes.items():
        assert report.base is not None
        table = Table(title=f"{model} against {report.base.model}")
        for column in ("language", "tokens", "change", "tok/word", "parity"):
            table.add_column(column, justify="left" if column == "language" else "right")
        for c in rows:
            table.add_row(
                c.language,
                f"{c.base_tokens} → {c.tokens}",
                f"{100 * c.token_change:+.1f}%",
                f"{_number(c.base_tokens_per_word)} → {_number(c.tokens_per_word)}",
                f"{c.base_parity:.2f} → {c.parity:.2f}",
            )
        out.print(table)
