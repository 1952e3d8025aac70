"""Greedy batched generation that drops each row from the batch as soon as it is finished.

lm-eval's `hf` model hands a batch (sorted by length, left-padded) to `model.generate`, which runs
every row until the last one stops: a batch with one rambling row pays for all of its rows up to
`max_gen_toks`. Here a row leaves the batch (and its KV-cache rows are dropped) once it

- emitted an end-of-sequence id of the model's generation config (as `generate` ends a row), or
- has a stop string in its generated text, decoded as lm-eval decodes the final answer; lm-eval
  cuts the answer at the first stop string, so no later token can change it.

The tokens, positions (from the left-padded attention mask, as `generate` computes them) and
argmax are `generate`'s, so the answers lm-eval builds from the returned tensor are the same;
`bench/generate.py` checks that on FLORES. Used only for plain greedy decoding: sampling, beams or
any logits processor in the model's generation config go to `generate`.
"""

from collections.abc import Callable, Sequence
from typing import Any

PROCESSOR_DEFAULTS = {
    "repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "min_length": (None, 0),
    "min_new_tokens": (None, 0),
    "bad_words_ids": (None,),
    "suppress_tokens": (None,),
    "begin_suppress_tokens": (None,),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "sequence_bias": (None,),
    "encoder_repetition_penalty": (None, 1.0),
}


def plain_greedy(generation_config: Any, kwargs: dict[str, Any]) -> bool:
    """Whether lm-eval asks for greedy decoding with nothing that changes the logits."""
    if kwargs.get("do_sample") or float(kwargs.get("temperature") or 0.0) != 0.0:
        return False
    if set(kwargs) - {"do_sample", "temperature", "attention_mask"}:
        return False
    if int(getattr(generation_config, "num_beams", 1) or 1) != 1:
        return False
    return all(getattr(generation_config, name, None) in ok for name, ok in PROCESSOR_DEFAULTS.items())


def eos_ids(generation_config: Any) -> set[int]:
    eos = getattr(generation_config, "eos_token_id", None)
    if eos is None:
        return set()
    return {int(eos)} if isinstance(eos, int) else {int(e) for e in eos}


TAIL_SLACK = 4
"""Tokens decoded beyond a stop string's length in bytes when looking for it in a row's newest
tokens (`StopCheck`)."""


class StopCheck:
    """Whether a row's text holds a stop string, checked after each new token. lm-eval decodes the
    whole answer and cuts it at the first stop string, so ending a row late never changes an answer,
    while ending it early would: every shortcut here may only miss a stop (the row runs on), never
    see one that the whole text lacks.

    1. A stop string that the newest token completed ends with a character of that token's text: a
       token whose text (decoded alone, remembered per id) has none of the stops' last characters
       cannot have completed one. A token's text may hold a partial character (U+FFFD) that the next
       tokens complete, so it counts as a possible last character where a stop ends in a non-ASCII
       character; an ASCII character is one byte and shows in the text of the token that holds it
       (decoders replace the invalid bytes around it, never an ASCII byte).
    2. Otherwise the newest `window` tokens are decoded (a completed stop lies in them, a token
       holding at least one byte), which costs a few tokens instead of the whole row each step.
    3. Only when they show a stop is the whole row decoded, as lm-eval decodes it, to confirm."""

    def __init__(self, stop: Sequence[str], decode: Callable[[list[int]], str]) -> None:
        self.stop = [s for s in stop if s]  # lm-eval skips empty stop strings too
        self.decode = decode
        self.window = max((len(s.encode("utf-8")) for s in self.stop), default=0) + TAIL_SLACK
        self.last_chars = {s[-1] for s in self.stop}
        if not all(c.isascii() for c in self.last_chars):
            self.last_chars.add("\ufffd")
        self.token_text: dict[int, str] = {}

    def __call__(self, ids: list[int]) -> bool:
        if not self.stop:
            return False
        newest = ids[-1]
        if newest not in self.token_text:
            self.token_text[newest] = self.decode([newest])
        if self.last_chars.isdisjoint(self.token_text[newest]):
            return False
        if len(ids) > self.window and not any(s in self.decode(ids[-self.window :]) for s in self.stop):
            return False
        text = self.decode(ids)
        return any(s in text for s in self.stop)


def greedy_generate(
    model: Any,
    context: Any,
    attention_mask: Any,
    max_new_tokens: int,
    stop: Sequence[str],
    decode: Callable[[list[int]], str],
    eos: set[int],
    pad_id: int,
) -> Any:
    """`[rows, context + max_new_tokens]` token ids: the context, then each row's greedy tokens,
    then `pad_id` after the row finished (an EOS id is kept, as `generate` keeps it)."""
    import torch

    stopped = StopCheck(stop, decode)
    rows, width = context.shape
    device = context.device
    out = torch.full((rows, width + max_new_tokens), pad_id, dtype=torch.long, device=device)
    out[:, :width] = context
    mask = attention_mask.to(device=device, dtype=torch.long)
    positions = mask.cumsum(-1) - 1
    positions.masked_fill_(mask == 0, 1)
    active = torch.arange(rows, device=device)  # original row of each row still in the batch
    generated: list[list[int]] = [[] for _ in range(rows)]
    step_ids, step_positions, cache = context, positions, None
    with torch.inference_mode():
        for step in range(max_new_tokens):
            output = model(
                input_ids=step_ids,
                attention_mask=mask,
                position_ids=step_positions,
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            )
            cache = output.past_key_values
            tokens = output.logits[:, -1, :].to(dtype=torch.float32).argmax(dim=-1)
            out[active, width + step] = tokens
            keep = []
            for k, (row, token) in enumerate(zip(active.tolist(), tokens.tolist(), strict=True)):
                generated[row].append(token)
                if token in eos:
                    continue
                if stopped(generated[row]):
                    continue
                keep.append(k)
            if not keep:
                break
            if len(keep) < len(active):
                index = torch.tensor(keep, dtype=torch.long, device=device)
                cache.batch_select_indices(index)
                active, tokens, mask = active[index], tokens[index], mask[index]
                step_positions = step_positions[index]
            mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
            step_positions = step_positions[:, -1:] + 1
            step_ids = tokens.unsqueeze(1)
    return out


def budget_spent(
    continuations: list[list[int]],
    max_new_tokens: int,
    stop: Sequence[str],
    decode: Callable[[list[int]], str],
    eos: set[int],
    pad_id: int,
) -> list[bool]:
    """For each row of generated tokens (what `greedy_generate` or `generate` returned after the
    context), whether it stopped at the token budget: it holds `max_new_tokens` tokens, none of them
    an end-of-sequence or padding id (a row that finished early is padded), and its text has no stop
    string (lm-eval cuts the answer at the first one). A row that completes a stop string or emits EOS
    with its last allowed token is not cut off."""
    ends = eos | {pad_id}
    stops = [s for s in stop if s]
    out = []
    for row in continuations:
        full = len(row) >= max_new_tokens and not ends.intersection(row[:max_new_tokens])
        out.append(full and not any(s in decode(row[:max_new_tokens]) for s in stops))
    return out
