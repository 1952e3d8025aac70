"""Shared-context loglikelihood scoring: lm-eval's `hf` model, with each context run once for all
of its continuations.

lm-eval's `HFLM._loglikelihood_tokens` runs `(context + continuation)[:-1]` through the model for
every choice and takes a log-softmax over the whole vocabulary at every position. A multiple-choice
document with k choices thus costs k full passes over its (often long) context. `SharedContextLM`
groups the requests by their context tokens and, per batch of distinct contexts:

1. runs the contexts once (right-padded, with the KV cache kept), asking the model for logits at
   each context's last position only (`logits_to_keep`): they score every continuation's first
   token;
2. when some continuation is longer than one token, copies each context's cache row once per
   continuation and runs the continuations' tokens but the last after it (explicit
   `position_ids`, the context's padding masked), for the logits of their remaining tokens.
   A context run alone (see below) instead carries its continuations in the same pass: the
   sequence is the context followed by each continuation's tokens but the last, with a 4D mask
   letting each continuation see the context and its own earlier tokens only, and positions
   that restart after the context for each one; a second pass over the weights is saved.

Contexts that start alike (a few-shot block, a task instruction) are not run from the start each
time: the keys and values last computed (the previous context's, or a padded batch's common prefix)
are kept, and a context that shares at least `MIN_PREFIX` leading tokens with them continues from
a cache holding that shared part; a padded batch runs its own common prefix once for all its rows.
Contexts are ordered so that those sharing their first `MIN_PREFIX` tokens come one after another
in token order. The kept tensors are never written to (a cache replaces, not updates, its
tensors), so nothing is copied. Models whose cache is not a plain one (sliding-window or
recurrent layers) skip this.

On a CPU the contexts run one at a time, unpadded: there a padded batch costs more than its rows
one by one (48 KoBEST BoolQ contexts with SmolLM2-135M on 2 cores: 33.7 s one at a time, 44.5 s
in padded batches of 16). On other devices `batch_size` contexts run together. `pad_contexts`
(True/False) overrides that choice.

The log-softmax is taken only at continuation positions, so memory grows with the continuations,
not with context x vocabulary. The tokens, the left truncation rule and the returned
`(sum of log-probabilities, is greedy)` are lm-eval's; requests too long for the model's window
are passed to lm-eval's own method unchanged. Registered in lm-eval's model registry as
`harness-hf`.

Greedy generation goes through `harness.engine.backends.greedy`, which takes each row out of the batch
as soon as it has finished instead of running the batch until its last row stops.

Rolling loglikelihood (bits per byte) runs documents in length-sorted batches, without padding
waste (`harness.engine.backends.rolling`).

With a `ResponseCache` attached (`attach_cache`), `loglikelihood`, `loglikelihood_rolling` and
`generate_until` answer from the cache what it holds and store the rest in chunks as they are
computed (`harness.engine.response_cache`).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from harness.engine.backends.prefix import MIN_PREFIX, _answer, _common_prefix, _ordered

Request = tuple[tuple[str, str], list[int], list[int]]
CHUNKS = {"loglikelihood": 512, "loglikelihood_rolling": 512, "generate_until": 64}
"""Requests computed (and then stored) at a time: what a SIGKILL can lose at most."""
log = logging.getLogger(__name__)


@register_model("harness-hf")
class SharedContextLM(HFLM):
    """lm-eval's `hf` model with shared-context multiple-choice scoring (causal models)."""

    response_cache: Any = None
    cache_key: str | None = None
    cache_stats: dict[str, int]
    pad_contexts: bool | None = None
    """Batch contexts with padding (None: on every device but the CPU)."""
    context_tokens: dict[str, int]
    """Context tokens scored so far: `run` through the model, `reused` from a kept prefix cache."""

    def attach_cache(self, cache: Any, key: str) -> None:
        """Answer requests from `cache` (a `harness.engine.response_cache.ResponseCache`) under `key`."""
        self.response_cache, self.cache_key = cache, key
        self.cache_stats = {"hits": 0, "computed": 0}

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        answers = self._through_cache(
            "loglikelihood",
            requests,
            lambda chunk: super(SharedContextLM, self).loglikelihood(chunk, disable_tqdm),
        )
        return [(float(a[0]), bool(a[1])) for a in answers]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """lm-eval's, documents that fit the window in length-sorted batches (`backends.rolling`)."""
        from harness.engine.backends import rolling

        answers = self._through_cache(
            "loglikelihood_rolling",
            requests,
            lambda chunk: rolling.loglikelihood_rolling(self, chunk, disable_tqdm),
        )
        return [float(a) for a in answers]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        from harness.engine.backends.ends import tracked

        compute = lambda chunk: super(SharedContextLM, self).generate_until(chunk, disable_tqdm)  # noqa: E731
        # `tracked` also records which answers stopped at the token budget (`cut_off`)
        answers = tracked(self, requests, lambda: self._through_cache("generate_until", requests, compute))
        return [str(a) for a in answers]

    def _model_generate(self, context: Any, max_length: int, stop: list[str], **kwargs: Any) -> Any:
        """Plain greedy decoding by `harness.engine.backends.greedy` (finished rows leave the batch);
        anything else by lm-eval's own call to `generate`."""
        from harness.engine.backends import greedy

        config = self.model.generation_config
        if self.backend != "causal" or not greedy.plain_greedy(config, kwargs):
            return super()._model_generate(context, max_length, stop, **kwargs)
        mask = kwargs.get("attention_mask")
        if mask is None:
            mask = (context != self.tokenizer.pad_token_id).long()
        return greedy.greedy_generate(
            self.model,
            context,
            mask,
            max_length - context.shape[1],
            stop,
            self.tok_decode,
            greedy.eos_ids(config),
            int(self.tokenizer.pad_token_id),
        )

    def _through_cache(
        self, kind: str, requests: list[Any], compute: Callable[[list[Any]], list[Any]]
    ) -> list[Any]:
        if self.response_cache is None or self.cache_key is None:
            return compute(requests)
        from harness.engine.backends.cached import CacheUse, through_cache

        use = CacheUse(self.response_cache, self.cache_key, self.cache_stats)
        return through_cache(use, kind, requests, compute, CHUNKS.get(kind, 256))

    def _loglikelihood_tokens(
        self,
        requests: list[Request],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        if self.backend != "causal":
            return super()._loglikelihood_tokens(requests, disable_tqdm, override_bs)
        from tqdm import tqdm

        results: list[tuple[float, bool] | None] = [None] * len(requests)
        too_long = [
            i for i, (_, ctx, cont) in enumerate(requests) if len(ctx) + len(cont) > self.max_length + 1
        ]
        if too_long:
            scored = super()._loglikelihood_tokens([requests[i] for i in too_long], disable_tqdm, override_bs)
            for i, answer in zip(too_long, scored, strict=True):
                results[i] = answer
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        skip = set(too_long)
        for i, (_, ctx, _cont) in enumerate(requests):
            if i not in skip:
                groups[tuple(ctx)].append(i)
        contexts = _ordered(list(groups))
        batch_size = self._contexts_per_batch(override_bs)
        bar = tqdm(
            total=len(requests) - len(too_long),
            disable=disable_tqdm or self.rank != 0,
            desc="Scoring choices (shared contexts)",
        )
        for start in range(0, len(contexts), batch_size):
            batch = contexts[start : start + batch_size]
            members = [(row, i) for row, ctx in enumerate(batch) for i in groups[ctx]]
            answers = self._score_batch(batch, [(row, requests[i][2]) for row, i in members])
            for (_, i), answer in zip(members, answers, strict=True):
                results[i] = answer
                self.cache_hook.add_partial("loglikelihood", requests[i][0], answer)
            bar.update(len(members))
        bar.close()
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def _contexts_per_batch(self, override_bs: int | None) -> int:
        pad = self.pad_contexts if self.pad_contexts is not None else self.device.type != "cpu"
        if not pad:
            return 1
        size = override_bs if override_bs is not None else self.batch_size
        return int(size) if str(size).isdigit() and int(size) > 0 else 8

    def _score_batch(
        self, contexts: list[tuple[int, ...]], conts: list[tuple[int, list[int]]]
    ) -> list[tuple[float, bool]]:
        """(log-probability, greedy) of each (context row, continuation tokens)."""
        import torch
        import torch.nn.functional as F

        start, past = self._shared_prefix(contexts)
        counts = self.__dict__.setdefault("context_tokens", {"run": 0, "reused": 0})
        counts["reused"] += start * len(contexts)
        counts["run"] += sum(len(c) - start for c in contexts)
        if len(contexts) == 1 and any(len(cont) > 1 for _, cont in conts) and self._custom_masks():
            answers = self._score_folded(contexts[0], [cont for _, cont in conts], start, past)
            return answers
        device = self.device
        lengths = [len(c) for c in contexts]
        width = max(lengths) - start
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(contexts), width), pad, dtype=torch.long, device=device)
        mask = torch.zeros((len(contexts), start + width), dtype=torch.long, device=device)
        for row, ctx in enumerate(contexts):
            ids[row, : len(ctx) - start] = torch.tensor(ctx[start:], dtype=torch.long, device=device)
            mask[row, : len(ctx)] = 1
        last = sorted({n - 1 - start for n in lengths})
        with torch.no_grad():
            out = self.model(
                input_ids=ids,
                # One row has no padding: without a mask, attention takes its plain causal path.
                attention_mask=mask if len(contexts) > 1 else None,
                past_key_values=past,
                use_cache=True,
                logits_to_keep=torch.tensor(last, dtype=torch.long, device=device),
            )
            if len(contexts) == 1:
                self._keep(contexts[0], out.past_key_values)
            # [rows, len(last), vocab] -> each row's logits at its own last context position
            where = torch.tensor([last.index(n - 1 - start) for n in lengths], device=device)
            first = out.logits[torch.arange(len(contexts), device=device), where]
            first = F.log_softmax(first, dim=-1, dtype=self.softmax_dtype)
            rest = self._continuations(out.past_key_values, mask, lengths, conts)
        answers = []
        for k, (row, cont) in enumerate(conts):
            token_logprobs = [first[row]]
            if len(cont) > 1:
                token_logprobs.extend(rest[k, : len(cont) - 1])
            answers.append(_answer(torch.stack(token_logprobs), cont))
        return answers

    def _shared_prefix(self, contexts: list[tuple[int, ...]]) -> tuple[int, Any]:
        """(n, a KV cache holding the first n tokens every context of the batch starts with), or
        (0, None). The tokens come from the kept cache of an earlier batch as far as it agrees (a
        few-shot block, a task instruction); the rest of a batch's common prefix (several contexts)
        is computed once here, for one row, then repeated for every row. At least one token of each
        context is left to run, for its logits at the last position."""
        import torch

        common = _common_prefix(contexts, min(len(c) for c in contexts) - 1)
        if self._kept is None or not self._prefix_reuse():
            reused = 0
        else:
            reused = len(_common_prefix([self._kept[0], common], len(common)))
        if reused < MIN_PREFIX:
            reused = 0
        if len(contexts) == 1 or len(common) - reused < MIN_PREFIX:
            if reused == 0:
                return 0, None
            return reused, self._cache_of(reused, len(contexts))
        past = self._cache_of(reused, 1) if reused else None
        with torch.no_grad():
            out = self.model(
                input_ids=torch.tensor([common[reused:]], dtype=torch.long, device=self.device),
                past_key_values=past,
                use_cache=True,
                logits_to_keep=1,
            )
        self._keep(common, out.past_key_values)
        counts = self.__dict__.setdefault("context_tokens", {"run": 0, "reused": 0})
        counts["run"] += len(common) - reused  # once for the batch, then counted as reused per row
        return len(common), self._cache_of(len(common), len(contexts))

    _kept: tuple[tuple[int, ...], list[tuple[Any, Any]]] | None = None
    """The tokens and keys/values (per layer, batch of one) last computed: an earlier context, or a
    batch's common prefix. The tensors are kept, not copied: a cache only ever replaces them."""

    def _prefix_reuse(self) -> bool:
        """Whether keys and values computed for a prefix can continue another sequence: a plain
        (not sliding-window, not recurrent) cache of a causal model."""
        from transformers.cache_utils import DynamicLayer

        return self.backend == "causal" and all(type(layer) is DynamicLayer for layer in self._probe_layers())

    def _probe_layers(self) -> list[Any]:
        from transformers import DynamicCache

        if not hasattr(self, "_layer_kinds"):
            self._layer_kinds = list(DynamicCache(config=self.model.config).layers)
        return self._layer_kinds

    def _keep(self, tokens: tuple[int, ...], cache: Any) -> None:
        if not self._prefix_reuse():
            return
        layers = getattr(cache, "layers", None)
        if layers is None or any(layer.keys is None or layer.keys.shape[0] != 1 for layer in layers):
            return
        self._kept = (tuple(tokens), [(layer.keys, layer.values) for layer in layers])

    def _cache_of(self, n: int, rows: int) -> Any:
        """A new cache with the kept keys and values of the first `n` tokens, for `rows` rows."""
        from transformers import DynamicCache

        assert self._kept is not None
        data = [
            (k[..., :n, :].expand(rows, -1, -1, -1), v[..., :n, :].expand(rows, -1, -1, -1))
            for k, v in self._kept[1]
        ]
        return DynamicCache(ddp_cache_data=data, config=self.model.config)

    def _custom_masks(self) -> bool:
        """Whether the model's attention takes a ready 4D mask (flash attention ignores one)."""
        return getattr(self.model.config, "_attn_implementation", None) in ("sdpa", "eager")

    def _score_folded(
        self, context: tuple[int, ...], conts: list[list[int]], start: int = 0, past: Any = None
    ) -> list[tuple[float, bool]]:
        """One context and all its continuations in one pass (step 2 above, folded into step 1);
        with `past` holding the context's first `start` tokens, only the rest of it is run."""
        import torch
        import torch.nn.functional as F

        device = self.device
        n_ctx = len(context)
        own = n_ctx - start  # context tokens run here
        blocks = [cont[:-1] for cont in conts]
        tokens = list(context[start:]) + [t for block in blocks for t in block]
        total = len(tokens)
        allowed = torch.zeros((total, start + total), dtype=torch.bool, device=device)
        allowed[:, :start] = True
        allowed[:own, start : start + own] = torch.ones((own, own), dtype=torch.bool, device=device).tril()
        positions = list(range(start, n_ctx))
        starts = []
        offset = own
        for block in blocks:
            n = len(block)
            allowed[offset : offset + n, start : start + own] = True
            allowed[offset : offset + n, start + offset : start + offset + n] = torch.ones(
                (n, n), dtype=torch.bool, device=device
            ).tril()
            positions.extend(range(n_ctx, n_ctx + n))
            starts.append(offset)
            offset += n
        dtype = self.model.dtype
        # Additive form, which both the sdpa and the eager attention take as it is.
        mask = torch.zeros((total, start + total), dtype=dtype, device=device)
        mask.masked_fill_(~allowed, torch.finfo(dtype).min)
        keep = [own - 1] + list(range(own, total))
        with torch.no_grad():
            out = self.model(
                input_ids=torch.tensor([tokens], dtype=torch.long, device=device),
                attention_mask=mask[None, None],
                position_ids=torch.tensor([positions], dtype=torch.long, device=device),
                past_key_values=past,
                logits_to_keep=torch.tensor(keep, dtype=torch.long, device=device),
                use_cache=past is not None or self._prefix_reuse(),
            )
            if out.past_key_values is not None:
                # The context's own rows of the cache (the continuations' come after them).
                out.past_key_values.crop(-(total - own)) if total > own else None
                self._keep(context, out.past_key_values)
            logprobs = F.log_softmax(out.logits[0], dim=-1, dtype=self.softmax_dtype)  # [len(keep), vocab]
        answers = []
        for cont, block, offset in zip(conts, blocks, starts, strict=True):
            # Row 0 is the context's last position; a block's rows follow at their kept index.
            rows = [0] + [1 + (offset - own) + j for j in range(len(block))]
            answers.append(_answer(logprobs[rows], cont))
        return answers

    def _continuations(
        self, cache: Any, mask: Any, lengths: list[int], conts: list[tuple[int, list[int]]]
    ) -> Any:
        """Log-probabilities at the continuation tokens after the first, `[n, longest - 1, vocab]`."""
        import torch
        import torch.nn.functional as F

        steps = max(len(cont) for _, cont in conts) - 1
        if steps == 0:
            return None
        device = self.device
        rows = torch.tensor([row for row, _ in conts], dtype=torch.long, device=device)
        cache.batch_select_indices(rows)
        ids = torch.zeros((len(conts), steps), dtype=torch.long, device=device)
        cont_mask = torch.zeros((len(conts), steps), dtype=torch.long, device=device)
        for k, (_, cont) in enumerate(conts):
            n = len(cont) - 1
            if n:
                ids[k, :n] = torch.tensor(cont[:-1], dtype=torch.long, device=device)
                cont_mask[k, :n] = 1
        starts = torch.tensor([lengths[row] for row, _ in conts], dtype=torch.long, device=device)
        positions = starts.unsqueeze(1) + torch.arange(steps, device=device).unsqueeze(0)
        out = self.model(
            input_ids=ids,
            attention_mask=torch.cat([mask[rows], cont_mask], dim=1),
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        return F.log_softmax(out.logits, dim=-1, dtype=self.softmax_dtype)
