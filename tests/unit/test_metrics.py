"""Our MT metrics against the sacrebleu command line on the same files, and hand-computed cases."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import spm
from core.errors import HarnessError
from core.mt import corpus_score, corpus_value, make_metric, sentence_chrfpp
from tests.conftest import need_shared_data

SACREBLEU = [sys.executable, "-m", "sacrebleu"]


def _pair(tmp_path: Path, hyp_lang: str = "kon_Latn", n: int = 60) -> tuple[Path, Path, list[str], list[str]]:
    """Real sentences: Lingala references, hypotheses from a related language (partial overlap)."""
    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    hyps = (devtest / f"{hyp_lang}.devtest").read_text(encoding="utf-8").splitlines()[:n]
    ref_file, hyp_file = tmp_path / "ref.txt", tmp_path / "hyp.txt"
    ref_file.write_text("\n".join(refs) + "\n", encoding="utf-8")
    hyp_file.write_text("\n".join(hyps) + "\n", encoding="utf-8")
    return ref_file, hyp_file, refs, hyps


def _cli(ref: Path, hyp: Path, *args: str) -> dict:
    out = subprocess.run(
        [*SACREBLEU, str(ref), "-i", str(hyp), *args, "-f", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_chrfpp_equals_sacrebleu_cli(tmp_path: Path) -> None:
    ref, hyp, refs, hyps = _pair(tmp_path)
    cli = _cli(ref, hyp, "-m", "chrf", "--chrf-word-order", "2", "-w", "6")
    ours = corpus_score("chrf++", hyps, refs)
    assert ours.value == pytest.approx(cli["score"], abs=5e-7)
    assert ours.n == 60
    # The CLI's signature carries the same settings (ours omits the metric name prefix).
    assert ours.signature == cli["signature"]
    assert "nw:2" in ours.signature


def test_sentence_chrfpp_equals_sacrebleu_cli_sentence_level(tmp_path: Path) -> None:
    ref, hyp, refs, hyps = _pair(tmp_path, n=40)
    out = subprocess.run(
        [*SACREBLEU, str(ref), "-i", str(hyp), "-m", "chrf", "--chrf-word-order", "2", "-sl", "-w", "6"],
        capture_output=True,
        text=True,
        check=True,
    )
    cli = [float(line.rsplit("= ", 1)[1]) for line in out.stdout.splitlines()]
    assert len(cli) == 40
    assert corpus_score("chrf++", hyps, refs).n == 40  # the statistics the sentence scores reuse
    assert sentence_chrfpp(hyps, refs) == pytest.approx(cli, abs=5e-7)


def test_bleu_equals_sacrebleu_cli(tmp_path: Path) -> None:
    ref, hyp, refs, hyps = _pair(tmp_path)
    cli = _cli(ref, hyp, "-m", "bleu", "-w", "6")
    assert corpus_value("bleu", hyps, refs) == pytest.approx(cli["score"], abs=5e-7)


def test_chinese_targets_use_the_zh_tokenizer(tmp_path: Path) -> None:
    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:40]
    hyps = (devtest / "zho_Hant.devtest").read_text(encoding="utf-8").splitlines()[:40]
    (tmp_path / "r").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (tmp_path / "h").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    cli = _cli(tmp_path / "r", tmp_path / "h", "-m", "bleu", "-tok", "zh", "-w", "6")
    ours = corpus_score("bleu", hyps, refs, target_lang="zho_Hans")
    assert ours.value == pytest.approx(cli["score"], abs=5e-7)
    assert "tok:zh" in ours.signature


@pytest.mark.parametrize(
    ("lang", "iso", "tok"), [("jpn_Jpan", "ja", "ja-mecab"), ("kor_Hang", "ko", "ko-mecab")]
)
def test_japanese_and_korean_targets_use_sacrebleus_mecab_tokenizers(
    tmp_path: Path, lang: str, iso: str, tok: str
) -> None:
    """sacrebleu's own default for these target languages (`-l en-ja`, `-l en-ko`), against its CLI."""
    devtest = need_shared_data() / "flores200" / "devtest"
    refs = (devtest / f"{lang}.devtest").read_text(encoding="utf-8").splitlines()[:40]
    hyps = (devtest / f"{lang}.devtest").read_text(encoding="utf-8").splitlines()[40:80]  # other sentences
    hyps = [h[: len(h) // 2] + r[len(r) // 2 :] for h, r in zip(hyps, refs, strict=True)]  # half right
    (tmp_path / "r").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (tmp_path / "h").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    cli = _cli(tmp_path / "r", tmp_path / "h", "-m", "bleu", "-l", f"en-{iso}", "-w", "6")
    ours = corpus_score("bleu", hyps, refs, target_lang=lang)
    assert ours.value == pytest.approx(cli["score"], abs=5e-7) and 5 < cli["score"] < 95
    assert f"tok:{tok}" in ours.signature and f"tok:{tok}" in cli["signature"]


@pytest.mark.parametrize("lang", ["tha_Thai", "lao_Laoo", "khm_Khmr", "mya_Mymr", "bod_Tibt", "dzo_Tibt"])
def test_plain_bleu_is_not_applicable_to_scripts_without_word_spaces(lang: str) -> None:
    score = corpus_score("bleu", ["a"], ["a"], target_lang=lang)
    assert score.value is None and score.note.startswith("not applicable: ")
    assert "spBLEU and chrF++ are the measures" in score.note
    with pytest.raises(HarnessError, match=f"BLEU for {lang}: not applicable"):
        make_metric("bleu", lang)
    assert corpus_score("chrf++", ["a b"], ["a b"], target_lang=lang).value == pytest.approx(100.0)


def test_bootstrap_stderr_agrees_with_sacrebleu_confidence(tmp_path: Path) -> None:
    ref, hyp, refs, hyps = _pair(tmp_path, n=200)
    cli = _cli(ref, hyp, "-m", "chrf", "--chrf-word-order", "2", "--confidence")
    ours = corpus_score("chrf++", hyps, refs)
    # sacrebleu reports half the central 95% bootstrap range, about 1.96 standard deviations.
    assert ours.stderr is not None
    assert 1.96 * ours.stderr == pytest.approx(cli["confidence_var"], rel=0.25)


def test_hand_computed_cases() -> None:
    assert corpus_value("chrf++", ["the cat sat"], ["the cat sat"]) == pytest.approx(100.0)
    assert corpus_value("bleu", ["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(
        100.0
    )
    # No character n-gram in common: chrF++ is 0.
    assert corpus_value("chrf++", ["xyz"], ["abc"]) == 0.0
    assert sentence_chrfpp(["abc", "abc"], ["abc", "xyz"]) == [pytest.approx(100.0), 0.0]


def test_mismatched_lengths_fail() -> None:
    with pytest.raises(HarnessError, match="2 hypotheses but 1 references"):
        corpus_value("chrf++", ["a", "b"], ["a"])


def test_spbleu_absent_model_is_reported_not_computed() -> None:
    score = corpus_score("spbleu", ["a b c"], ["a b c"])
    assert score.value is None
    # Stored and shared with the results: where sacrebleu looks, never this machine's folders.
    assert "$SACREBLEU/models/flores200sacrebleuspm" in score.note
    assert str(spm.spm_model_path().parent) not in score.note
    assert spm.FLORES200_SPM_SHA256 in score.note


def _train_spm(folder: Path) -> Path:
    import sentencepiece as sentencepiece

    text = need_shared_data() / "flores200" / "dev" / "lin_Latn.dev"
    prefix = folder / "tiny"
    sentencepiece.SentencePieceTrainer.train(
        input=str(text), model_prefix=str(prefix), vocab_size=300, model_type="bpe", minloglevel=2
    )
    return prefix.with_suffix(".model")


def test_spbleu_with_pinned_model_equals_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny SentencePiece model stands in for the real one at sacrebleu's path, pinned by its hash."""
    ref, hyp, refs, hyps = _pair(tmp_path)
    model = _train_spm(tmp_path)
    target = spm.spm_model_path()
    target.parent.mkdir(parents=True)
    target.write_bytes(model.read_bytes())
    monkeypatch.setattr(spm, "FLORES200_SPM_SHA256", spm.sha256_file(target))
    ours = corpus_score("spbleu", hyps, refs)
    cli = _cli(ref, hyp, "-m", "bleu", "-tok", "flores200", "-w", "6")  # SACREBLEU env points at tmp
    assert ours.value == pytest.approx(cli["score"], abs=5e-7)
    assert "tok:flores200" in ours.signature
    assert f"spm_sha256:{spm.sha256_file(target)}" in ours.signature


def test_spbleu_wrong_model_hash_is_an_error(tmp_path: Path) -> None:
    target = spm.spm_model_path()
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the flores200 model")
    with pytest.raises(HarnessError, match="does not match the pinned"):
        corpus_score("spbleu", ["a"], ["a"])


def test_lm_eval_aggregation_of_a_not_applicable_bleu_is_nan() -> None:
    """The 408-direction run aggregates BLEU for Tibetan targets too (bench/suite.py found it)."""
    import math

    from core.mt import corpus_value

    assert math.isnan(corpus_value("bleu", ["a"], ["a"], target_lang="bod_Tibt"))
    assert corpus_value("bleu", ["a b c d"], ["a b c d"], target_lang="lin_Latn") == pytest.approx(100.0)
