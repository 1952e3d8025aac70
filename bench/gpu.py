"""Multiple-choice scoring throughput on a CUDA GPU: ours (`harness-hf`) and lm-eval's `hf` model
against a plain batched forward pass over the same contexts, the practical limit.

    .venv/bin/python bench/gpu.py [--docs 512] [--choices 4] [--context 400] [--batch-size 32]
                                  [--dtype float32|bfloat16] [--device cuda]

The model is SmolLM2-135M's architecture built from its config with random weights (the real
checkpoint is too large to carry to a lent GPU machine; throughput depends on the shapes, not the
weights). The multiple-choice set is synthetic and seeded: `--docs` contexts of about `--context`
tokens (+-25%), each with `--choices` continuations of 1 to 5 tokens. All three passes see the
same token ids. Printed: tokens/s of each (context tokens of the distinct documents per second of
wall time, after one warm-up batch), each one's share of the plain forward's rate, our speed-up
over lm-eval's, and the largest |delta loglikelihood| between the two scorers. `--device cpu`
runs it anywhere with small numbers, as a check of the script itself.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.tiny_model`

import argparse  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

# HuggingFaceTB/SmolLM2-135M's config.json (the model family's published architecture).
SMOLLM2_135M = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "bos_token_id": 0,
    "eos_token_id": 0,
}


def synthetic_requests(docs: int, choices: int, context: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    vocab = SMOLLM2_135M["vocab_size"]
    requests = []
    for _ in range(docs):
        ctx = [rng.randrange(1, vocab) for _ in range(rng.randint(context * 3 // 4, context * 5 // 4))]
        for _ in range(choices):
            cont = [rng.randrange(1, vocab) for _ in range(rng.randint(1, 5))]
            requests.append((("", ""), ctx, cont))
    return requests


def plain_forward(model: Any, contexts: list[list[int]], batch_size: int, device: Any) -> None:
    """Each context once, padded batches sorted by length, logits at the last position only."""
    import torch

    ordered = sorted(contexts, key=len, reverse=True)
    with torch.no_grad():
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start : start + batch_size]
            width = max(len(c) for c in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long, device=device)
            mask = torch.zeros_like(ids)
            for row, ctx in enumerate(batch):
                ids[row, : len(ctx)] = torch.tensor(ctx, device=device)
                mask[row, : len(ctx)] = 1
            model(input_ids=ids, attention_mask=mask, logits_to_keep=1)


def timed(fn: Any, sync: Any) -> float:
    sync()
    started = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=512)
    parser.add_argument("--choices", type=int, default=4)
    parser.add_argument("--context", type=int, default=400, help="mean context length in tokens")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from harness.backends.scorer import SharedContextLM
    from tests.tiny_model import build_tiny_model

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("bench/gpu.py: no CUDA device here (torch.cuda.is_available() is False); "
              "use --device cpu to check the script itself", file=sys.stderr)  # fmt: skip
        return 2
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(LlamaConfig(**SMOLLM2_135M)).to(device=device, dtype=dtype).eval()
    with tempfile.TemporaryDirectory() as tmp:  # any tokenizer: the requests are token ids already
        tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(Path(tmp) / "tok"))
    kwargs = {"pretrained": model, "tokenizer": tokenizer, "batch_size": args.batch_size}
    reference, ours = HFLM(**kwargs), SharedContextLM(**kwargs)

    requests = synthetic_requests(args.docs, args.choices, args.context, args.seed)
    contexts = list({tuple(r[1]): r[1] for r in requests}.values())
    tokens = sum(len(c) for c in contexts)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    # Warm-up: kernels, allocator, autotuning.
    warm = requests[: args.choices * 2]
    plain_forward(model, [r[1] for r in warm], args.batch_size, device)
    reference._loglikelihood_tokens(warm, disable_tqdm=True)
    ours._loglikelihood_tokens(warm, disable_tqdm=True)

    answers: dict[str, Any] = {}
    seconds = {
        "plain forward": timed(lambda: plain_forward(model, contexts, args.batch_size, device), sync),
        "lm-eval hf": timed(
            lambda: answers.__setitem__("ref", reference._loglikelihood_tokens(requests, disable_tqdm=True)),
            sync,
        ),
        "harness-hf": timed(
            lambda: answers.__setitem__("ours", ours._loglikelihood_tokens(requests, disable_tqdm=True)), sync
        ),
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"SmolLM2-135M architecture (random weights), {args.dtype}, {name}; {args.docs} documents x "
        f"{args.choices} choices, {tokens:,} context tokens, batch size {args.batch_size}"
    )
    print(f"{'':16}{'seconds':>9}{'tokens/s':>12}{'of plain':>10}")
    limit = tokens / seconds["plain forward"]
    for label, secs in seconds.items():
        rate = tokens / secs
        print(f"{label:16}{secs:9.2f}{rate:12,.0f}{rate / limit:10.1%}")
    print(f"speed-up (lm-eval hf seconds / ours): {seconds['lm-eval hf'] / seconds['harness-hf']:.2f}x")
    delta = max(abs(a[0] - b[0]) for a, b in zip(answers["ref"], answers["ours"], strict=True))
    greedy_same = all(a[1] == b[1] for a, b in zip(answers["ref"], answers["ours"], strict=True))
    print(f"largest |delta loglikelihood|: {delta:.2e}; greedy flags identical: {greedy_same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
