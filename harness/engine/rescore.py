"""`harness rescore RUN --metric NAME`: run any post-generation scorer of
`harness.scorers.registry` (comet, cometkiwi, xcomet, lid, judge) over the outputs a run already
stored, without loading the evaluated model or generating anything again: the same `Scorer.score`
that `harness eval` calls, on each task the scorer applies to, rebuilt from its stored samples.

A scorer that reads the source (COMET, language ID) finds it in the `source` field of each
sample's scores. Runs stored before FLORES samples carried their source get it back from the
task's data: the FLORES-200 devtest line at the document's id, accepted only when the document
rebuilt from the data hashes to the stored `doc_hash` (lm-eval's hash of the document), else an
error naming the task and the document. The scorer's metric rows replace rows of the same name and
its per-sample fields are merged into each sample, so a second rescore replaces, never repeats.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.records import MetricResult
from harness.scorers.base import ScorerContext, ScorerOptions, added, outcome_of_samples
from harness.scorers.registry import scorer_class


@dataclass
class RescoreResult:
    """What `harness rescore` prints with `--json`."""

    run_id: str
    metric: str
    results: list[MetricResult]
    recovered_sources: dict[str, int] = field(default_factory=dict)
    """Task -> documents whose source came from the task's data (older runs), verified by doc_hash."""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "metric": self.metric,
            "results": [asdict(r) for r in self.results],
            "recovered_sources": self.recovered_sources,
        }


def lm_eval_doc_hash(doc: dict[str, Any]) -> str:
    """lm-eval's `doc_hash` of a logged document (evaluator.py: SHA-256 of its indented JSON)."""
    return hashlib.sha256(json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode()).hexdigest()


def flores_root(fingerprint: dict[str, Any], data_dir: str | None) -> Path:
    """The FLORES-200 folder a run read: --data-dir when given, else what its fingerprint records."""
    from harness.engine import data

    if data_dir is not None:
        return data.resolve("flores200", data_dir)
    recorded = fingerprint.get("data", "default")
    if recorded == "bundled-sample":
        return data.bundled_sample_root() / "flores200"
    return data.resolve("flores200", None if recorded == "default" else recorded)


def recover_flores_sources(task: str, samples: Sequence[Any], root: Path) -> dict[int, str]:
    """doc_id -> source sentence from the devtest files under `root`, each checked against the
    stored doc_hash; an error naming the task and document when one does not match."""
    from tasks.flores.task import parse_name, read_lines, split_path

    parsed = parse_name(task)
    assert parsed is not None, task
    src, tgt = parsed
    paths = [split_path(root, lang, "devtest") for lang in (src, tgt)]
    for path in paths:
        if not path.is_file():
            raise HarnessError(f"{task}: cannot recover sources, {path} is missing (give --data-dir)")
    source, target = (read_lines(path) for path in paths)
    out = {}
    for s in samples:
        if s.doc_id >= len(source) or s.doc_id >= len(target):
            raise HarnessError(f"{task} doc {s.doc_id}: beyond the {len(source)} lines of {paths[0]}")
        doc = {"id": s.doc_id, "src": source[s.doc_id], "tgt": target[s.doc_id]}
        if lm_eval_doc_hash(doc) != s.doc_hash:
            raise HarnessError(
                f"{task} doc {s.doc_id}: the data under {root} does not match the stored document "
                f"(doc_hash {s.doc_hash[:12]}); give --data-dir with the data the run read"
            )
        out[s.doc_id] = source[s.doc_id]
    return out


def rescore(
    run_ref: str,
    metric: str,
    options: ScorerOptions,
    tasks: Sequence[str] | None = None,
    db_url: str | None = None,
    data_dir: str | None = None,
    on_task: Callable[[str, int, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> RescoreResult:
    """Score the stored outputs of run `run_ref` (id or unique prefix) with scorer `metric` and store it."""
    from sqlalchemy import select

    from db import store
    from db.models import Run, TaskResult
    from db.queries import find_run, list_samples
    from db.session import make_engine, make_session_factory
    from harness.engine.models import resolve_model
    from tasks.registry import family_of_name

    cls = scorer_class(metric)
    engine = make_engine(db_url)
    run_id = find_run(engine, run_ref)
    if run_id is None:
        raise HarnessError(
            f"no run {run_ref!r}: give a run id or its unique prefix (`harness results --all`)"
        )
    factory = make_session_factory(engine)
    with factory() as session:
        run = session.get(Run, run_id)
        assert run is not None
        fingerprint = dict(run.fingerprint)
        stored = {
            task: (version, task_hash)
            for task, version, task_hash in session.execute(
                select(TaskResult.task, TaskResult.task_version, TaskResult.task_hash)
                .where(TaskResult.run_id == run_id)
                .distinct()
                .order_by(TaskResult.task)
            )
        }
    families = {t: family_of_name(t) for t in stored}
    chosen = [t for t in stored if families[t] is not None and cls.applies(families[t], t)]
    if not chosen:
        raise HarnessError(
            f"run {run_id} has no {cls.scores_what} to score with {metric}; "
            f"it holds {', '.join(stored) or 'no task'}"
        )
    if tasks:
        unknown = [t for t in tasks if t not in chosen]
        if unknown:
            raise HarnessError(
                f"--tasks: {', '.join(unknown)} not among the tasks of run {run_id} that {metric} scores "
                f"({', '.join(chosen)})"
            )
        chosen = [t for t in chosen if t in tasks]

    def load(spec: Any) -> Any:
        from harness.engine.backends.hf import load_hf, pick_device, pick_dtype

        device = pick_device(options.device)
        return load_hf(spec, device, pick_dtype(options.dtype, device), options.batch_size)

    context = ScorerContext(
        options,
        [families[t] for t in chosen],
        warn or (lambda message: None),
        resolve_model,
        load,
        {t: families[t] for t in chosen},
    )
    scorer = cls.for_rescore(context)
    result = RescoreResult(run_id, metric, [])
    for index, task in enumerate(chosen):
        samples = list_samples(engine, run_id, task)
        if not samples:
            raise HarnessError(f"{task}: run {run_id} stored no samples for it, so there is nothing to score")
        if on_task:
            on_task(task, index, len(chosen), len(samples))
        recovered: dict[int, str] = {}
        if "source" in cls.reads:
            missing = [s for s in samples if not isinstance(s.scores.get("source"), str)]
            if missing:
                fam = families[task]
                if fam is None or fam.name != "flores":
                    raise HarnessError(f"{task} doc {missing[0].doc_id}: the stored sample carries no source")
                recovered = recover_flores_sources(task, missing, flores_root(fingerprint, data_dir))
        version, task_hash = stored[task]
        before = outcome_of_samples(task, version, task_hash, samples)
        for record in before.samples:
            if record.doc_id in recovered:
                record.scores["source"] = recovered[record.doc_id]
        after = scorer.score(families[task], task, before)
        rows, per_doc = added(before, after, cls)
        for doc_id, source in recovered.items():
            per_doc.setdefault(doc_id, {})["source"] = source
        for row in rows:
            store.replace_task_metric(factory, run_id, task, row, per_doc)
        result.results.extend(rows)
        if recovered:
            result.recovered_sources[task] = len(recovered)
    return result
