"""`harness eval`: resolve tasks, data and model, run each task through lm-eval's evaluator,
score it, and store it before the next task starts."""

import importlib.metadata
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import HarnessError
from harness.metrics import spm
from harness.metrics.mt import MT_METRICS, corpus_score, sentence_chrfpp
from harness.specs import EvalConfig, MetricResult, RunResult, SampleRecord, TaskOutcome
from tasks import registry

log = logging.getLogger(__name__)

# What lm-eval's aggregation and ours may differ by (both are the same sacrebleu call).
_AGREEMENT = 1e-9


def data_roots(config: EvalConfig, task_names: list[str]) -> dict[str, Path]:
    from harness import data

    needed = registry.data_sets_needed(task_names)
    if config.bundled_sample:
        root = data.bundled_sample_root()
        return {name: root / name for name in needed}
    return {name: data.resolve(name, config.data_dir) for name in needed}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def fingerprint(config: EvalConfig, device: str, dtype: str, spm_status: spm.SpmStatus) -> dict[str, Any]:
    """What identifies how the run's numbers were produced (weights are identified by the checkpoint)."""
    return {
        "versions": {
            "harness": __version__,
            **{p: _version(p) for p in ("lm_eval", "transformers", "torch", "sacrebleu", "peft")},
        },
        "backend": "hf",
        "device": device,
        "dtype": dtype,
        "batch_size": config.batch_size,
        "num_fewshot": config.num_fewshot,
        "fewshot_seed": config.fewshot_seed,
        "limit": config.limit,
        "data": "bundled-sample" if config.bundled_sample else (config.data_dir or "default"),
        "flores200_spm_sha256": spm_status.sha256,
    }


def _samples(task: str, logged: list[dict[str, Any]]) -> tuple[list[SampleRecord], list[str], list[str]]:
    refs = [s["chrf++"][0] for s in logged]
    hyps = [s["chrf++"][1] for s in logged]
    sentence = sentence_chrfpp(hyps, refs)
    records = [
        SampleRecord(
            doc_id=int(s["doc_id"]),
            doc_hash=s["doc_hash"],
            prompt=s["arguments"][0][0],
            target=ref,
            output=hyp,
            scores={"chrf++": score},
        )
        for s, ref, hyp, score in zip(logged, refs, hyps, sentence, strict=True)
    ]
    return sorted(records, key=lambda r: r.doc_id), refs, hyps


def run_task(
    lm: Any, name: str, roots: dict[str, Path], config: EvalConfig, with_spbleu: bool
) -> TaskOutcome:
    """Evaluate one task through lm-eval and score it; checks lm-eval's aggregate against ours."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    info = registry.task_info(name, roots)
    task_config = registry.lm_eval_config(name, roots, with_spbleu=with_spbleu)
    if config.num_fewshot is not None:
        # Set in the config itself: lm-eval ignores its num_fewshot argument for tasks whose default is 0.
        task_config["num_fewshot"] = config.num_fewshot
    output = simple_evaluate(
        model=lm,
        tasks=[task_config],
        limit=config.limit,
        log_samples=True,
        bootstrap_iters=0,
        fewshot_random_seed=config.fewshot_seed,
        task_manager=TaskManager(include_defaults=False),
    )
    if output is None:
        raise HarnessError(f"{name}: lm-eval returned no results")
    logged = output["samples"][name]
    samples, refs, hyps = _samples(name, logged)
    target_lang = name.rsplit("-", 1)[1]
    metrics = []
    for metric in MT_METRICS:
        score = corpus_score(metric, hyps, refs, target_lang)
        engine_value = output["results"][name].get(f"{metric},none")
        if score.value is not None and abs(float(engine_value) - score.value) > _AGREEMENT:
            raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine_value}, harness {score.value}")
        metrics.append(
            MetricResult(name, metric, score.value, score.stderr, score.n, score.signature, score.note)
        )
    return TaskOutcome(
        task=name, version=info.version, task_hash=info.task_hash, metrics=metrics, samples=samples
    )


def evaluate(config: EvalConfig, on_task: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run every task of `config`, storing each as it finishes; the run is complete only at the end."""
    from db import store
    from db.session import make_engine, make_session_factory
    from harness.backends.hf import load_hf, pick_device, pick_dtype
    from harness.models import resolve_model

    task_names = registry.expand(config.tasks)
    roots = data_roots(config, task_names)
    for name in task_names:  # fail on missing files before loading a model
        registry.task_info(name, roots)
    spm_status = spm.spm_status()
    spec = resolve_model(config.model)
    device = pick_device(config.device)
    dtype = pick_dtype(config.dtype, device)
    factory = make_session_factory(make_engine(config.db_url))
    lm = load_hf(spec, device, dtype, config.batch_size)
    run_id = store.start_run(
        factory, spec.name, spec.path, spec.kind, fingerprint(config, device, dtype, spm_status)
    )
    results: list[MetricResult] = []
    try:
        for index, name in enumerate(task_names):
            if on_task:
                on_task(name, index, len(task_names))
            outcome = run_task(lm, name, roots, config, spm_status.available)
            store.store_task(factory, run_id, outcome)
            results.extend(outcome.metrics)
    except BaseException as exc:
        store.finish_run(factory, run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    store.finish_run(factory, run_id, "complete")
    return RunResult(run_id=run_id, model=spec.name, results=results)
