"""One scale, one precision and one blank for every page, CSV and report.

Accuracies and rates are stored as fractions (lm-eval's convention) and shown on 0-100, as the
leaderboard and most papers show them; sacrebleu's metrics (chrF++, BLEU, spBLEU) are already on
0-100 and are shown as they are. Any other metric (Gaokao's raw points, COMET, a perplexity) is
shown as stored, with no range to clip to. Missing is one dash, never "None", "nan" or a zero.
"""

import math
from dataclasses import dataclass

BLANK = "—"
"""What a missing value shows as, everywhere."""

FRACTIONS = frozenset(
    {
        "acc",
        "acc_norm",
        "f1",
        "exact_match",
        "points_rate",
        "term_usage",
        "off_target",
        "off_target_macro",
        "source_copy",
    }
)
"""Stored on 0-1, shown times 100."""

PERCENTAGES = frozenset({"chrf++", "chrf", "bleu", "spbleu"})
"""Stored and shown on 0-100 (sacrebleu)."""

LOWER_IS_BETTER = frozenset(
    {
        "off_target",
        "off_target_macro",
        "source_copy",
        "judge_cut_off",
        "judge_unparseable",
        "cut_off",
        "bits_per_byte",
        "byte_perplexity",
        "word_perplexity",
    }
)
"""Metrics for which a rise is a regression (the judge's two are counts of documents; bits per byte
and the perplexities of `tasks/bpb`, unbounded above and shown as stored)."""


@dataclass(frozen=True)
class Scale:
    """How a metric is shown."""

    factor: float
    """Stored value times this is the shown value."""
    low: float | None
    """The shown range, to clip intervals to (None: unbounded)."""
    high: float | None
    digits: int
    """Decimals shown."""


def scale_of(metric: str) -> Scale:
    if metric in FRACTIONS:
        return Scale(100.0, 0.0, 100.0, 1)
    if metric in PERCENTAGES:
        return Scale(1.0, 0.0, 100.0, 1)
    return Scale(1.0, None, None, 3)


def stored_range(metric: str) -> tuple[float, float] | None:
    """The range of the stored value (0-1 for fractions, 0-100 for sacrebleu's), or None."""
    s = scale_of(metric)
    if s.low is None or s.high is None:
        return None
    return (s.low / s.factor, s.high / s.factor)


def shown(metric: str, value: float | None) -> float | None:
    """The value on its display scale (None and NaN stay missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value * scale_of(metric).factor


def clip(metric: str, low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """An interval of shown values clipped to the metric's shown range."""
    s = scale_of(metric)
    if s.low is None or s.high is None:
        return low, high
    return (
        None if low is None else min(max(low, s.low), s.high),
        None if high is None else min(max(high, s.low), s.high),
    )


LARGE = 1e6
"""From here on a value is written in scientific notation with 3 significant digits: a perplexity
of a model near random (a word perplexity of 1e40) would otherwise fill a terminal line."""


def _number(value: float, digits: int, sign: bool = False) -> str:
    plus = "+" if sign else ""
    if math.isfinite(value) and abs(value) >= LARGE:
        return f"{value:{plus}.3g}"
    return f"{value:{plus}.{digits}f}"


def fmt(metric: str, value: float | None) -> str:
    """A stored value, scaled and rounded for its metric; BLANK when missing."""
    v = shown(metric, value)
    return BLANK if v is None else _number(v, scale_of(metric).digits)


def fmt_shown(metric: str, value: float | None) -> str:
    """An already scaled value rounded for its metric; BLANK when missing."""
    if value is None or math.isnan(value):
        return BLANK
    return _number(value, scale_of(metric).digits)


def fmt_interval(metric: str, low: float | None, high: float | None) -> str:
    """`[low, high]` of stored values, scaled and clipped; BLANK when either end is missing."""
    lo, hi = clip(metric, shown(metric, low), shown(metric, high))
    if lo is None or hi is None:
        return BLANK
    return f"[{fmt_shown(metric, lo)}, {fmt_shown(metric, hi)}]"


def fmt_delta(metric: str, delta: float | None) -> str:
    """A signed difference of stored values on the metric's display scale."""
    v = shown(metric, delta)
    return BLANK if v is None else _number(v, scale_of(metric).digits, sign=True)


def fmt_delta_interval(metric: str, low: float | None, high: float | None) -> str:
    """`[low, high]` of a difference of stored values, signed, clipped to the widest difference the
    metric's range allows (an accuracy difference stays within [-100, +100])."""
    s = scale_of(metric)
    lo, hi = shown(metric, low), shown(metric, high)
    if lo is None or hi is None:
        return BLANK
    if s.low is not None and s.high is not None:
        span = s.high - s.low
        lo, hi = max(lo, -span), min(hi, span)
    return f"[{lo:+.{s.digits}f}, {hi:+.{s.digits}f}]"


def text(value: object) -> str:
    """Any cell: BLANK for None/NaN, else its string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return BLANK
    return str(value)
