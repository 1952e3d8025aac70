"""A writer process for the concurrency test: `python -m tests.db_writer URL TAG RUNS TASKS SAMPLES`.

Imports everything, prints `ready`, waits for a line on stdin, then opens the database with
`make_engine` (migrating it if needed) and stores RUNS runs of TASKS tasks of SAMPLES samples
each through `db.store`, one transaction per task, as `harness eval` does."""

import sys

from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory

META = TaskMeta("synthetic", None, "chrf++", "chrf++", "rows written by the concurrency test")


def outcome(task: str, samples: int) -> TaskOutcome:
    return TaskOutcome(
        task=task,
        version="v1",
        task_hash="h" * 64,
        metrics=[
            MetricResult(task, "chrf++", 50.0, 1.0, samples, "sig"),
            MetricResult(task, "bleu", 20.0, 1.0, samples, "sig"),
        ],
        samples=[
            SampleRecord(i, f"{task}-{i}", "prompt " * 20, "target " * 10, "output " * 10, {"chrf++": 1.0})
            for i in range(samples)
        ],
    )


def main(url: str, tag: str, runs: int, tasks: int, samples: int) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    factory = make_session_factory(make_engine(url))
    for r in range(runs):
        # The same model and checkpoint in both processes, as two `harness eval` of one model.
        run_id = store.start_run(factory, "shared-model", "/ckpt/shared", "local", {"writer": tag, "run": r})
        for t in range(tasks):
            store.store_task(factory, run_id, outcome(f"{tag}_task{t}", samples), META)
        store.finish_run(factory, run_id, "complete")
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:6]))
