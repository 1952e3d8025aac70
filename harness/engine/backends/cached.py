"""The response cache (`harness.engine.response_cache`) around any lm-eval model.

`harness-hf` calls `through_cache` from its own request methods; every other engine (lm-eval's `hf`,
`vllm`, the served `local-completions` model) gets it by `attach`, which replaces the instance's
`loglikelihood`, `loglikelihood_rolling` and `generate_until` with ones that answer from the cache
what it holds and hand the rest to the engine in chunks, each stored as soon as it is answered: a
run killed with SIGKILL loses at most the chunk in flight, and `--resume` finds the rest.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

ENGINE_CHUNKS = {"loglikelihood": 1024, "loglikelihood_rolling": 128, "generate_until": 256}
"""Requests handed to a wrapped engine at a time (and then stored). Larger than `harness-hf`'s:
vLLM and a served model schedule their own batches inside a chunk, so a chunk only bounds what a
kill can lose."""

KINDS = ("loglikelihood", "loglikelihood_rolling", "generate_until")


@dataclass
class CacheUse:
    """A cache, the key of the model answering, and what this run took from each."""

    cache: Any
    """A `harness.engine.response_cache.ResponseCache`."""
    key: str
    stats: dict[str, int] = field(default_factory=lambda: {"hits": 0, "computed": 0})


def through_cache(
    use: CacheUse, kind: str, requests: list[Any], compute: Callable[[list[Any]], list[Any]], size: int
) -> list[Any]:
    """Answers to `requests` (lm-eval Instances): cached ones from `use.cache`, the rest computed by
    `compute` in chunks of `size`, each chunk stored before the next is computed. Answers come back
    as JSON gives them (tuples as lists)."""
    from harness.engine.response_cache import request_hash

    args = [list(r.args) for r in requests]
    hashes = [request_hash(a) for a in args]
    found = use.cache.get_many(use.key, kind, sorted(set(hashes)))
    todo: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h not in found and h not in todo:
            todo[h] = i
    use.stats["hits"] += len(requests) - len(todo)
    use.stats["computed"] += len(todo)
    if len(requests) > len(todo):
        log.info(
            "response cache: %d of %d %s requests answered", len(requests) - len(todo), len(requests), kind
        )
    # Requests of one context next to each other, so a chunk keeps their shared context whole.
    pending = sorted(todo.values(), key=lambda i: str(args[i][0]))
    for start in range(0, len(pending), size):
        chunk = pending[start : start + size]
        answers = compute([requests[i] for i in chunk])
        rows = [
            (hashes[i], args[i], list(a) if isinstance(a, tuple) else a)
            for i, a in zip(chunk, answers, strict=True)
        ]
        use.cache.put_many(use.key, kind, rows)
        found.update({h: answer for h, _, answer in rows})
    return [found[h] for h in hashes]


def as_answer(kind: str, answer: Any) -> Any:
    """A cached answer in the type lm-eval's evaluator expects for `kind`."""
    if kind == "loglikelihood":
        return (float(answer[0]), bool(answer[1]))
    if kind == "loglikelihood_rolling":
        return float(answer)
    return str(answer)


def attach(lm: Any, cache: Any, key: str, chunks: dict[str, int] | None = None) -> CacheUse:
    """Route `lm`'s request methods through `cache` under `key`; `lm.cache_stats` counts hits."""
    use = CacheUse(cache, key)
    sizes = chunks or ENGINE_CHUNKS
    for kind in KINDS:
        engine_method = getattr(lm, kind)

        def cached(
            requests: list[Any], *args: Any, _kind: str = kind, _method: Any = engine_method, **kwargs: Any
        ) -> list[Any]:
            answers = through_cache(
                use, _kind, requests, lambda chunk: _method(chunk, *args, **kwargs), sizes[_kind]
            )
            return [as_answer(_kind, a) for a in answers]

        setattr(lm, kind, cached)
    lm.cache_stats = use.stats
    return use
