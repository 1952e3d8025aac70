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

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import HarnessError
from core.hashing import sha256_file
from core.languages import FLORES_LANGUAGES
from harness.analysis.tokenizers import (  # noqa: F401  (tests read them here)
    BYTE_OF_CHAR,
    BYTE_PIECE,
    TOKENIZER_FILES,
    _bytes_to_unicode,
    fallback_rule,
    fallback_test,
    load_tokenizer,
    tokenizer_folder,
    tokenizer_sha256,
    unk_id,
)
from harness.engine.models import ModelSpec

REFERENCE = "eng_Latn"
VERSION = "tokenizer-report-v1"
SPLITS = ("dev", "devtest")
NO_WORD_SPACES = frozenset({"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
"""Scripts written without spaces between words: tokens per word is not meaningful there."""


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
    from harness.output import console, plain, plain_text

    out = console()
    for m in [*report.models, *([report.base] if report.base and report.base not in report.models else [])]:
        table = Table(
            title=plain_text(
                f"{m.model} · {report.split} · vocab {m.vocab_size} · tokenizer {m.tokenizer_sha256[:12]}"
            ),
            caption=plain_text(f"{m.signature}; tokens/word — for scripts without spaces between words"),
        )
        for column in ("language", "sentences", "tokens", "tok/word", "tok/char", "bytes/tok", "parity"):
            table.add_column(column, justify="left" if column == "language" else "right")
        table.add_column("unk %", justify="right")
        table.add_column(plain_text(f"byte fallback % ({m.fallback_rule})"), justify="right")
        for s in m.languages:
            table.add_row(
                plain(f"{language_info(s.language).name} ({s.language})"),
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
        table = Table(title=plain_text(f"{model} against {report.base.model}"))
        for column in ("language", "tokens", "change", "tok/word", "parity"):
            table.add_column(column, justify="left" if column == "language" else "right")
        for c in rows:
            table.add_row(
                plain(c.language),
                f"{c.base_tokens} → {c.tokens}",
                f"{100 * c.token_change:+.1f}%",
                f"{_number(c.base_tokens_per_word)} → {_number(c.tokens_per_word)}",
                f"{c.base_parity:.2f} → {c.parity:.2f}",
            )
        out.print(table)
