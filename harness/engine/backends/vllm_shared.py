"""Shared-context loglikelihood scoring on vLLM: lm-eval's `vllm` model, with each context (and
each token prefix its choices share) computed once for all of its continuations.

lm-eval's `VLLM._loglikelihood_tokens` sends every `context + continuation` as its own request
with `prompt_logprobs`, so a 4-choice question computes its context 4 times. vLLM's V1 engine
turns the prefix cache off for such requests by default (`SamplingParams.__post_init__` sets
`skip_reading_prefix_cache` when `prompt_logprobs` is asked for), because a cache hit leaves the
prompt logprobs of the cached positions uncomputed: the V1 model runner fills them from
`request.num_computed_tokens` on (`gpu_model_runner._get_prompt_logprobs_dict`), the rows before
it stay unwritten. They are exactly the rows that were not run, so a request that reads the
cache still gives correct prompt logprobs for every position past its `num_cached_tokens`.
`SharedContextVLLM` asks for `skip_reading_prefix_cache=False` and uses only those rows.

The log-probability of a token depends only on the tokens before it, so rows are kept by token
prefix (`PrefixRows`, a trie): a row computed for one request answers every request that shares
that prefix. Requests are sorted by their tokens and grouped by context; in each chunk of groups:

1. one request per context group: the prompt is the tokens every choice shares (the context and
   any common start of the continuations), with `prompt_logprobs` when that common start needs
   scoring and `logprob_token_ids` set to each choice's next token. With temperature 0 and vLLM's
   default `logprobs_mode="raw_logprobs"`, these are the model's own log-probabilities at the
   last prompt position (taken before any logits processor), and the sampled token is its argmax.
   Single-token choices (the common case) are answered here, one request per question. The
   prompt's full KV blocks land in the prefix cache;
2. one request per choice still missing rows: `context + continuation` with `prompt_logprobs`,
   reading the prefix cache, so only the blocks past the shared part are computed;
3. a request whose cache hit went past a row it needs (another request's blocks covered part of
   its continuation, and no request computed that row) is sent again without reading the cache.

A hit lands on a KV block boundary, so up to `block_size - 1` shared tokens are run again per
choice: on the CPU the block size is set to 32 (the smallest its attention kernel takes; vLLM's
CPU default is 128). The tokens, the left truncation rule and the returned `(sum of
log-probabilities, is greedy)` are lm-eval's; requests too long for the window and every request
under data parallelism (each call there starts new
engines, so nothing stays cached) go to lm-eval's own method unchanged. `generate_until` is
lm-eval's. `loglikelihood_rolling` takes lm-eval's windows and scores them from prompt logprobs,
all windows of a chunk in one engine call. `engine_stats` counts the requests sent to the engine
and the prompt tokens it ran (`len(prompt) - num_cached_tokens`; with `max_tokens=1` no generated
token is run).
Registered in lm-eval's model registry as `harness-vllm`.
"""

import logging
from collections import defaultdict
from typing import Any

from lm_eval.api.registry import register_model

from harness.engine.backends.vllm_import import import_lm_eval_vllm

Request = tuple[tuple[str, str] | None, list[int], list[int]]
Row = tuple[float, bool]
"""A token's log-probability given the tokens before it, and whether it is the argmax."""

CHUNK_REQUESTS = 4096
"""Requests scored together at most (bounds the prefix trie)."""
CPU_BLOCK_SIZE = 32
log = logging.getLogger(__name__)
VLLM: Any = import_lm_eval_vllm().VLLM  # lm-eval's vllm module, imported with its version patch


class PrefixRows:
    """Rows keyed by the token prefix they end: node `path(tokens)[k]` is `tokens[: k + 1]`,
    and its row is the log-probability of `tokens[k]` given `tokens[:k]`."""

    def __init__(self) -> None:
        self.children: dict[tuple[int, int], int] = {}
        self.rows: dict[int, Row] = {}

    def path(self, tokens: list[int]) -> list[int]:
        nodes, node = [], 0
        for token in tokens:
            child = self.children.setdefault((node, token), len(self.children) + 1)
            nodes.append(child)
            node = child
        return nodes

    def missing(self, nodes: list[int], start: int) -> list[int]:
        """Positions from `start` on whose rows are not known yet."""
        return [k for k in range(start, len(nodes)) if nodes[k] not in self.rows]


def common_prefix(sequences: list[list[int]]) -> int:
    first = sequences[0]
    length = min(len(s) for s in sequences)
    for seq in sequences[1:]:
        n = 0
        while n < length and seq[n] == first[n]:
            n += 1
        length = n
    return length


@register_model("harness-vllm")
class SharedContextVLLM(VLLM):
    """lm-eval's `vllm` model with shared-context multiple-choice scoring."""

    engine_stats: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from vllm.platforms import current_platform

        kwargs.setdefault("enable_prefix_caching", True)
        if current_platform.is_cpu():
            kwargs.setdefault("block_size", CPU_BLOCK_SIZE)
        super().__init__(*args, **kwargs)
        self.engine_stats = {"requests": 0, "forward_tokens": 0, "cached_tokens": 0, "resent": 0}

    def _loglikelihood_tokens(
        self, requests: list[Request], disable_tqdm: bool = False
    ) -> list[tuple[float, bool]]:
        max_tokens = self.max_length - 1  # lm-eval's limit: vLLM needs room for one generated token
        mine = [
            i
            for i, (key, ctx, cont) in enumerate(requests)
            if key is not None and cont and len(ctx) + len(cont) <= max_tokens
        ]
        if self.data_parallel_size > 1 or not mine:
            return super()._loglikelihood_tokens(requests, disable_tqdm)
        results: list[tuple[float, bool] | None] = [None] * len(requests)
        rest = sorted(set(range(len(requests))) - set(mine))
        if rest:
            answers = super()._loglikelihood_tokens([requests[i] for i in rest], disable_tqdm)
            for i, answer in zip(rest, answers, strict=True):
                results[i] = answer
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for i in mine:
            groups[tuple(requests[i][1])].append(i)
        order = sorted(groups, key=lambda ctx: min(requests[i][1] + requests[i][2] for i in groups[ctx]))
        # A chunk's shared prompts must still be cached when its choices come: half the KV cache.
        budget = self.kv_cache_tokens() // 2
        chunk: list[list[int]] = []
        size = tokens = 0
        for ctx in order:
            if chunk and (size + len(groups[ctx]) > CHUNK_REQUESTS or tokens + len(ctx) > budget):
                self._score_chunk(requests, chunk, results)
                chunk, size, tokens = [], 0, 0
            chunk.append(groups[ctx])
            size, tokens = size + len(groups[ctx]), tokens + len(ctx)
        if chunk:
            self._score_chunk(requests, chunk, results)
        for i in mine:
            key = requests[i][0]
            self.cache_hook.add_partial("loglikelihood", key, results[i])
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """lm-eval's rolling windows (`VLLM.loglikelihood_rolling`: the prefix token, windows of
        `max_length - 2`), every window of a chunk in one engine call with `prompt_logprobs` (lm-eval
        calls the engine per `batch_size` windows); each window's sum and each document's sum of
        windows as lm-eval adds them."""
        from lm_eval.utils import get_rolling_token_windows, make_disjoint_window

        if self.data_parallel_size > 1:
            return list(super().loglikelihood_rolling(requests, disable_tqdm))
        windows: list[tuple[int, list[int], int]] = []  # (document, prompt tokens, context length)
        for i, request in enumerate(requests):
            tokens = self.tok_encode(request.args[0])
            for ctx, cont in map(
                make_disjoint_window,
                get_rolling_token_windows(tokens, self.prefix_token_id, self.max_length - 2, 1),
            ):
                windows.append((i, ctx + cont, len(ctx)))
        sums: list[list[float]] = [[] for _ in requests]
        for start in range(0, len(windows), CHUNK_REQUESTS):
            chunk = windows[start : start + CHUNK_REQUESTS]
            outputs = self._generate([seq for _, seq, _ in chunk], [self._params(1, False)] * len(chunk))
            for (i, seq, ctxlen), output in zip(chunk, outputs, strict=True):
                rows = output.prompt_logprobs
                sums[i].append(sum(rows[k][seq[k]].logprob for k in range(ctxlen, len(seq))))
        totals = [sum(parts) for parts in sums]
        for request, total in zip(requests, totals, strict=True):
            self.cache_hook.add_partial("loglikelihood_rolling", (request.args[0],), total)
        return totals

    def kv_cache_tokens(self) -> int:
        """Tokens the engine's KV cache holds."""
        config = self.model.llm_engine.vllm_config.cache_config
        return int(config.num_gpu_blocks or 0) * int(config.block_size)

    def _score_chunk(
        self, requests: list[Request], groups: list[list[int]], results: list[tuple[float, bool] | None]
    ) -> None:
        """Score the requests of `groups` (indices into `requests`, one list per context)."""
        memo = PrefixRows()
        seqs = {i: requests[i][1] + requests[i][2] for group in groups for i in group}
        starts = {i: len(requests[i][1]) for i in seqs}
        nodes = {i: memo.path(seq) for i, seq in seqs.items()}
        self._shared_prefixes(groups, seqs, starts, nodes, memo)
        for read_cache in (True, False):
            todo = [i for i in seqs if memo.missing(nodes[i], starts[i])]
            if not read_cache:
                self.engine_stats["resent"] += len(todo)
            if todo:
                outputs = self._generate([seqs[i] for i in todo], [self._params(1, read_cache)] * len(todo))
                for i, output in zip(todo, outputs, strict=True):
                    self._keep_prompt_rows(output, seqs[i], nodes[i], starts[i], memo)
        for i in seqs:
            rows = [memo.rows[n] for n in nodes[i][starts[i] :]]
            results[i] = (sum(lp for lp, _ in rows), all(greedy for _, greedy in rows))

    def _shared_prefixes(
        self,
        groups: list[list[int]],
        seqs: dict[int, list[int]],
        starts: dict[int, int],
        nodes: dict[int, list[int]],
        memo: PrefixRows,
    ) -> None:
        """Step 1: per context group, the prompt every choice shares, with the rows of its own
        continuation part and the log-probabilities of each choice's next token."""
        from vllm.sampling_params import MAX_LOGPROB_TOKEN_IDS

        prompts, params, asks = [], [], []
        for group in groups:
            first = group[0]
            length = common_prefix([seqs[i] for i in group])
            rows_needed = bool(memo.missing(nodes[first][:length], starts[first]))
            next_ids = sorted(
                {
                    seqs[i][length]
                    for i in group
                    if len(seqs[i]) > length and nodes[i][length] not in memo.rows
                }
            )
            if len(next_ids) > MAX_LOGPROB_TOKEN_IDS:
                next_ids = []  # left to step 2
            if not rows_needed and not next_ids:
                continue
            prompts.append(seqs[first][:length])
            params.append(self._params(1 if rows_needed else None, True, next_ids))
            asks.append((first, length, next_ids))
        if not prompts:
            return
        outputs = self._generate(prompts, params)
        for output, (first, length, next_ids) in zip(outputs, asks, strict=True):
            seq, path = seqs[first][:length], nodes[first][:length]
            if output.prompt_logprobs is not None:
                self._keep_prompt_rows(output, seq, path, starts[first], memo)
            if next_ids:
                sampled = output.outputs[0].token_ids[0]
                logprobs = output.outputs[0].logprobs[0]
                parent = path[-1]
                for token in next_ids:
                    node = memo.children[(parent, token)]
                    memo.rows[node] = (float(logprobs[token].logprob), token == sampled)

    @staticmethod
    def _keep_prompt_rows(output: Any, seq: list[int], path: list[int], start: int, memo: PrefixRows) -> None:
        """Rows of positions the engine ran (past `num_cached_tokens`); the others are unwritten."""
        first_valid = max(start, (output.num_cached_tokens or 0) + 1)
        for k in range(first_valid, len(seq)):
            if path[k] in memo.rows:
                continue
            row = {token: float(lp.logprob) for token, lp in output.prompt_logprobs[k].items()}
            memo.rows[path[k]] = (row[seq[k]], max(row, key=row.__getitem__) == seq[k])

    @staticmethod
    def _params(prompt_logprobs: int | None, read_cache: bool, next_ids: list[int] | None = None) -> Any:
        from vllm import SamplingParams

        return SamplingParams(
            temperature=0,
            max_tokens=1,
            prompt_logprobs=prompt_logprobs,
            logprob_token_ids=next_ids or None,
            skip_reading_prefix_cache=not read_cache,
            detokenize=False,
        )

    def _generate(self, prompts: list[list[int]], params: list[Any]) -> list[Any]:
        from vllm import TokensPrompt

        outputs = self.model.generate(
            [TokensPrompt(prompt_token_ids=p) for p in prompts],
            sampling_params=params,
            use_tqdm=False,
            lora_request=self.lora_request,
        )
        cached = sum(o.num_cached_tokens or 0 for o in outputs)
        self.engine_stats["requests"] += len(prompts)
        self.engine_stats["cached_tokens"] += cached
        self.engine_stats["forward_tokens"] += sum(map(len, prompts)) - cached
        return list(outputs)
