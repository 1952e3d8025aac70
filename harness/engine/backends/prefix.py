"""Token-level helpers of `harness-hf`'s shared-context scoring: which contexts share a prefix, in
what order to run them, and lm-eval's answer from a continuation's log-probabilities."""

from typing import Any

MIN_PREFIX = 16
"""Shared prefixes shorter than this many tokens are run again rather than taken from a cache."""


def _common_prefix(sequences: list[tuple[int, ...]], limit: int) -> tuple[int, ...]:
    """The longest token prefix all `sequences` share, at most `limit` tokens."""
    first = sequences[0]
    n = 0
    while n < limit and n < len(first) and all(len(s) > n and s[n] == first[n] for s in sequences[1:]):
        n += 1
    return first[:n]


def _ordered(contexts: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Contexts that start alike (a shared few-shot block or instruction: their first MIN_PREFIX
    tokens are those of another context) next to each other, in token order, so each continues the
    cached prefix of the one before; the others longest first, as lm-eval orders (memory trouble
    shows at once, and rows in a padded batch are alike)."""
    from collections import Counter

    heads = Counter(c[:MIN_PREFIX] for c in contexts if len(c) > MIN_PREFIX)
    shared = sorted(c for c in contexts if len(c) > MIN_PREFIX and heads[c[:MIN_PREFIX]] > 1)
    alone = sorted(
        (c for c in contexts if not (len(c) > MIN_PREFIX and heads[c[:MIN_PREFIX]] > 1)),
        key=lambda c: (-len(c), c),
    )
    return alone + shared


def _answer(logprobs: Any, cont: list[int]) -> tuple[float, bool]:
    """(sum of the continuation's log-probabilities, whether each token is the argmax), lm-eval's
    answer, from its `[len(cont), vocab]` log-probabilities."""
    import torch

    target = torch.tensor(cont, dtype=torch.long, device=logprobs.device)
    greedy = bool((logprobs.argmax(dim=-1) == target).all())
    return float(logprobs.gather(1, target.unsqueeze(1)).sum()), greedy
