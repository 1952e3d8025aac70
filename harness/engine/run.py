"""`harness eval`: resolve tasks, data and model, run each task through lm-eval's evaluator,
score it, and store it before the next task starts."""

import functools
import importlib.metadata
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from core import spm
from core.errors import HarnessError
from core.records import MetricResult, TaskOutcome
from harness import __version__
from harness.engine.cut_off import counts_cut_off, record_cut_off
from harness.engine.fit import Preflight, data_errors, preflight
from harness.engine.groups import group_results
from harness.engine.models import ModelSpec
from harness.engine.specs import EvalConfig, RunResult
from harness.scorers.base import EvaluatedModel, ScorerContext, ScorerOptions
from harness.scorers.registry import scorers_for_run
from tasks import registry
from tasks.base import GroupSpec, TaskFamily, TaskOptions

BACKENDS = {
    "hf": "harness-hf",
    "hf-lm-eval": "lm-eval-hf",
    "vllm": "harness-vllm",
    "api": "lm-eval-local-completions",
}
"""`--backend` -> the lm-eval model class that runs it (recorded in the fingerprint)."""


def root_resolver(config: EvalConfig) -> Callable[[str], Path]:
    """Data set name -> folder, from --bundled-sample, --data-dir/HARNESS_DATA_DIR or the cache."""
    from harness.engine import data

    def resolve(name: str) -> Path:
        if config.bundled_sample:
            if name != "flores200":
                raise HarnessError(f"--bundled-sample holds FLORES-200 only; {name} needs --data-dir")
            return data.bundled_sample_root() / name
        return data.resolve(name, config.data_dir)

    return resolve


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def fingerprint(
    config: EvalConfig,
    device: str,
    dtype: str,
    spm_status: spm.SpmStatus,
    engine: dict[str, Any] | None = None,
    chat_template_sha256: str | None = None,
) -> dict[str, Any]:
    """What identifies how the run's numbers were produced (weights are identified by the checkpoint);
    with `engine` (the
    vLLM version and parallelism, or the served endpoint) for the vllm and api backends (and its
    `data_parallel_size` with `--data-parallel` above 1, on any backend), and `chat_template`
    (applied, and the SHA-256 of the template's text) with `--apply-chat-template`
    (absent without it, so that runs made before the flag existed still resume)."""
    out = {
        "versions": {
            "harness": __version__,
            **{p: _version(p) for p in ("lm_eval", "transformers", "torch", "sacrebleu", "peft")},
        },
        "backend": BACKENDS[config.backend],
        "device": device,
        "dtype": dtype,
        "batch_size": config.batch_size,
        "num_fewshot": config.num_fewshot,
        "fewshot_seed": config.fewshot_seed,
        "limit": config.limit,
        "split": config.split,
        "data": "bundled-sample" if config.bundled_sample else (config.data_dir or "default"),
        "flores200_spm_sha256": spm_status.sha256,
    }
    if config.apply_chat_template:
        out["chat_template"] = {"applied": True, "sha256": chat_template_sha256}
    return out | ({"engine": engine} if engine else {})


def chat_template_sha256(spec: ModelSpec) -> str:
    """SHA-256 of the chat template of the model's tokenizer (read without loading the weights); a
    model without one is an error naming `--apply-chat-template`."""
    import hashlib

    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.pretrained)
    except (OSError, ValueError) as exc:
        raise HarnessError(
            f"--apply-chat-template: cannot read the tokenizer of {spec.pretrained} ({exc})"
        ) from exc
    template = tokenizer.chat_template
    if isinstance(template, dict):  # named templates: lm-eval uses "default"
        template = template.get("default")
    if not template:
        raise HarnessError(
            f"--apply-chat-template: {spec.pretrained} has no chat template (tokenizer_config.json "
            "chat_template); run without the flag or use a chat model"
        )
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


@functools.cache
def _env_info() -> dict[str, Any]:
    from lm_eval.loggers.utils import add_env_info

    info: dict[str, Any] = {}
    add_env_info(info)
    return info


@functools.cache
def _git_hash() -> str | None:
    """lm-eval's `get_git_commit_hash` (`git describe --always` in the working folder), without the
    `fatal: not a git repository` that git prints outside a checkout, taken once."""
    import subprocess

    from lm_eval.loggers.utils import get_commit_from_path

    command = ["git", "describe", "--always"]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return get_commit_from_path(Path.cwd())


def _collect_env_info_once() -> None:
    """lm-eval collects torch's environment report (subprocesses, about 0.5 s) and the git hash in
    every simple_evaluate call, once per chunk here; neither can change within a process, so take
    each once (and keep git's complaint outside a checkout off the terminal)."""
    import lm_eval.evaluator

    lm_eval.evaluator.add_env_info = lambda storage: storage.update(_env_info())
    lm_eval.evaluator.get_git_commit_hash = _git_hash


def run_tasks(
    lm: Any,
    prepared: "PreparedTasks",
    tasks: list[tuple[str, TaskFamily]],
    config: EvalConfig,
    built: dict[str, Any] | None = None,
) -> Iterator[tuple[str, TaskFamily, TaskOutcome]]:
    """Evaluate `tasks` through lm-eval's evaluator, a chunk of tasks per call
    (`harness.engine.batching`), and yield each task scored by its family's rules as soon as its chunk
    is answered; `built`: tasks already built (and checked) by `harness.engine.fit.preflight`."""
    from harness.engine.batching import chunks, evaluate_chunk

    _collect_env_info_once()
    for chunk in chunks(tasks, prepared.roots, config, prepared.options, built=built):
        output = evaluate_chunk(lm, chunk, config)
        for task in chunk:
            yield (
                task.name,
                task.family,
                task.family.collect(task.name, output, prepared.infos[task.name]),
            )


class PreparedTasks(NamedTuple):
    """A run's tasks, expanded and checked against their data before any model loads."""

    tasks: list[tuple[str, TaskFamily]]
    roots: dict[str, Path]
    """Data set name -> its folder."""
    options: TaskOptions
    spm_status: spm.SpmStatus
    infos: dict[str, Any]
    """Task name -> its family's task info (version, content hash, ...)."""
    groups: dict[str, GroupSpec]
    """The groups among the names asked for -> their members and rule (scored by `harness.engine.groups`)."""


def prepare_tasks(config: EvalConfig) -> PreparedTasks:
    """Expand `config.tasks`, check `--split`, and read every task's data: missing or bad files fail
    here, before a model is loaded."""
    resolve = root_resolver(config)
    tasks, groups = registry.expand_with_groups(config.tasks, resolve)
    spm_status = spm.spm_status()
    options = TaskOptions(split=config.split, with_spbleu=spm_status.available)
    for _, fam in tasks:
        if config.split and config.split not in fam.splits:
            offered = f"offers {', '.join(fam.splits)}" if fam.splits else "scores a fixed split"
            raise HarnessError(f"--split {config.split}: {fam.name} {offered}")
    roots = {fam.data_set: resolve(fam.data_set) for _, fam in tasks}
    infos = {}
    for name, fam in tasks:
        with data_errors(name, fam, roots[fam.data_set]):
            infos[name] = fam.task_info(name, roots[fam.data_set], options)
    return PreparedTasks(tasks, roots, options, spm_status, infos, groups)


def scorer_context(
    config: EvalConfig, tasks: list[tuple[str, TaskFamily]], warn: Callable[[str], None]
) -> ScorerContext:
    """What the scorers of `harness eval` get: its options and tasks, and how to load a model (the
    judge: on transformers, on this run's device, also for a served model)."""
    from harness.engine.models import resolve_model

    def load(spec: ModelSpec) -> Any:
        from harness.engine.backends.hf import load_hf, pick_device, pick_dtype
        from harness.engine.backends.load import engine_device

        device = engine_device(config)
        device = pick_device(None) if device == "remote" else device
        return load_hf(spec, device, pick_dtype(config.dtype, device), config.batch_size)

    options = ScorerOptions(
        comet_model=config.comet_model,
        cometkiwi_model=config.cometkiwi_model,
        xcomet_model=config.xcomet_model,
        lid_model=config.lid_model,
        judge_model=config.judge_model,
        device=config.device,
        dtype=config.dtype,
        batch_size=config.batch_size,
    )
    families = [fam for _, fam in tasks]
    return ScorerContext(options, families, warn, resolve_model, load, dict(tasks))


def evaluate(
    config: EvalConfig,
    on_task: Callable[[str, int, int], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every task of `config`, storing each as soon as it is scored (`on_task(name, index,
    total)` is called then); the run is complete only at the end."""
    from db import store
    from db.session import make_engine, make_session_factory
    from harness.engine.backends.hf import pick_dtype
    from harness.engine.backends.load import check_backend, close_lm, engine_device, engine_info, load_lm
    from harness.engine.lineage import lineage_for
    from harness.engine.models import resolve_model

    prepared = prepare_tasks(config)
    tasks, spm_status, groups = prepared.tasks, prepared.spm_status, prepared.groups
    warn = on_warning or (lambda message: print(f"warning: {message}", file=sys.stderr))
    scorers = scorers_for_run(scorer_context(config, tasks, warn))
    if config.backend not in BACKENDS:
        raise HarnessError(f"--backend {config.backend}: choose one of {', '.join(BACKENDS)}")
    check_backend(config)
    spec = resolve_model(config.model)
    template_sha256 = chat_template_sha256(spec) if config.apply_chat_template else None
    checked = preflight(config, tasks, prepared.roots, prepared.options, spec)
    for name, why in checked.refused.items():
        warn(f"{name} refused: {why}")
    tasks = [(name, fam) for name, fam in tasks if name not in checked.refused]
    if not tasks:
        raise HarnessError(f"--model {config.model}: no task of the run fits the model: {refusals(checked)}")
    lineage = lineage_for(spec, config.model_name, config.step)
    device = engine_device(config)
    dtype = "served" if config.backend == "api" else pick_dtype(config.dtype, device)
    engine = make_engine(config.db_url)
    factory = make_session_factory(engine)
    engine_details = engine_info(config, spec)
    run_fingerprint = fingerprint(config, device, dtype, spm_status, engine_details, template_sha256)
    for scorer in scorers:
        run_fingerprint[scorer.name] = scorer.fingerprint()
    previous = _resumable(factory, config, spec, run_fingerprint) if config.resume else None
    cache = response_cache() if config.cache else None
    lm = load_lm(config, spec, device, dtype, cache, engine_details)
    for scorer in scorers:
        scorer.attach(EvaluatedModel(lm, spec))
    if previous is not None:
        run_id = previous.run_id
        store.reopen_run(factory, run_id)
    else:
        run_id = store.start_run(factory, lineage, spec.path, spec.kind, run_fingerprint)
    done = sorted(previous.stored_tasks) if previous else []
    tasks = [(name, fam) for name, fam in tasks if name not in done]
    results = _stored_metrics(engine, run_id) if previous else []
    try:
        for index, (name, fam, outcome) in enumerate(run_tasks(lm, prepared, tasks, config, checked.built)):
            for scorer in scorers:
                if scorer.applies(fam, name):
                    outcome = scorer.score(fam, name, outcome)
            if counts_cut_off(fam):
                fit = checked.fits[name]
                backend = config.backend + (" --data-parallel" if config.data_parallel > 1 else "")
                outcome = record_cut_off(outcome, lm, fit.cut or fit.budget, backend)
            outcome = checked.fits[name].record(outcome)
            store.store_task(factory, run_id, outcome, fam.meta(name))
            results.extend(outcome.metrics)
            if on_task:
                on_task(name, index, len(tasks))
    except KeyboardInterrupt:
        raise  # left `running`: the readers show it `interrupted` once this process is gone
    except BaseException as exc:
        store.finish_run(factory, run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        close_lm(config, lm)
    if checked.refused:
        store.finish_run(factory, run_id, "partial", error=f"refused: {refusals(checked)}")
    else:
        store.finish_run(factory, run_id, "complete")
    stats = dict(lm.cache_stats) if cache is not None else None
    return RunResult(
        run_id=run_id,
        model=lineage.model_name,
        results=results,
        cache=stats,
        resumed_tasks=done,
        groups=group_results(groups, results),
        refused=dict(checked.refused),
    )


def refusals(checked: Preflight) -> str:
    """The refused tasks of a preflight, each with its reason, in one line."""
    return "; ".join(f"{name}: {why}" for name, why in checked.refused.items())


def _stored_metrics(engine: Any, run_id: str) -> list[MetricResult]:
    """The metrics a resumed run already holds, as `harness eval` reported them."""
    from db.queries import list_results

    rows = list_results(engine, run_id=run_id, include_incomplete=True)
    return [MetricResult(r.task, r.metric, r.value, r.stderr, r.n, r.signature, r.note) for r in rows]


def response_cache() -> Any:
    """The response cache at HARNESS_RESPONSE_CACHE, else `responses.sqlite` in the harness cache."""
    import os

    from harness.engine.response_cache import ResponseCache

    path = os.environ.get("HARNESS_RESPONSE_CACHE")
    return ResponseCache(Path(path) if path else None)


def _resumable(factory: Any, config: EvalConfig, spec: ModelSpec, run_fingerprint: dict[str, Any]) -> Any:
    """The run to continue, checked to be of the same checkpoint and settings as this invocation."""
    from db import store

    assert config.resume is not None
    previous = store.resumable_run(factory, config.resume)
    if previous.source != spec.path:
        raise HarnessError(
            f"--resume {config.resume}: run {previous.run_id} evaluated {previous.source}, not {spec.path}"
        )
    before, now = _answer_settings(previous.fingerprint), _answer_settings(run_fingerprint)
    differ = sorted(key for key in set(before) | set(now) if before.get(key) != now.get(key))
    if differ:
        detail = "; ".join(
            f"{k}: run {previous.fingerprint.get(k)!r}, now {run_fingerprint.get(k)!r}" for k in differ
        )
        raise HarnessError(f"--resume {config.resume}: run {previous.run_id} used other settings ({detail})")
    return previous


def _answer_settings(run_fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint without what cannot change an answer: a run may resume with another
    `--data-parallel` degree (the replicas answer as one engine would)."""
    engine = run_fingerprint.get("engine")
    if not isinstance(engine, dict) or "data_parallel_size" not in engine:
        return run_fingerprint
    rest = {k: v for k, v in engine.items() if k != "data_parallel_size"}
    return {k: v for k, v in run_fingerprint.items() if k != "engine"} | ({"engine": rest} if rest else {})
