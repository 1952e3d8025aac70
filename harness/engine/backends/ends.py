"""Where each generated answer stopped: at the token budget (`max_gen_toks`, "cut off") or at a stop
string or end of sequence, for the runner's `cut_off` count (`harness.engine.cut_off`).

lm-eval's `HFLM.generate_until` answers a batch through `_model_generate` and then reports each
row's answer, in the batch's row order, to `cache_hook.add_partial("generate_until", (context,
gen_kwargs), answer)`. For `harness-hf` (`tracked`, from its `generate_until`), each batch's flags
are computed from the tokens `_model_generate` returned (`greedy.budget_spent`) and queued, and the
cache hook installed here takes them in that same order, keyed by the context string and the
budget. With a response cache the flags are stored beside the answers (kind
`generate_until_cut_off`), so an answer from the cache keeps its flag; answers cached before the
flags existed have none.
"""

from collections.abc import Callable, Sequence
from typing import Any

CACHE_KIND = "generate_until_cut_off"


Key = tuple[str, int]
"""(context, max_gen_toks) of a generation request."""


def key_of(args: Sequence[Any]) -> Key:
    """A `generate_until` request's (context, gen_kwargs) as a `Key` (lm-eval's default budget 256)."""
    return str(args[0]), int((args[1] or {}).get("max_gen_toks", 256))


class GenerationEnds:
    """(context, budget) -> whether its answer stopped at the token budget."""

    def __init__(self) -> None:
        self.pending: list[bool] = []
        self.cut_off: dict[Key, bool] = {}

    def rows(self, flags: Sequence[bool]) -> None:
        """A batch's flags, in row order, before lm-eval reports the batch's answers."""
        self.pending.extend(flags)

    def answered(self, key: Key) -> None:
        if self.pending:
            self.cut_off[key] = self.pending.pop(0)


class EndsHook:
    """lm-eval's cache hook, also handing each generated answer its queued flag."""

    def __init__(self, inner: Any, ends: GenerationEnds) -> None:
        self.inner, self.ends = inner, ends

    def add_partial(self, attr: str, req: Any, res: Any) -> None:
        self.inner.add_partial(attr, req, res)
        if attr == "generate_until":
            self.ends.answered(key_of(req))


def tracked(lm: Any, requests: Sequence[Any], answer: Callable[[], list[Any]]) -> list[Any]:
    """`answer()` (the model's answers to `requests`), with where each one stopped recorded in
    `lm.generation_ends` (and in its response cache, when it has one)."""
    ends = install(lm)
    answers = answer()
    sync_cache(ends, getattr(lm, "response_cache", None), getattr(lm, "cache_key", None), requests)
    return answers


def install(lm: Any) -> GenerationEnds:
    """The model's `GenerationEnds`; on first use, its cache hook wrapped and its `_model_generate`
    wrapped to queue each batch's flags (causal models only; others report none)."""
    ends = getattr(lm, "generation_ends", None)
    if ends is not None:
        return ends
    ends = GenerationEnds()
    lm.generation_ends = ends
    lm.cache_hook = EndsHook(lm.cache_hook, ends)
    if getattr(lm, "backend", None) != "causal":
        return ends
    generate = lm._model_generate

    def generate_and_queue(context: Any, max_length: int, stop: list[str], **kwargs: Any) -> Any:
        from harness.engine.backends import greedy

        out = generate(context, max_length, stop, **kwargs)
        width = context.shape[1]
        eos = greedy.eos_ids(lm.model.generation_config)
        pad = int(lm.tokenizer.pad_token_id)
        rows = out[:, width:].tolist()
        ends.rows(greedy.budget_spent(rows, max_length - width, stop, lm.tok_decode, eos, pad))
        return out

    lm._model_generate = generate_and_queue
    return ends


def sync_cache(ends: GenerationEnds, cache: Any, key: str | None, requests: Sequence[Any]) -> None:
    """Store the flags of `requests` computed now, and read those of answers that came from the
    response cache."""
    if cache is None or key is None:
        return
    from harness.engine.response_cache import request_hash

    rows = [(request_hash(list(r.args)), list(r.args), key_of(r.args)) for r in requests]
    known = [(h, args, ends.cut_off[k]) for h, args, k in rows if k in ends.cut_off]
    if known:
        cache.put_many(key, CACHE_KIND, known)
    missing = {h: k for h, _, k in rows if k not in ends.cut_off}
    if missing:
        for h, flag in cache.get_many(key, CACHE_KIND, sorted(missing)).items():
            ends.cut_off[missing[h]] = bool(flag)
