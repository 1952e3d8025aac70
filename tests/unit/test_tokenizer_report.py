"""Tokenizer statistics on tokenizers built here, checked against hand-computed values and against
the `sentencepiece` library's own encoding; storage (rerun replaces), migration 0004 -> 0005, and
the app's panel through Streamlit's AppTest."""

import json
import os
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, inspect, select, text
from streamlit.testing.v1 import AppTest

from core.errors import HarnessError
from core.languages import FLORES_LANGUAGES
from db import store, tokenizer_queries
from db.models import TokenizerStat
from db.session import alembic_config, make_engine, make_session_factory, normalize_url
from harness.analysis import tokenizer_report as tr
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

B = tr._bytes_to_unicode()
"""GPT-2's byte -> character map: how byte-level vocabularies write bytes."""


def _chars(text: str) -> str:
    return "".join(B[b] for b in text.encode("utf-8"))


def _save(folder: Path, backend: object, **special: str) -> Path:
    """A model folder (config.json, as `--model` wants) holding the tokenizer."""
    from transformers import LlamaConfig, PreTrainedTokenizerFast

    folder.mkdir(parents=True)
    PreTrainedTokenizerFast(tokenizer_object=backend, **special).save_pretrained(folder)
    LlamaConfig(vocab_size=300, hidden_size=8, num_hidden_layers=1, num_attention_heads=1).save_pretrained(
        folder
    )
    return folder


def byte_level_bpe(folder: Path, whole_zhong: bool) -> Path:
    """GPT-2-style byte-level BPE: the 256 byte characters, the merge a+b, the merge of 中's first two
    bytes (E4 B8), and with `whole_zhong` the merge that completes 中 (E4 B8 + AD)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {char: i for i, char in enumerate(B.values())}
    merges = [("a", "b"), (B[0xE4], B[0xB8])] + ([(B[0xE4] + B[0xB8], B[0xAD])] if whole_zhong else [])
    for left, right in merges:
        vocab[left + right] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return _save(folder, tok)


def flores(root: Path, files: dict[str, list[str]], split: str = "devtest") -> Path:
    """A FLORES-200 folder in the official layout holding `files` (and English dev, which the layout
    check asks for)."""
    for code, lines in files.items():
        for name in (split, "dev"):
            path = root / "flores200" / name / f"{code}.{name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return root


PARALLEL = {
    "eng_Latn": ["ab c", "ab"],
    "lin_Latn": ["abab c", "c c"],
    "zho_Hans": ["中", "中中"],
}


def _report(model: Path, data: Path, langs: str = "lin_Latn,zho_Hans") -> dict[str, tr.LanguageStats]:
    sentences = tr.read_sentences(str(data), "devtest", tr.parse_languages(langs))
    report, _ = tr.report_model(str(model), sentences)
    return {s.language: s for s in report.languages}


def test_byte_level_bpe_hand_computed(tmp_path: Path) -> None:
    """eng: [ab][Ġ][c] + [ab] = 4 tokens, 3 words, 6 chars; lin: [ab][ab][Ġ][c] + [c][Ġ][c] = 7;
    zho: [E4B8][AD] + [E4B8][AD][E4B8][AD] = 6 tokens, every one a piece of 中 (partial UTF-8)."""
    data = flores(tmp_path / "data", PARALLEL)
    stats = _report(byte_level_bpe(tmp_path / "bl", whole_zhong=False), data)
    eng, lin, zho = stats["eng_Latn"], stats["lin_Latn"], stats["zho_Hans"]
    assert (eng.tokens, eng.words, eng.chars, eng.bytes) == (4, 3, 6, 6)
    assert eng.tokens_per_word == pytest.approx(4 / 3) and eng.parity == 1.0 and eng.bytes_per_token == 1.5
    assert (lin.tokens, lin.words, lin.chars) == (7, 4, 9)
    assert lin.tokens_per_word == pytest.approx(7 / 4) and lin.tokens_per_char == pytest.approx(7 / 9)
    assert lin.parity == pytest.approx((4 / 3 + 3 / 1) / 2)  # mean of the per-sentence ratios
    assert lin.parity_of_totals == pytest.approx(7 / 4)
    assert (lin.byte_fallback_tokens, lin.unk_tokens) == (0, 0)
    assert (zho.tokens, zho.chars, zho.bytes) == (6, 3, 9)
    assert zho.tokens_per_word is None  # written without spaces: not meaningful
    assert zho.tokens_per_char == 2.0 and zho.bytes_per_token == 1.5
    assert zho.parity == pytest.approx((2 / 3 + 4 / 1) / 2) and zho.parity_of_totals == pytest.approx(6 / 4)
    assert zho.byte_fallback_tokens == 6 and zho.byte_fallback_share == 1.0


def test_a_whole_character_token_is_not_byte_fallback(tmp_path: Path) -> None:
    data = flores(tmp_path / "data", PARALLEL)
    zho = _report(byte_level_bpe(tmp_path / "bl", whole_zhong=True), data)["zho_Hans"]
    assert (zho.tokens, zho.byte_fallback_tokens) == (3, 0)  # [中] + [中][中]
    assert zho.parity == pytest.approx((1 / 3 + 2 / 1) / 2)


def test_unknown_tokens_counted(tmp_path: Path) -> None:
    """A character-level BPE with an unk token and no byte fallback: `x` is unknown."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.BPE(vocab={"<unk>": 0, "a": 1, "b": 2, "c": 3}, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    model = _save(tmp_path / "unk", tok, unk_token="<unk>")
    data = flores(tmp_path / "data", {"eng_Latn": ["ab c", "ab"], "lin_Latn": ["ax", "b"]})
    sentences = tr.read_sentences(str(data), "devtest", tr.parse_languages("lin_Latn"))
    report, _ = tr.report_model(str(model), sentences)
    lin = {s.language: s for s in report.languages}["lin_Latn"]
    assert report.fallback_rule == "none" and "unk:<unk>" in report.signature
    assert (lin.tokens, lin.unk_tokens, lin.byte_fallback_tokens) == (3, 1, 0)
    assert lin.unk_share == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A SentencePiece BPE model with byte fallback trained here on a few English sentences, as a
    model folder (`tokenizer.model`, loaded by transformers' LlamaTokenizer) and the .model file."""
    import sentencepiece as spm
    from transformers import LlamaConfig

    folder = tmp_path_factory.mktemp("spm")
    lines = ["the cat sat on the mat", "a dog ran in the park", "the sun is warm today", "we like to read"]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 20),
        model_prefix=str(folder / "m"),
        vocab_size=300,
        model_type="bpe",
        byte_fallback=True,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    model = folder / "model"
    model.mkdir()
    (model / "tokenizer.model").write_bytes((folder / "m.model").read_bytes())
    (model / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "LlamaTokenizer"}))
    LlamaConfig(vocab_size=300, hidden_size=8, num_hidden_layers=1, num_attention_heads=1).save_pretrained(
        model
    )
    return model, folder / "m.model"


def test_sentencepiece_byte_pieces_match_sentencepiece_itself(
    tmp_path: Path, spm_model: tuple[Path, Path]
) -> None:
    """Token and `<0xNN>` counts equal the sentencepiece library's own encoding; the unseen 中文 and é
    fall back to one piece per UTF-8 byte."""
    import sentencepiece as spm

    model, model_file = spm_model
    files = {
        "eng_Latn": ["the cat sat on the mat", "we read today"],
        "fra_Latn": ["le chat est là", "un café"],
        "zho_Hans": ["中文", "猫"],
    }
    data = flores(tmp_path / "data", files)
    sentences = tr.read_sentences(str(data), "devtest", tr.parse_languages("fra_Latn,zho_Hans"))
    report, _ = tr.report_model(str(model), sentences)
    assert report.fallback_rule == "byte-pieces"
    processor = spm.SentencePieceProcessor(model_file=str(model_file))
    for stats in report.languages:
        pieces = [p for line in files[stats.language] for p in processor.encode(line, out_type=str)]
        assert stats.tokens == len(pieces), stats.language
        assert stats.byte_fallback_tokens == sum(p.startswith("<0x") for p in pieces), stats.language
    zho = next(s for s in report.languages if s.language == "zho_Hans")
    assert zho.byte_fallback_tokens == len("中文猫".encode())


def test_tokenizer_hash_covers_its_files(tmp_path: Path) -> None:
    one = byte_level_bpe(tmp_path / "a", whole_zhong=False)
    two = byte_level_bpe(tmp_path / "b", whole_zhong=True)
    assert tr.tokenizer_sha256(str(one)) != tr.tokenizer_sha256(str(two))
    (one / "model.safetensors").write_bytes(b"weights do not count")
    before = tr.tokenizer_sha256(str(one))
    (one / "model.safetensors").write_bytes(b"other weights")
    assert tr.tokenizer_sha256(str(one)) == before


def test_languages_flag() -> None:
    every = tr.parse_languages(None)
    assert every[0] == "eng_Latn" and sorted(every) == sorted(FLORES_LANGUAGES) and len(every) == 205
    assert tr.parse_languages("lin_Latn,eng_Latn,lin_Latn") == ["eng_Latn", "lin_Latn"]
    with pytest.raises(HarnessError, match="--langs: xx_Yyyy"):
        tr.parse_languages("lin_Latn,xx_Yyyy")


def test_files_that_are_not_parallel_are_refused(tmp_path: Path) -> None:
    data = flores(tmp_path / "data", {"eng_Latn": ["ab", "ab"], "lin_Latn": ["ab"]})
    sentences = tr.read_sentences(str(data), "devtest", ["eng_Latn", "lin_Latn"])
    with pytest.raises(HarnessError, match="not parallel"):
        tr.report_model(str(byte_level_bpe(tmp_path / "bl", whole_zhong=False)), sentences)
    with pytest.raises(HarnessError, match="--split"):
        tr.read_sentences(str(data), "train", ["eng_Latn"])


def _stat(language: str, tokens: int, parity: float) -> TokenizerStat:
    return TokenizerStat(
        tokenizer_sha256="0" * 64,
        vocab_size=10,
        language=language,
        split="devtest",
        reference="eng_Latn",
        data_sha256="1" * 64,
        sentences=2,
        tokens=tokens,
        words=4,
        chars=9,
        bytes=9,
        tokens_per_word=tokens / 4,
        tokens_per_char=tokens / 9,
        bytes_per_token=9 / tokens,
        parity=parity,
        parity_of_totals=parity,
        unk_tokens=0,
        byte_fallback_tokens=1,
        fallback_rule="partial-utf8",
        signature="sig",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def test_rerun_replaces_and_change_reads_both(db_url: str) -> None:
    from core.lineage import Lineage

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    base = store.register_checkpoint(factory, Lineage("base"), "org/base", "hub")
    child = store.register_checkpoint(
        factory, Lineage("base-vocab", step=2, parent="org/base"), "/ck", "local"
    )
    store.store_tokenizer_stats(factory, base, [_stat("eng_Latn", 4, 1.0), _stat("lin_Latn", 10, 2.5)])
    store.store_tokenizer_stats(factory, child, [_stat("eng_Latn", 4, 1.0), _stat("lin_Latn", 9, 2.0)])
    store.store_tokenizer_stats(factory, child, [_stat("lin_Latn", 8, 2.0)])  # a rerun
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TokenizerStat)).scalar() == 4
    rows = tokenizer_queries.tokenizer_rows(engine)
    assert [(r.model, r.language, r.tokens) for r in rows] == [
        ("base", "eng_Latn", 4),
        ("base", "lin_Latn", 10),
        ("base-vocab", "eng_Latn", 4),
        ("base-vocab", "lin_Latn", 8),
    ]
    assert rows[1].byte_fallback_share == pytest.approx(1 / 10)
    (tokenized,) = [c for c in tokenizer_queries.tokenized_checkpoints(engine) if c.checkpoint_id == child]
    assert tokenized.parent_id == base
    lin = {c.language: c for c in tokenizer_queries.tokenizer_change(engine, child, base)}["lin_Latn"]
    assert (lin.base_tokens, lin.tokens, lin.base_parity, lin.parity) == (10, 8, 2.5, 2.0)
    assert lin.token_change == pytest.approx(-0.2)


def test_base_registered_by_a_recipe_is_found_by_its_source() -> None:
    """A recipe registers its base under the recipe's model; `--base` registers the same folder under
    the base's name: the before/after view still pairs them, by source."""
    from core.lineage import Lineage

    engine = make_engine(os.environ["HARNESS_DB"])
    factory = make_session_factory(engine)
    child = store.register_checkpoint(factory, Lineage("tiny-vocab", step=1, parent="/tiny"), "/ck", "local")
    base = store.register_checkpoint(factory, Lineage("tiny"), "/tiny", "local")
    for checkpoint in (child, base):
        store.store_tokenizer_stats(factory, checkpoint, [_stat("lin_Latn", 9, 2.0)])
    by_id = {c.checkpoint_id: c for c in tokenizer_queries.tokenized_checkpoints(engine)}
    assert by_id[child].parent_id == base != child + 1  # not the row the recipe registered


def test_migration_0005_on_a_database_at_0004(db_url: str) -> None:
    """0004 -> 0005 keeps the rows stored before and adds the table; the downgrade removes it."""
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(text("INSERT INTO models (id, name, created_at) VALUES (1, 'm', CURRENT_TIMESTAMP)"))
        conn.execute(
            text(
                "INSERT INTO checkpoints (id, model_id, source, kind, created_at) "
                "VALUES (1, 1, '/m', 'local', CURRENT_TIMESTAMP)"
            )
        )
        assert "tokenizer_stats" not in inspect(conn).get_table_names()
        command.upgrade(alembic_config(conn), "0005")
        assert "tokenizer_stats" in inspect(conn).get_table_names()
    factory = make_session_factory(make_engine(db_url))
    store.store_tokenizer_stats(factory, 1, [_stat("lin_Latn", 10, 2.5)])
    assert [r.source for r in tokenizer_queries.tokenizer_rows(engine)] == ["/m"]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
        assert "tokenizer_stats" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT source FROM checkpoints")).scalars().all() == ["/m"]


def _panel() -> None:
    import os

    from app.tokenizer_panel import render_tokenizer_panel
    from db.session import make_engine

    render_tokenizer_panel(make_engine(os.environ["HARNESS_DB"]))


def test_panel_shows_statistics_and_defaults_to_the_parent() -> None:
    from core.lineage import Lineage

    factory = make_session_factory(make_engine(os.environ["HARNESS_DB"]))
    at = AppTest.from_function(_panel, default_timeout=30).run()
    assert not at.exception and "No tokenizer statistics" in at.info[0].value
    base = store.register_checkpoint(factory, Lineage("base"), "org/base", "hub")
    other = store.register_checkpoint(factory, Lineage("other"), "org/other", "hub")
    child = store.register_checkpoint(factory, Lineage("vocab", step=2, parent="org/base"), "/ck", "local")
    for checkpoint, tokens in ((base, 10), (other, 12), (child, 8)):
        store.store_tokenizer_stats(
            factory, checkpoint, [_stat("eng_Latn", 4, 1.0), _stat("lin_Latn", tokens, 2.0)]
        )
    at = AppTest.from_function(_panel, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    stats = at.dataframe[0].value
    assert len(stats) == 6 and set(stats["language"]) == {"English (eng_Latn)", "Lingala (lin_Latn)"}
    assert at.selectbox[0].value == child and at.selectbox[1].value == base  # the lineage parent
    change = at.dataframe[1].value.set_index("language").loc["Lingala (lin_Latn)"]
    assert (change["tokens before"], change["tokens after"]) == (10, 8)
    at.selectbox[1].set_value(other).run()
    assert at.dataframe[1].value.set_index("language").loc["Lingala (lin_Latn)"]["tokens before"] == 12
    assert at.query_params["tok_base"] in (str(other), [str(other)])  # the choice lives in the URL
