"""lm-eval's rolling-loglikelihood metrics, recomputed from the per-document numbers.

lm-eval (`ConfigurableTask.process_results`, `loglikelihood_rolling`) gives each document the pairs
(loglikelihood, weight), the weight being its UTF-8 bytes (`count_bytes`) or its words
(`count_words`: `len(re.split(r"\\s+", text))`), and aggregates them as ratios of sums
(`lm_eval.api.metrics`):

- `bits_per_byte` = -sum(ll) / sum(bytes) / ln 2
- `byte_perplexity` = exp(-sum(ll) / sum(bytes))
- `word_perplexity` = exp(-sum(ll) / sum(words))

The loglikelihoods are natural logs summed over every token of the document (each token given the
model's BOS, or its end-of-text token where it has no BOS, and every token before it).
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

LN2 = math.log(2)
METRICS = ("bits_per_byte", "byte_perplexity", "word_perplexity")
"""lm-eval's three rolling metrics; the first is the family's primary metric (lower is better)."""


def count_bytes(text: str) -> int:
    """lm-eval's `count_bytes`: the UTF-8 length."""
    return len(text.encode("utf-8"))


def count_words(text: str) -> int:
    """lm-eval's `count_words`: pieces between runs of whitespace (a text without spaces, such as a
    Chinese sentence, is one word)."""
    return len(re.split(r"\s+", text))


@dataclass(frozen=True)
class Corpus:
    """Per-document natural-log likelihoods and weights, in document order."""

    loglikelihoods: Sequence[float]
    bytes: Sequence[int]
    words: Sequence[int]


def value(metric: str, corpus: Corpus) -> float | None:
    """The metric as lm-eval aggregates it (its `weighted_mean` is sum(ll) / sum(weights)); None for
    a perplexity beyond a float's range (`OVERFLOW`)."""
    mean = sum(corpus.loglikelihoods) / sum(_weights(metric, corpus))
    if metric == "bits_per_byte":
        return -mean / LN2
    return _exp(-mean)


OVERFLOW = "not representable: exp(mean negative log-likelihood) overflows a float (above 709 nats per unit)"
"""The note of a perplexity too large for a float: a model near random on a script written without
spaces reaches it for `word_perplexity` (the whole sentence is one word)."""


def perplexity_aggregate(items: Sequence[tuple[float, int]]) -> float:
    """lm-eval's `weighted_perplexity` aggregation, math.exp(-sum(ll) / sum(weights)), except that a
    value beyond a float's range is inf where lm-eval's raises OverflowError and ends the whole run."""
    lls, weights = zip(*items, strict=True)
    return _exp(-sum(lls) / sum(weights)) or math.inf


def _exp(x: float) -> float | None:
    try:
        return math.exp(x)
    except OverflowError:
        return None


def stderr(metric: str, corpus: Corpus) -> float | None:
    """Standard error of the ratio of sums over documents by the delta method (the usual ratio
    estimator: sqrt(n / (n - 1) * sum((ll_i - r * w_i)^2)) / sum(w), r = sum(ll) / sum(w)), carried
    through the metric's transform (1 / -ln 2 for bits, exp(-r) for a perplexity). None for one
    document."""
    weights = _weights(metric, corpus)
    n = len(weights)
    if n < 2:
        return None
    total = sum(weights)
    r = sum(corpus.loglikelihoods) / total
    residual = sum((ll - r * w) ** 2 for ll, w in zip(corpus.loglikelihoods, weights, strict=True))
    se_r = math.sqrt(n / (n - 1) * residual) / total
    if metric == "bits_per_byte":
        return se_r / LN2
    scale = _exp(-r)
    return None if scale is None else scale * se_r


def _weights(metric: str, corpus: Corpus) -> Sequence[int]:
    if metric not in METRICS:
        raise ValueError(f"not a rolling metric: {metric!r}")
    return corpus.words if metric == "word_perplexity" else corpus.bytes
