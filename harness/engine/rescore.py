"""`harness rescore RUN --metric comet --comet-model PATH`: score the outputs a run already stored
with a metric that needs another environment (COMET: `.venv-comet`), without loading the evaluated
model or generating anything again.

For each MT task of the run (FLORES `flores_*`, IF-MT `ifmt_*`) the stored samples give the
hypothesis (`output`), the reference (`target`) and the source (the `source` field of the sample's
scores). Runs stored before FLORES samples carried their source get it back from the task's data:
the FLORES-200 devtest line at the document's id, accepted only when the document rebuilt from the
data hashes to the stored `doc_hash` (lm-eval's hash of the document), else an error naming the task
and the document. The task gets one `comet` metric row and every sample a `comet` score (and its
recovered `source`); a second rescore replaces them, so rows never repeat.

`harness rescore RUN --metric lid [--lid-model model.bin]` does the same for output language
identification (`harness.lid`): `off_target` and `source_copy` rows and each sample's label fields.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.records import MetricResult
from harness.metrics import comet

METRICS = ("comet", "lid")
"""`lid` adds `off_target` and `source_copy` (harness.lid) with `--lid-model` or the built model."""


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


def mt_family(task: str) -> str | None:
    """The registry family of an MT task name, None for any other task."""
    from tasks.registry import family_of_name

    fam = family_of_name(task)
    return fam.name if fam is not None and comet.is_mt_family(fam.name) else None


def flores_root(fingerprint: dict[str, Any], data_dir: str | None) -> Path:
    """The FLORES-200 folder a run read: --data-dir when given, else what its fingerprint records."""
    from harness import data

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
    comet_model: str | None,
    tasks: Sequence[str] | None = None,
    batch_size: int = comet.BATCH_SIZE,
    db_url: str | None = None,
    data_dir: str | None = None,
    on_task: Callable[[str, int, int, int], None] | None = None,
    lid_model: str | None = None,
) -> RescoreResult:
    """Score the stored outputs of run `run_ref` (id or unique prefix) with `metric` and store it."""
    from sqlalchemy import select

    from db import store
    from db.models import Run, TaskResult
    from db.queries import find_run, list_samples
    from db.session import make_engine, make_session_factory

    if metric not in METRICS:
        raise HarnessError(f"--metric {metric}: unknown; rescore computes {', '.join(METRICS)}")
    if metric == "comet" and not comet_model:
        raise HarnessError(
            "--metric comet needs --comet-model: a local <model>/checkpoints/model.ckpt, its <model> "
            f"folder, or a hub name such as {comet.HUB_DEFAULT}"
        )
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
        stored = list(
            session.scalars(
                select(TaskResult.task)
                .where(TaskResult.run_id == run_id)
                .distinct()
                .order_by(TaskResult.task)
            )
        )
    mt_tasks = [t for t in stored if mt_family(t)]
    if not mt_tasks:
        raise HarnessError(
            f"run {run_id} has no MT task (FLORES flores_*, IF-MT ifmt_*) to score with {metric}; "
            f"it holds {', '.join(stored) or 'no task'}"
        )
    if tasks:
        unknown = [t for t in tasks if t not in mt_tasks]
        if unknown:
            raise HarnessError(
                f"--tasks: {', '.join(unknown)} not among the MT tasks of run {run_id} "
                f"({', '.join(mt_tasks)})"
            )
        mt_tasks = [t for t in mt_tasks if t in tasks]
    scorer = (
        comet.CometScorer(comet_model, batch_size=batch_size) if comet_model and metric == "comet" else None
    )
    identifier = _identifier(lid_model) if metric == "lid" else None
    result = RescoreResult(run_id, metric, [])
    for index, task in enumerate(mt_tasks):
        samples = list_samples(engine, run_id, task)
        if not samples:
            raise HarnessError(f"{task}: run {run_id} stored no samples for it, so there is nothing to score")
        if on_task:
            on_task(task, index, len(mt_tasks), len(samples))
        missing = [s for s in samples if not isinstance(s.scores.get("source"), str)]
        recovered: dict[int, str] = {}
        if missing:
            if mt_family(task) != "flores":
                raise HarnessError(f"{task} doc {missing[0].doc_id}: the stored sample carries no source")
            recovered = recover_flores_sources(task, missing, flores_root(fingerprint, data_dir))
        sources = [recovered[s.doc_id] if s.doc_id in recovered else str(s.scores["source"]) for s in samples]
        if identifier is not None:
            rows = _rescore_lid(factory, run_id, task, samples, sources, recovered, identifier)
            result.results.extend(rows)
            if recovered:
                result.recovered_sources[task] = len(recovered)
            continue
        assert scorer is not None
        row, segments = comet.score_task(
            task,
            [s.doc_id for s in samples],
            sources,
            [s.output for s in samples],
            [s.target for s in samples],
            scorer,
        )
        per_doc: dict[int, dict[str, Any]] = {
            s.doc_id: {comet.METRIC: score} for s, score in zip(samples, segments, strict=True)
        }
        for doc_id, source in recovered.items():
            per_doc[doc_id]["source"] = source
        store.replace_task_metric(factory, run_id, task, row, per_doc)
        result.results.append(row)
        if recovered:
            result.recovered_sources[task] = len(recovered)
    return result


def _identifier(lid_model: str | None) -> Any:
    """`--lid-model`, else the built identifier; an error when there is neither."""
    from harness import lid, lid_build

    if lid_model:
        return lid.LidModel(Path(lid_model).expanduser())
    built = lid_build.default_model()
    if built is None:
        raise HarnessError(
            "--metric lid needs --lid-model model.bin (GlotLID, OpenLID), or a model made once by "
            "`harness lid build --data-dir DIR`"
        )
    return lid.LidModel(built, name=f"flores200-dev-lid:{built.parent.name}")


def _rescore_lid(
    factory: Any,
    run_id: str,
    task: str,
    samples: Sequence[Any],
    sources: Sequence[str],
    recovered: dict[int, str],
    identifier: Any,
) -> list[MetricResult]:
    """`off_target` and `source_copy` of one stored task, put in place of earlier ones."""
    from db import store
    from harness import lid
    from tasks.registry import family_of_name

    fam = family_of_name(task)
    if not isinstance(fam, lid.TranslationFamily):
        raise HarnessError(f"{task}: its family names no source and target language for --metric lid")
    rows, per_doc = lid.score_samples(
        task,
        [s.doc_id for s in samples],
        [s.output for s in samples],
        sources,
        fam.translation_languages(task),
        identifier,
    )
    for doc_id, source in recovered.items():
        per_doc[doc_id]["source"] = source
    for row in rows:
        store.replace_task_metric(factory, run_id, task, row, per_doc)
    return rows
