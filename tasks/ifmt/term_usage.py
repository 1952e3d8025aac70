"""Term usage rate (Dinu et al., 2019, "Training Neural Machine Translation to Apply Terminology
Constraints", ACL): the percentage of required target terms that appear in the translations, out of
all required terms of the corpus (a micro average over terms, not a mean of per-sentence rates).

Matching rule, as the public scorer of the follow-up work on the same test sets implements it
(Susanto et al., 2020, github.com/raymondhs/constrained-levt, `scripts/term_usage_rate.py`): a term
counts as used when it occurs in the output exactly (case-sensitive) with a non-word character or
the start/end of the output on each side, i.e. the regex `(\\W|^)TERM(\\W|$)` (Unicode `\\W`). So
`Handel` is not used in `Handelsabkommen`, and `interview` does not match `Interview`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

MATCH_RULE = "exact-case|non-word-boundaries|micro-average"
"""How a term is matched, for the metric signature."""


def term_used(term: str, output: str) -> bool:
    """Whether `term` occurs in `output` as a whole word sequence, case-sensitive."""
    return re.search(r"(\W|^)" + re.escape(term) + r"(\W|$)", output) is not None


@dataclass(frozen=True)
class TermRate:
    value: float
    """Percentage (0-100) of required terms used."""
    stderr: float | None
    """Standard deviation over bootstrap resamples of the sentences; None for a single sentence."""
    used: int
    total: int


def corpus_rate(used: Sequence[int], total: Sequence[int], resamples: int, seed: int) -> TermRate:
    """Sum of used terms over sum of required terms, with a sentence-level bootstrap stderr (the
    same resampling as the corpus MT metrics)."""
    import numpy as np

    from core.stats import bootstrap_counts

    if len(used) != len(total) or not total:
        raise ValueError(f"{len(used)} used counts for {len(total)} sentences")
    if sum(total) == 0:
        raise ValueError("no required terms")
    value = 100.0 * sum(used) / sum(total)
    if len(total) < 2:
        return TermRate(value, None, sum(used), sum(total))
    counts = bootstrap_counts(len(total), resamples, seed)
    used_sums = counts @ np.asarray(used, dtype=np.float64)
    total_sums = counts @ np.asarray(total, dtype=np.float64)
    rates = 100.0 * used_sums / total_sums  # every sentence has at least one term: no zero division
    return TermRate(value, float(np.std(rates, ddof=1)), sum(used), sum(total))
