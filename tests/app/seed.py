"""A small results database for the app's tests, written through `db.store` as `harness eval` would.

Models: `base-model` (a published model, the parent of `lin-cpt`), `lin-cpt` (continued
pretraining on Lingala: checkpoints at steps 100, 200, 300) and `other-model`. Tasks: four FLORES
directions and three XNLI/AfriXNLI languages, 20 documents each. `other-model` has no XNLI
result (a missing cell) and `lin-cpt` lacks FLORES English->Chinese (partial coverage). One
failed run of `lin-cpt` is stored too; it must never be shown.
"""

import random
from dataclasses import dataclass, field

from core.lineage import Lineage
from core.records import MetricResult, SampleRecord, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from tasks.registry import family_of_name

DOCS = 20
FLORES = ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn", "flores_eng_Latn-swh_Latn"]
FLORES_ZH = "flores_eng_Latn-zho_Hans"
XNLI = ["xnli_en", "xnli_sw", "afrixnli_lin"]
LANGUAGE_NAME = {"lin_Latn": "Lingala", "swh_Latn": "Swahili", "zho_Hans": "Chinese", "eng_Latn": "English"}
BASE_SOURCE = "org/base-model"


def _store(factory: object, run_id: str, outcome: TaskOutcome) -> None:
    """Store with what the task's real family declares about it (language, primary metric, ...)."""
    fam = family_of_name(outcome.task)
    assert fam is not None, outcome.task
    store.store_task(factory, run_id, outcome, fam.meta(outcome.task))  # type: ignore[arg-type]


@dataclass
class Seeded:
    url: str
    runs: dict[str, str] = field(default_factory=dict)
    """`model@step` (or the model name) -> run id."""


def _flores(task: str, skill: float, rng: random.Random) -> TaskOutcome:
    src, tgt = task.removeprefix("flores_").split("-")
    samples = []
    for i in range(DOCS):
        chrf = max(0.0, min(100.0, rng.gauss(skill, 8)))
        prompt = f"{LANGUAGE_NAME[src[:8]]}: source sentence {i}\n{LANGUAGE_NAME[tgt]}:"
        samples.append(
            SampleRecord(
                i, f"{task}-{i}", prompt, f"reference {i}", f"hypothesis {i} {skill:.0f}", {"chrf++": chrf}
            )
        )
    mean = sum(s.scores["chrf++"] for s in samples) / DOCS
    metrics = [
        MetricResult(task, "chrf++", mean, 1.5, DOCS, "nrefs:1|case:mixed|chrF2++"),
        MetricResult(task, "bleu", mean / 3, 0.8, DOCS, "nrefs:1|tok:13a"),
    ]
    return TaskOutcome(task, "flores-prompt-v1", "a" * 64, metrics, samples)


def _choice(task: str, skill: float, rng: random.Random) -> TaskOutcome:
    samples = []
    for i in range(DOCS):
        right = rng.random() < skill
        scores = {"acc": 1.0 if right else 0.0, "pred": 0.0 if right else 1.0, "gold": 0.0}
        samples.append(SampleRecord(i, f"{task}-{i}", f"Premise {i}? Hypothesis {i}", "0", "", scores))
    acc = sum(s.scores["acc"] for s in samples) / DOCS
    metrics = [MetricResult(task, "acc", acc, (acc * (1 - acc) / DOCS) ** 0.5, DOCS, "acc|mean")]
    return TaskOutcome(task, "xnli-prompt-v1", "b" * 64, metrics, samples)


def _terms(task: str, skill: float, rng: random.Random) -> TaskOutcome:
    """A terminology task (IF-MT family): its primary metric is the term-usage rate, not accuracy."""
    samples = []
    for i in range(DOCS):
        used = sum(rng.random() < skill for _ in range(2))
        scores = {"terms_used": float(used), "terms_total": 2.0, "chrf++": rng.uniform(20, 60)}
        samples.append(
            SampleRecord(i, f"{task}-{i}", f"English: sentence {i}\nGerman:", "ref", "hyp", scores)
        )
    rate = sum(s.scores["terms_used"] for s in samples) / (2.0 * DOCS)
    chrf = sum(s.scores["chrf++"] for s in samples) / DOCS
    metrics = [
        MetricResult(task, "term_usage", rate, 0.05, DOCS, "term_usage|exact"),
        MetricResult(task, "chrf++", chrf, 1.5, DOCS, "nrefs:1|case:mixed|chrF2++"),
    ]
    return TaskOutcome(task, "ifmt-terms-v1", "c" * 64, metrics, samples)


FAMILY_TASKS = {
    "flores_eng_Latn-lin_Latn": _flores,
    "kobest_copa": _choice,
    "ceval_law": _choice,
    "ifmt_terms_en-de_iate": _terms,
}
"""One task of each of four families, for `seed_families`."""


def seed_families(url: str) -> list[str]:
    """Two models, each with one run over FLORES, KoBEST, C-Eval and the IF-MT terminology task,
    stored with what each real family declares; returns the run ids."""
    factory = make_session_factory(make_engine(url))
    rng = random.Random(11)
    runs = []
    for model, skill in (("model-a", 0.6), ("model-b", 0.4)):
        run_id = store.start_run(factory, Lineage(model), f"org/{model}", "hub", _fingerprint("float32"))
        for task, make in FAMILY_TASKS.items():
            _store(factory, run_id, make(task, skill * 100 if make is _flores else skill, rng))
        store.finish_run(factory, run_id, "complete")
        runs.append(run_id)
    return runs


def _fingerprint(dtype: str) -> dict[str, object]:
    return {
        "versions": {"harness": "0.1.0", "lm_eval": "0.4.13", "transformers": "4.57.0", "torch": "2.13.0"},
        "backend": "hf",
        "dtype": dtype,
        "device": "cpu",
        "batch_size": 8,
        "num_fewshot": 0,
        "fewshot_seed": 1234,
        "decoding": {"do_sample": False, "until": ["\n"], "max_gen_toks": 256},
        "prompt": "flores-prompt-v1",
    }


def seed(url: str) -> Seeded:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    seeded = Seeded(url)

    def run(
        key: str, lineage: Lineage, source: str, flores: float, acc: float | None, zh: bool = True
    ) -> None:
        run_id = store.start_run(factory, lineage, source, "local", _fingerprint("float32"))
        for task in FLORES + ([FLORES_ZH] if zh else []):
            # Lingala improves with training; Chinese (when present) and the rest do not.
            skill = flores + (10 if "lin_Latn" in task else 0)
            _store(factory, run_id, _flores(task, skill, rng))
        if acc is not None:
            for task in XNLI:
                _store(factory, run_id, _choice(task, acc, rng))
        store.finish_run(factory, run_id, "complete")
        seeded.runs[key] = run_id

    run("base-model", Lineage("base-model"), BASE_SOURCE, 30.0, 0.6)
    for step, (flores, acc) in zip((100, 200, 300), ((35.0, 0.58), (40.0, 0.55), (45.0, 0.5)), strict=True):
        lineage = Lineage("lin-cpt", step=step, tokens_seen=step * 1_000_000, parent=BASE_SOURCE)
        run(f"lin-cpt@{step}", lineage, f"/ckpt/lin-cpt/checkpoint-{step}", flores, acc, zh=False)
    run("other-model", Lineage("other-model"), "org/other-model", 25.0, None)
    failed = store.start_run(
        factory, Lineage("lin-cpt", step=300), "/ckpt/lin-cpt/checkpoint-300", "local", {}
    )
    _store(factory, failed, _flores(FLORES[0], 99.0, rng))
    store.finish_run(factory, failed, "failed", error="KeyboardInterrupt")
    engine.dispose()
    return seeded


def seed_two_documents(url: str) -> tuple[str, str]:
    """Two models on XNLI Swahili with two documents each, A right on both and B wrong on both:
    the most extreme outcome two documents allow, which no valid two-sided test can call
    significant at 0.05 (the smallest possible p is 0.5). Returns (run A, run B)."""
    factory = make_session_factory(make_engine(url))
    runs = []
    for model, right in (("two-a", 1.0), ("two-b", 0.0)):
        run_id = store.start_run(factory, Lineage(model), f"org/{model}", "hub", _fingerprint("float32"))
        samples = [
            SampleRecord(i, f"xnli_sw-{i}", f"Premise {i}? Hypothesis {i}", "0", "", {"acc": right})
            for i in range(2)
        ]
        metrics = [MetricResult("xnli_sw", "acc", right, 0.0, 2, "acc|mean")]
        _store(factory, run_id, TaskOutcome("xnli_sw", "xnli-prompt-v1", "b" * 64, metrics, samples))
        store.finish_run(factory, run_id, "complete")
        runs.append(run_id)
    return runs[0], runs[1]
