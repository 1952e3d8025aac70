"""`cut_off`: how many of a generative MT task's outputs stopped at the token budget (`max_gen_toks`)
rather than at a stop sequence or end of sequence, per sample (`scores["cut_off"]`, 1 or 0) and as a
task metric (a count; lower is better). A family asks for it with `counts_cut_off = True`.

Where each answer stopped comes from the backend (`harness.engine.backends.ends`, `harness-hf`); a
backend that does not report it (vLLM, a served model, lm-eval's own `hf`, several processes) gets a
`cut_off` row without a value that says so, as do answers taken from a response cache that was
filled before the flags were recorded.
"""

from dataclasses import replace
from typing import Any

from core.records import MetricResult, TaskOutcome


def counts_cut_off(family: object) -> bool:
    return bool(getattr(family, "counts_cut_off", False))


def record_cut_off(outcome: TaskOutcome, lm: Any, budget: int | None, backend: str) -> TaskOutcome:
    """The outcome with each sample's `cut_off` flag and the `cut_off` count (`budget`: the
    `max_gen_toks` the task ran with, after any cut to fit the model's window)."""
    ends = getattr(getattr(lm, "generation_ends", None), "cut_off", None)
    n = len(outcome.samples)
    signature = f"cut_off|max_gen_toks:{budget}|count"
    if ends is None:
        note = f"not computed: the {backend} backend does not report where generation stopped"
        return _with(outcome, MetricResult(outcome.task, "cut_off", None, None, n, signature, note))
    flag = {s.doc_id: ends.get((s.prompt, int(budget or 0))) for s in outcome.samples}
    unknown = [doc for doc, cut in flag.items() if cut is None]
    if unknown:
        note = (
            f"not computed: {len(unknown)} of {n} answers came from a response cache filled before "
            "cut-off flags were recorded (run with --no-cache)"
        )
        return _with(outcome, MetricResult(outcome.task, "cut_off", None, None, n, signature, note))
    samples = [
        replace(s, scores={**s.scores, "cut_off": float(bool(flag[s.doc_id]))}) for s in outcome.samples
    ]
    count = sum(1 for cut in flag.values() if cut)
    note = f"{count} of {n} outputs stopped at the {budget}-token budget, not at a newline or end of sequence"
    metric = MetricResult(outcome.task, "cut_off", float(count), None, n, signature, note)
    return _with(replace(outcome, samples=samples), metric)


def _with(outcome: TaskOutcome, metric: MetricResult) -> TaskOutcome:
    return replace(outcome, metrics=[m for m in outcome.metrics if m.metric != "cut_off"] + [metric])
