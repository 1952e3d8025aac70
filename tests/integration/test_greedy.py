"""Greedy generation with finished rows leaving the batch (`harness.engine.backends.greedy`) gives
lm-eval's `hf` model's answers: same batches, same stop strings, rows finishing at different
steps, on real FLORES prompts (tiny model, float32)."""

from pathlib import Path

import pytest

from tests.conftest import need_shared_data


class _Request:
    def __init__(self, context: str, gen_kwargs: dict) -> None:
        self.args = (context, gen_kwargs)


@pytest.mark.parametrize(
    ("until", "rows_leave"),
    # The random tiny model never writes a newline: every row runs to max_gen_toks.
    [(["\n"], False), (["e", "a"], True), (["ng"], True)],
    ids=["newline", "letters", "bigram"],
)
def test_greedy_generation_equals_lm_eval_hf(tiny_model: Path, until: list[str], rows_leave: bool) -> None:
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends.scorer import SharedContextLM

    data = need_shared_data()
    sentences = (data / "flores200" / "devtest" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    gen_kwargs = {"until": until, "max_gen_toks": 48, "do_sample": False}
    requests = [
        _Request(f"English: {s}\nLingala:", dict(gen_kwargs)) for s in sentences[:12]
    ]  # three full batches
    kwargs = {"pretrained": str(tiny_model), "device": "cpu", "dtype": "float32", "batch_size": 4}
    reference = HFLM(**kwargs).generate_until(requests, disable_tqdm=True)
    ours = SharedContextLM(**kwargs)
    steps: list[int] = []
    original = ours.model.forward

    def counting_forward(*args: object, **kw: object) -> object:
        steps.append(int(kw["input_ids"].shape[0]))  # type: ignore[union-attr]
        return original(*args, **kw)

    ours.model.forward = counting_forward  # type: ignore[method-assign]
    got = ours.generate_until(requests, disable_tqdm=True)
    assert got == reference
    # Rows finished at different steps: some forward passes ran on fewer rows than the batch had.
    assert steps and (min(steps) < 4) == rows_leave, steps
