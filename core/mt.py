"""Corpus MT metrics from sacrebleu: chrF++, BLEU, spBLEU, each with its signature and a bootstrap stderr.

sacrebleu corpus scores are functions of summed per-sentence statistics, so a bootstrap
resample is a weighted sum of the sentence statistics (one matrix product for all resamples),
exactly as sacrebleu's own paired bootstrap does it.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from core import spm
from core.errors import HarnessError
from core.stats import bootstrap_counts

MetricName = Literal["chrf++", "bleu", "spbleu"]
MT_METRICS: tuple[MetricName, ...] = ("chrf++", "bleu", "spbleu")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 12345

# Plain BLEU's tokenizer by target language, as sacrebleu picks it from the target language
# (`sacrebleu -tl zh|ja|ko`: zh, ja-mecab, ko-mecab; 13a otherwise). spBLEU is the script-agnostic score.
_BLEU_TOKENIZER = {
    "zho_Hans": "zh",
    "zho_Hant": "zh",
    "yue_Hant": "zh",
    "jpn_Jpan": "ja-mecab",
    "kor_Hang": "ko-mecab",
}
NO_WORD_SPACES = {"Thai": "Thai", "Laoo": "Lao", "Khmr": "Khmer", "Mymr": "Myanmar", "Tibt": "Tibetan"}
"""Scripts written without spaces between words and without a tokenizer in sacrebleu: `13a` would
count whole phrases as words, so plain BLEU is not applicable there (spBLEU and chrF++ are)."""


def bleu_not_applicable(target_lang: str | None) -> str | None:
    """Why plain BLEU is not reported for `target_lang` (a FLORES-200 code), or None when it is."""
    script = (target_lang or "").partition("_")[2]
    if script not in NO_WORD_SPACES:
        return None
    return (
        f"not applicable: {NO_WORD_SPACES[script]} script is written without spaces between words and "
        "sacrebleu has no word tokenizer for it (13a would count phrases as words); spBLEU and chrF++ "
        "are the measures"
    )


@dataclass(frozen=True)
class CorpusScore:
    """One corpus-level score."""

    metric: str
    value: float | None
    """None when the metric could not be computed (see `note`)."""
    stderr: float | None
    """Standard deviation of the score over bootstrap resamples of the sentences."""
    n: int
    signature: str
    """sacrebleu's signature, plus the SHA-256 of any model file it used."""
    note: str = ""


def bleu_tokenizer(target_lang: str | None) -> str:
    return _BLEU_TOKENIZER.get(target_lang or "", "13a")


def make_metric(name: MetricName, target_lang: str | None = None) -> Any:
    """The sacrebleu metric object for `name`; spBLEU only when the pinned SPM model is in place."""
    if name == "spbleu":
        status = spm.spm_status()
        if not status.available:
            raise HarnessError(status.missing_note())
    if name not in MT_METRICS:
        raise HarnessError(f"unknown MT metric {name!r}; choose from {', '.join(MT_METRICS)}")
    if name == "bleu" and (reason := bleu_not_applicable(target_lang)):
        raise HarnessError(f"BLEU for {target_lang}: {reason}")
    return _metric(name, bleu_tokenizer(target_lang) if name == "bleu" else "")


@functools.cache
def _metric(name: MetricName, bleu_tokenize: str) -> Any:
    """One sacrebleu metric object per configuration, reused across corpora as sacrebleu's CLI
    reuses it across systems (building spBLEU's loads its SentencePiece model)."""
    from sacrebleu.metrics import BLEU, CHRF

    if name == "chrf++":
        return CHRF(word_order=2)
    if name == "bleu":
        return BLEU(tokenize=bleu_tokenize)
    return BLEU(tokenize="flores200")


def _signature(name: MetricName, metric: Any) -> str:
    signature = str(metric.get_signature().format())
    if name == "spbleu":
        signature += f"|spm_sha256:{spm.sha256_file(spm.spm_model_path())}"
    return signature


def _check_lengths(hyps: Sequence[str], refs: Sequence[str]) -> None:
    if len(hyps) != len(refs):
        raise HarnessError(f"{len(hyps)} hypotheses but {len(refs)} references")
    if not hyps:
        raise HarnessError("no hypotheses to score")


def corpus_value(
    name: MetricName, hyps: Sequence[str], refs: Sequence[str], target_lang: str | None = None
) -> float:
    """The corpus score alone (what lm-eval's aggregation step calls); NaN where plain BLEU is not
    applicable (`bleu_not_applicable`: the stored row says why, with no value)."""
    if name == "bleu" and bleu_not_applicable(target_lang):
        return float("nan")
    _check_lengths(hyps, refs)
    metric = make_metric(name, target_lang)
    # One reference stream as long as the hypotheses (see lighteval#1112 for the transposed bug).
    return float(metric.corpus_score(list(hyps), [list(refs)]).score)


def corpus_score(
    name: MetricName,
    hyps: Sequence[str],
    refs: Sequence[str],
    target_lang: str | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> CorpusScore:
    """Corpus score with signature and bootstrap stderr; an absent spBLEU model gives value None."""
    import numpy as np

    _check_lengths(hyps, refs)
    if name == "spbleu":
        status = spm.spm_status()
        if not status.available:
            return CorpusScore(name, None, None, len(hyps), "", status.missing_note())
    if name == "bleu" and (reason := bleu_not_applicable(target_lang)):
        return CorpusScore(name, None, None, len(hyps), "", reason)
    metric = make_metric(name, target_lang)
    rows = _statistics(metric, tuple(hyps), tuple(refs))
    value = float(metric._aggregate_and_compute(rows).score)  # what `corpus_score` computes from them
    stats = np.asarray(rows, dtype=np.float64)
    sums = bootstrap_counts(len(hyps), resamples, BOOTSTRAP_SEED) @ stats
    # Resamples of a small corpus repeat (all of them, for one sentence): score each distinct one once.
    slot: dict[bytes, int] = {}
    distinct: list[Any] = []
    inverse: list[int] = []
    for row in sums:
        key = row.tobytes()
        if key not in slot:
            slot[key] = len(distinct)
            distinct.append(row)
        inverse.append(slot[key])
    values = [metric._compute_score_from_stats(row.astype(np.int64).tolist()).score for row in distinct]
    scores = np.asarray(values, dtype=np.float64)[inverse]
    return CorpusScore(name, value, float(np.std(scores, ddof=1)), len(hyps), _signature(name, metric))


def sentence_chrfpp(hyps: Sequence[str], refs: Sequence[str]) -> list[float]:
    """Sentence-level chrF++ of each pair, stored with each sample: sacrebleu's `sentence_score`
    is the score of one sentence's statistics, the rows the corpus score just summed."""
    _check_lengths(hyps, refs)
    metric = make_metric("chrf++")
    rows = _statistics(metric, tuple(hyps), tuple(refs))
    return [float(metric._aggregate_and_compute([row]).score) for row in rows]


@functools.lru_cache(maxsize=4)
def _statistics(metric: Any, hyps: tuple[str, ...], refs: tuple[str, ...]) -> list[list[int]]:
    """sacrebleu's per-sentence statistics (one reference stream) under `metric` (one of `_metric`'s
    objects, keyed by identity), extracted once for a task's corpus score, its bootstrap and its
    sentence scores. Shared: callers read the rows, never change them."""
    metric._check_corpus_score_args(list(hyps), [list(refs)])
    return list(metric._extract_corpus_statistics(list(hyps), [list(refs)]))
