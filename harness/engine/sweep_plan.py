"""What `harness sweep` will run (`harness.engine.sweep` runs it): its settings, its units, and the
checks and database look-ups that happen before any unit runs."""

import importlib.util
import os
import socket
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from harness.engine.specs import EvalConfig

FORWARDED_ENV = (
    "SACREBLEU",
    "XDG_CACHE_HOME",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "TOKENIZERS_PARALLELISM",
)
"""Besides every `HARNESS_*` variable: what else the workers take from this process's environment."""
PATH_ENV = {
    "HARNESS_CACHE",
    "HARNESS_DATA_DIR",
    "HARNESS_RESPONSE_CACHE",
    "SACREBLEU",
    "XDG_CACHE_HOME",
    "HF_HOME",
    "HF_HUB_CACHE",
}
"""Variables holding a path: made absolute, since workers do not run in this folder."""
DTYPES = ("auto", "float32", "bfloat16", "float16")
SWEEP_BACKENDS = ("hf", "hf-lm-eval")
"""The `harness eval` backends a sweep runs: the transformers ones, which need no settings of their own."""


@dataclass(frozen=True)
class SweepConfig:
    """Everything `harness sweep` was asked to do."""

    models: list[str]
    """Checkpoint folders, PEFT adapter folders, aliases or hub ids."""
    tasks: list[str]
    """Task and group names; every unit is one model and one concrete task."""
    ray_address: str | None = None
    """A running Ray cluster (`host:port` or `auto`); None: run the units in this process."""
    limit: int | None = None
    num_fewshot: int | None = None
    batch_size: int = 8
    device: str | None = None
    """None: cuda when available (in this process), else with Ray cuda when --gpus-per-unit > 0."""
    dtype: str = "auto"
    data_dir: str | None = None
    split: str | None = None
    backend: str = "hf"
    db_url: str | None = None
    apply_chat_template: bool = False
    """Render prompts through each model's chat template (see `EvalConfig.apply_chat_template`)."""
    cpus_per_unit: float = 1.0
    gpus_per_unit: float = 0.0


@dataclass
class Unit:
    """One model on one task, and what became of it."""

    model: str
    """The model as given."""
    source: str
    """The checkpoint source stored with its runs (`ModelSpec.path`)."""
    task: str
    task_hash: str
    status: str = "pending"
    """pending, then done (evaluated now), skipped (already in the database) or failed."""
    run_id: str | None = None
    metric: str = ""
    """The task's primary metric."""
    value: float | None = None
    seconds: float | None = None
    node_id: str | None = None
    """The Ray node that ran it; None in this process or when skipped."""
    pid: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SweepResult:
    units: list[Unit]
    ray_address: str | None
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "units": [u.to_json() for u in self.units],
            "counts": self.counts,
            "ray": self.ray_address,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Plan:
    """The units, what each run is given, and what workers need to reach the same resources."""

    units: list[Unit]
    template: EvalConfig
    """Each unit's EvalConfig, less its model and task."""
    env: dict[str, str]


def counts(units: list[Unit]) -> dict[str, int]:
    return {status: sum(u.status == status for u in units) for status in ("done", "skipped", "failed")}


def absolute_db_url(url: str | None) -> str:
    """The database every worker reaches: `url` (default HARNESS_DB, else local SQLite), a SQLite
    file made absolute; an in-memory SQLite database is an error (no other process can see it)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from core.paths import default_db_url

    url = url or default_db_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise HarnessError(f"--db: {url!r} is not a database URL ({exc})") from exc
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        raise HarnessError("--db: an in-memory SQLite database cannot be shared by the units; give a file")
    absolute = str(Path(database).expanduser().resolve())
    return parsed.set(database=absolute).render_as_string(hide_password=False)


def worker_env(db_url: str) -> dict[str, str]:
    """The environment variables the units need: every HARNESS_* and FORWARDED_ENV one set here,
    paths made absolute, HARNESS_DB set to the sweep's database."""
    env = {
        key: value for key, value in os.environ.items() if key.startswith("HARNESS_") or key in FORWARDED_ENV
    }
    for key in PATH_ENV & set(env):
        if env[key]:
            env[key] = str(Path(env[key]).expanduser().resolve())
    env["HARNESS_DB"] = db_url
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _check_settings(config: SweepConfig) -> None:
    if not config.models or not any(m.strip() for m in config.models):
        raise HarnessError("--models: no model given")
    device = config.device
    if device not in (None, "cpu", "cuda") and not str(device).startswith("cuda:"):
        raise HarnessError(f"--device: {device!r} is not cpu or cuda")
    if config.dtype not in DTYPES:
        raise HarnessError(f"--dtype: {config.dtype!r} is not {', '.join(DTYPES[:-1])} or {DTYPES[-1]}")
    if config.backend not in SWEEP_BACKENDS:
        raise HarnessError(f"--backend {config.backend}: a sweep runs {' or '.join(SWEEP_BACKENDS)}")
    if config.cpus_per_unit < 0 or config.gpus_per_unit < 0:
        raise HarnessError("--cpus-per-unit and --gpus-per-unit cannot be negative")
    if config.ray_address is not None:
        if importlib.util.find_spec("ray") is None:
            raise HarnessError(
                f"--ray {config.ray_address}: Ray is not installed; "
                "pip install 'polyglot-harness[sweep]' (or 'ray[default]')"
            )
        _check_reachable(config.ray_address)
        if device and device.startswith("cuda") and config.gpus_per_unit <= 0:
            raise HarnessError(
                f"--device {device} with --ray needs --gpus-per-unit above 0: "
                "Ray gives a unit no GPU it did not ask for"
            )


def _check_reachable(address: str) -> None:
    """A `host:port` address must accept connections: Ray itself retries a dead one for minutes."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # `auto`, or a `ray://` client address: left to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise HarnessError(
            f"--ray {address}: no Ray cluster answers there ({exc}); start one with "
            "`ray start --head --port=PORT` and give its address"
        ) from exc


def _device(config: SweepConfig) -> str:
    """The device every unit uses, fixed here so that it is the one compared with stored runs."""
    if config.device:
        return config.device
    if config.ray_address is not None:
        return "cuda" if config.gpus_per_unit > 0 else "cpu"
    from harness.engine.backends.hf import pick_device

    return pick_device(None)


def _resolve_models(models: list[str]) -> list[tuple[str, str]]:
    """(model as given, checkpoint source) for each distinct checkpoint, errors naming --models."""
    from harness.engine.lineage import lineage_for
    from harness.engine.models import resolve_model

    out: list[tuple[str, str]] = []
    for raw in models:
        arg = raw.strip()
        if not arg:
            continue
        try:
            spec = resolve_model(arg)
            lineage_for(spec)  # a manifest that contradicts its folder fails here, not on a worker
        except HarnessError as exc:
            message = str(exc)
            if message.startswith("--model:"):
                message = "--models:" + message.removeprefix("--model:")
            raise HarnessError(message) from exc
        if spec.path not in [source for _, source in out]:
            out.append((arg, spec.path))
    return out


def plan(config: SweepConfig) -> Plan:
    """Check everything, list the units and mark those the database already holds as skipped."""
    from db.session import make_engine
    from db.sweep_queries import SCORE_SETTINGS, finished_units, setting
    from harness.engine.backends.hf import pick_dtype
    from harness.engine.models import resolve_model
    from harness.engine.run import chat_template_sha256, fingerprint, prepare_tasks

    _check_settings(config)
    db_url = absolute_db_url(config.db_url)
    device = _device(config)
    data_dir = str(Path(config.data_dir).expanduser().resolve()) if config.data_dir else None
    template = EvalConfig(
        model="",
        tasks=[],
        limit=config.limit,
        num_fewshot=config.num_fewshot,
        batch_size=config.batch_size,
        device=device,
        dtype=config.dtype,
        data_dir=data_dir,
        db_url=db_url,
        split=config.split,
        backend=config.backend,
        apply_chat_template=config.apply_chat_template,
    )
    prepared = prepare_tasks(replace(template, tasks=config.tasks))
    tasks, spm_status = prepared.tasks, prepared.spm_status
    hashes = {name: info.task_hash for name, info in prepared.infos.items()}
    models = _resolve_models(config.models)
    expected = fingerprint(template, device, pick_dtype(config.dtype, device), spm_status)
    settings = {key: setting(expected, key) for key in SCORE_SETTINGS}
    units = [
        Unit(
            model=arg, source=source, task=name, task_hash=hashes[name], metric=fam.meta(name).primary_metric
        )
        for arg, source in models
        for name, fam in tasks
    ]
    engine = make_engine(db_url)  # migrated here, once, before workers open it
    try:
        for arg, source in models:
            # The chat template is the model's own: its hash is part of what a unit's scores depend on.
            chat = chat_template_sha256(resolve_model(arg)) if config.apply_chat_template else None
            model_settings = settings | {"chat_template.sha256": chat}
            finished = finished_units(engine, source, hashes, model_settings)
            for unit in units:
                if unit.source == source and unit.task in finished:
                    unit.status = "skipped"
                    unit.run_id = finished[unit.task].run_id
                    unit.value = finished[unit.task].metrics.get(unit.metric)
    finally:
        engine.dispose()
    return Plan(units=units, template=template, env=worker_env(db_url))
