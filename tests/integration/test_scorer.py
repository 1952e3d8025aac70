"""Shared-context scoring (`harness.engine.backends.scorer.SharedContextLM`) gives lm-eval's `hf` model's
loglikelihoods and greedy flags: on synthetic requests (shared and distinct contexts, one- and
many-token continuations, a request longer than the model's window) and on real multiple-choice
tasks run through lm-eval's evaluator (tiny model, float32)."""

import random
from pathlib import Path

import pytest

from tasks.base import TaskOptions
from tasks.kobest.task import Kobest
from tasks.xnli.task import Xnli
from tests.conftest import need_shared_data
from tests.parity_helpers import choice_loglikelihoods

TOLERANCE = 1e-4
RELATIVE = 1e-6
"""The tiny random model gives sums of hundreds of nats over long endings; float32 holds those to
about 6e-5 (its spacing at 600), so long sums are compared to a relative 1e-6 as well."""


def _models(tiny_model: Path, batch_size: int = 4, pad: bool | None = None) -> tuple[object, object]:
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM

    kwargs = {"pretrained": str(tiny_model), "device": "cpu", "dtype": "float32", "batch_size": batch_size}
    ours = SharedContextLM(**kwargs)
    ours.pad_contexts = pad
    return HFLM(**kwargs), ours


# Unpadded one context at a time (the CPU's default) and padded batches (every other device's).
BOTH_PATHS = pytest.mark.parametrize("pad", [False, True], ids=["unpadded", "padded"])


@BOTH_PATHS
def test_synthetic_requests_equal_lm_eval_hf(tiny_model: Path, pad: bool) -> None:
    reference, ours = _models(tiny_model, pad=pad)
    rng = random.Random(0)
    requests = []
    for _ in range(9):
        context = [rng.randrange(5, 300) for _ in range(rng.randrange(1, 60))]
        for _ in range(rng.randrange(1, 5)):
            continuation = [rng.randrange(5, 300) for _ in range(rng.randrange(1, 7))]
            requests.append((("ctx", "cont"), context, continuation))
    # Longer than the tiny model's 1024-token window: lm-eval's own left truncation applies.
    requests.append((("ctx", "cont"), [7] * 1100, [8, 9]))
    expected = reference._loglikelihood_tokens(requests, disable_tqdm=True)
    got = ours._loglikelihood_tokens(requests, disable_tqdm=True)
    assert len(got) == len(expected) == len(requests)
    for (ll_a, greedy_a), (ll_b, greedy_b) in zip(expected, got, strict=True):
        assert ll_b == pytest.approx(ll_a, abs=TOLERANCE)
        assert greedy_a == greedy_b


def test_greedy_flag_when_continuation_is_the_argmax(tiny_model: Path) -> None:
    import torch

    reference, ours = _models(tiny_model)
    context = [11, 42, 99, 7]
    with torch.no_grad():
        logits = reference.model(torch.tensor([context])).logits[0, -1]
    best = int(logits.argmax())
    requests = [(("c", "best"), context, [best]), (("c", "other"), context, [(best + 1) % 300])]
    assert [g for _, g in ours._loglikelihood_tokens(requests, disable_tqdm=True)] == [True, False]


@BOTH_PATHS
def test_real_tasks_equal_lm_eval_hf(tiny_model: Path, pad: bool) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    data = need_shared_data()
    configs = [
        Kobest().lm_eval_config("kobest_boolq", data / "kobest", TaskOptions()),
        Kobest().lm_eval_config("kobest_hellaswag", data / "kobest", TaskOptions()),  # multi-token endings
        Xnli().lm_eval_config("xnli_en", data / "xnli", TaskOptions(split="validation")),
    ]
    outputs = []
    for lm in _models(tiny_model, batch_size=8, pad=pad):
        output = simple_evaluate(
            model=lm,
            tasks=[dict(c) for c in configs],
            limit=12,
            log_samples=True,
            bootstrap_iters=0,
            task_manager=TaskManager(include_defaults=False),
        )
        assert output is not None
        outputs.append(output)
    reference, ours = outputs
    for task in ("kobest_boolq", "kobest_hellaswag", "xnli_en"):
        a, b = choice_loglikelihoods(reference, task), choice_loglikelihoods(ours, task)
        assert len(a) == 12 and a.keys() == b.keys()
        for doc_hash, values in a.items():
            assert b[doc_hash] == pytest.approx(values, rel=RELATIVE, abs=TOLERANCE), (task, doc_hash)
        assert ours["results"][task]["acc,none"] == reference["results"][task]["acc,none"]


@BOTH_PATHS
def test_shared_prefixes_are_reused_with_lm_eval_hf_numbers(tiny_model: Path, pad: bool) -> None:
    """Contexts that share a long prefix (a few-shot block) take its keys and values from the kept
    cache instead of running it again; loglikelihoods and greedy flags stay lm-eval's. Three groups
    of contexts with their own prefixes, shuffled, with one- and many-token continuations (the folded
    path and the padded continuation path), and one context that is exactly another's prefix."""
    reference, ours = _models(tiny_model, batch_size=3, pad=pad)
    rng = random.Random(1)
    prefixes = [[rng.randrange(5, 300) for _ in range(n)] for n in (80, 120, 40)]
    requests = []
    for prefix in prefixes:
        for _ in range(4):
            context = prefix + [rng.randrange(5, 300) for _ in range(rng.randrange(1, 25))]
            for _ in range(rng.randrange(1, 4)):
                continuation = [rng.randrange(5, 300) for _ in range(rng.randrange(1, 5))]
                requests.append((("ctx", "cont"), context, continuation))
        requests.append((("ctx", "cont"), prefix, [9, 10]))
    rng.shuffle(requests)
    expected = reference._loglikelihood_tokens(requests, disable_tqdm=True)
    got = ours._loglikelihood_tokens(requests, disable_tqdm=True)
    for (ll_a, greedy_a), (ll_b, greedy_b) in zip(expected, got, strict=True):
        assert ll_b == pytest.approx(ll_a, abs=TOLERANCE)
        assert greedy_a == greedy_b
    run, reused = ours.context_tokens["run"], ours.context_tokens["reused"]
    total = sum(len(ctx) for ctx in {tuple(r[1]) for r in requests})
    # One context at a time, every context token is either run or reused; in padded batches a
    # batch's common prefix is run once and counted as reused by each of its rows.
    assert run + reused == total if not pad else run + reused >= total
    # Each prefix is run about once: most context tokens come from the kept caches.
    assert reused > sum(len(p) for p in prefixes) and run < total - sum(len(p) for p in prefixes)
