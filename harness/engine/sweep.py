"""`harness sweep`: evaluate every (checkpoint x task) unit, each as its own run in one database,
one after another in this process or as Ray tasks spread over a cluster (`--ray ADDRESS`).

Everything that can be wrong with the input (a model that does not resolve, an unknown task,
missing data, a bad setting) is an error before any unit runs. Units the database already holds
(`db.sweep_queries.finished_units`: a complete run of the same checkpoint source holding the task
with the same task hash and the same score-changing settings) are skipped. A unit that fails is
reported with its message and does not stop the others.

Ray is optional and imported only with `--ray`. The workers run `harness.engine.run.evaluate` from the
same Python environment (start the cluster from the harness's virtual environment); they reach
the database by its URL (a SQLite path is made absolute: with several machines it must be on a
file system they share, or use PostgreSQL), and get the data folder and the `HARNESS_*`
settings of this process through the job's runtime environment.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from core.errors import HarnessError
from harness.engine.specs import EvalConfig
from harness.engine.sweep_plan import Plan, SweepConfig, SweepResult, Unit, counts, plan

__all__ = ["SweepConfig", "Unit", "counts", "run_sweep"]


def unit_config(plan: Plan, unit: Unit) -> EvalConfig:
    return replace(plan.template, model=unit.model, tasks=[unit.task])


def run_unit(config: EvalConfig) -> dict[str, Any]:
    """Evaluate one unit (one model, one task) as its own run; failures are returned, not raised."""
    from harness.engine.run import evaluate
    from tasks.registry import family_of_name

    started = time.monotonic()
    outcome: dict[str, Any] = {"pid": os.getpid(), "node_id": None}
    try:
        result = evaluate(config)
    except HarnessError as exc:
        return outcome | {"status": "failed", "error": str(exc), "seconds": time.monotonic() - started}
    except Exception as exc:
        return outcome | {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "seconds": time.monotonic() - started,
        }
    (task,) = config.tasks
    fam = family_of_name(task)
    metric = fam.meta(task).primary_metric if fam else None
    value = next((r.value for r in result.results if r.task == task and r.metric == metric), None)
    return outcome | {
        "status": "done",
        "run_id": result.run_id,
        "value": value,
        "seconds": time.monotonic() - started,
    }


def run_unit_on_node(config: EvalConfig) -> dict[str, Any]:
    """`run_unit` as a Ray task, recording the node that ran it."""
    import ray

    return run_unit(config) | {"node_id": ray.get_runtime_context().get_node_id()}


def _apply(unit: Unit, outcome: dict[str, Any]) -> None:
    unit.status = outcome["status"]
    unit.run_id = outcome.get("run_id")
    unit.value = outcome.get("value")
    unit.seconds = outcome.get("seconds")
    unit.node_id = outcome.get("node_id")
    unit.pid = outcome.get("pid")
    unit.error = outcome.get("error")


def _run_here(plan: Plan, pending: list[Unit], on_unit: Callable[[Unit], None]) -> None:
    for unit in pending:
        _apply(unit, run_unit(unit_config(plan, unit)))
        on_unit(unit)


def _check_cluster(ray: Any, address: str, cpus: float, gpus: float) -> None:
    """An error when no live node could ever hold a unit (Ray would wait for one forever)."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if any(n["Resources"].get("CPU", 0) >= cpus and n["Resources"].get("GPU", 0) >= gpus for n in nodes):
        return
    have = "; ".join(
        f"{n['Resources'].get('CPU', 0):g} CPU, {n['Resources'].get('GPU', 0):g} GPU" for n in nodes
    )
    raise HarnessError(
        f"--ray {address}: no node has {cpus:g} CPU and {gpus:g} GPU for a unit "
        f"(--cpus-per-unit, --gpus-per-unit); the nodes have: {have or 'none alive'}"
    )


def _ray_error(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:1000]


def _run_on_ray(
    plan: Plan, pending: list[Unit], config: SweepConfig, on_unit: Callable[[Unit], None]
) -> None:
    import ray
    from ray.exceptions import RayError

    address = config.ray_address
    assert address is not None
    try:
        ray.init(
            address=address,
            runtime_env={"env_vars": plan.env},
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise HarnessError(f"--ray {address}: cannot connect to a Ray cluster ({exc})") from exc
    try:
        _check_cluster(ray, address, config.cpus_per_unit, config.gpus_per_unit)
        remote = ray.remote(run_unit_on_node).options(
            num_cpus=config.cpus_per_unit, num_gpus=config.gpus_per_unit, max_retries=0
        )
        waiting = {remote.remote(unit_config(plan, unit)): unit for unit in pending}
        while waiting:
            ready, _ = ray.wait(list(waiting), num_returns=1)
            unit = waiting.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except RayError as exc:  # the worker died, or Ray could not run the task
                outcome = {"status": "failed", "error": _ray_error(exc)}
            _apply(unit, outcome)
            on_unit(unit)
    finally:
        ray.shutdown()


def run_sweep(
    config: SweepConfig,
    on_unit: Callable[[Unit], None] | None = None,
    on_plan: Callable[[list[Unit]], None] | None = None,
) -> SweepResult:
    """Plan the sweep, then run its pending units here or on the Ray cluster; `on_plan` is called
    with every unit once the skipped ones are known, `on_unit` as each pending one finishes."""
    started = time.monotonic()
    swept = plan(config)
    if on_plan:
        on_plan(swept.units)
    pending = [u for u in swept.units if u.status == "pending"]
    report = on_unit or (lambda unit: None)
    if pending and config.ray_address is None:
        _run_here(swept, pending, report)
    elif pending:
        _run_on_ray(swept, pending, config, report)
    return SweepResult(
        units=swept.units,
        ray_address=config.ray_address,
        seconds=time.monotonic() - started,
        counts=counts(swept.units),
    )
