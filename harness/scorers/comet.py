"""COMET (unbabel-comet) for the MT tasks: a local checkpoint (`.../checkpoints/model.ckpt`, or
the folder holding `checkpoints/model.ckpt`) or a hub name (`Unbabel/wmt22-comet-da`, downloaded
by `comet.download_model`, needs network), scored the way `comet-score` scores one system.

unbabel-comet pins transformers<5 and numpy<2, so it usually lives in its own environment
(`scripts/setup_comet.sh` makes `.venv-comet`): there, `harness rescore RUN --metric comet` scores
the outputs a run already stored, and `harness eval --comet-model` scores each MT task in-process.
Both go through `score_task`, so the same outputs get the same numbers.

What `comet-score -s SRC -t HYP -r REF --model CKPT` does, and so this module: each segment
stripped of surrounding whitespace (as comet-score reads its lines), the model in eval mode and
half precision (`model.half()`), the sentence-embedding cache on, `model.predict` with length
batching (batch size 16 by default), on one GPU when CUDA is there and on the CPU otherwise. The
task value is the model's `system_score` (mean of the segment scores) on COMET's own scale, as
`comet-score` prints it: not multiplied by 100, unlike chrF++ and BLEU.
"""

import importlib.metadata
import importlib.util
import logging
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.records import MetricResult, TaskOutcome
from harness.scorers.base import EvaluatedModel, ScorerContext, Written

METRIC = "comet"
HUB_DEFAULT = "Unbabel/wmt22-comet-da"
"""The model `comet-score` uses by default (needs network, or the Hugging Face cache)."""
BATCH_SIZE = 16
"""comet-score's default; in half precision padding can move scores slightly, so it is in the signature."""
MT_FAMILIES = ("flores", "ifmt", "ifmt_terms")
"""Registry families whose tasks are translation and get COMET: FLORES-200 and the IF-MT tasks."""
NOTE = "COMET's own scale (mean of segment scores as comet-score prints it, not x100)"


def install_hint() -> str:
    return (
        f"unbabel-comet is not installed in this environment ({sys.prefix}); its pins "
        "(transformers<5, numpy<2) clash with the main one. Run `bash scripts/setup_comet.sh`, then "
        "score a stored run with `.venv-comet/bin/harness rescore RUN --metric comet --comet-model PATH` "
        "(or evaluate with `.venv-comet/bin/harness eval ... --comet-model PATH`)"
    )


def require_comet() -> str:
    """unbabel-comet's version, or a HarnessError telling how to get an environment with it."""
    try:
        version = importlib.metadata.version("unbabel-comet")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version is None or importlib.util.find_spec("comet") is None:
        raise HarnessError(f"--comet-model: {install_hint()}")
    return version


def is_mt_family(family: str) -> bool:
    return family in MT_FAMILIES


@dataclass(frozen=True)
class CometCheckpoint:
    """A COMET model resolved to its checkpoint file."""

    given: str
    """`--comet-model` as given."""
    path: Path
    name: str
    """The hub name, or the folder holding `checkpoints/` (the file's name otherwise)."""
    sha256: str
    hub: bool


def _looks_like_path(arg: str) -> bool:
    return arg.startswith((".", "/", "~")) or arg.count("/") != 1 or arg.endswith(".ckpt")


def _local_checkpoint(given: str, path: Path) -> Path:
    if path.is_dir():
        candidates = [path / "checkpoints" / "model.ckpt", path / "model.ckpt"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise HarnessError(
                f"--comet-model {given}: {path} holds no COMET checkpoint "
                f"(looked for {candidates[0]} and {candidates[1]})"
            )
        path = found
    hparams = path.parents[1] / "hparams.yaml"
    if not hparams.is_file():
        raise HarnessError(
            f"--comet-model {given}: {hparams} is missing; COMET reads a checkpoint from "
            "<model>/checkpoints/model.ckpt with <model>/hparams.yaml beside checkpoints/"
        )
    return path


def resolve_checkpoint(model: str) -> CometCheckpoint:
    """`--comet-model` -> its checkpoint file: an existing file or folder, else a hub name (downloaded)."""
    from core.hashing import sha256_file

    path = Path(model).expanduser()
    if path.exists():
        ckpt = _local_checkpoint(model, path.resolve())
        name = ckpt.parents[1].name if ckpt.parent.name == "checkpoints" else ckpt.name
        return CometCheckpoint(model, ckpt, name, sha256_file(ckpt), hub=False)
    if _looks_like_path(model):
        raise HarnessError(
            f"--comet-model {model}: no such checkpoint ({path.absolute()}); give "
            "<model>/checkpoints/model.ckpt, the <model> folder, or a hub name such as "
            f"{HUB_DEFAULT} (downloaded, needs network)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation notice from torchmetrics
        from comet import download_model

    try:
        downloaded = Path(download_model(model))
    except Exception as exc:  # comet raises KeyError; the hub client its own errors
        raise HarnessError(
            f"--comet-model {model}: not a local checkpoint, and it could not be downloaded ({exc}); "
            "offline, give the path of a local <model>/checkpoints/model.ckpt"
        ) from exc
    return CometCheckpoint(model, downloaded, model, sha256_file(downloaded), hub=True)


@dataclass(frozen=True)
class CometScores:
    segments: list[float]
    """One score per (source, hypothesis, reference), in input order."""
    system: float
    """The model's `system_score`: the mean of the segment scores, as comet-score prints it."""


class CometModel:
    """One COMET model, checked and resolved at construction (no weights loaded), loaded on first use."""

    def __init__(
        self, model: str, batch_size: int = BATCH_SIZE, device: str | None = None, progress: bool = True
    ) -> None:
        self.version = require_comet()
        self.checkpoint = resolve_checkpoint(model)
        self.batch_size = batch_size
        self.device = device
        """`cpu`, `cuda` or None (CUDA when available)."""
        self.progress = progress
        self._model: Any = None

    @property
    def signature(self) -> str:
        return (
            f"model:{self.checkpoint.name}|sha256:{self.checkpoint.sha256[:12]}"
            f"|unbabel-comet:{self.version}|precision:fp16|batch_size:{self.batch_size}|scale:comet"
        )

    def fingerprint(self) -> dict[str, Any]:
        """What the run fingerprint records when COMET scored its MT tasks."""
        return {
            "model": self.checkpoint.given,
            "name": self.checkpoint.name,
            "checkpoint_sha256": self.checkpoint.sha256,
            "unbabel_comet": self.version,
            "batch_size": self.batch_size,
        }

    def _gpus(self) -> int:
        import torch

        if self.device is None:
            return 1 if torch.cuda.is_available() else 0
        return 0 if self.device == "cpu" else 1

    def model(self) -> Any:
        if self._model is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pkg_resources and Lightning deprecation notices
                try:
                    from comet import load_from_checkpoint
                except ImportError as exc:
                    raise HarnessError(
                        f"--comet-model: unbabel-comet does not import ({exc}); {install_hint()}"
                    ) from exc
                # pytorch_lightning sets its logger to INFO on import; its device notices and tips
                # are noise here (the progress bar still shows).
                for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
                    logging.getLogger(name).setLevel(logging.WARNING)
                try:
                    model = load_from_checkpoint(str(self.checkpoint.path))
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    raise HarnessError(
                        f"--comet-model {self.checkpoint.given}: could not load {self.checkpoint.path} "
                        f"({exc}); the encoder its hparams.yaml names (pretrained_model) must be a local "
                        "folder or in the Hugging Face cache"
                    ) from exc
            model.eval()
            model.half()  # as comet-score does
            model.set_embedding_cache()
            self._model = model
        return self._model

    def score(
        self, sources: Sequence[str], hypotheses: Sequence[str], references: Sequence[str]
    ) -> CometScores:
        """Segment and system scores of one system, as `comet-score` computes them."""
        import torch

        if not (len(sources) == len(hypotheses) == len(references)):
            raise HarnessError(
                f"COMET: {len(sources)} sources, {len(hypotheses)} hypotheses, {len(references)} references"
            )
        if not hypotheses:
            raise HarnessError("COMET: no hypotheses to score")
        samples = [
            {"src": s.strip(), "mt": h.strip(), "ref": r.strip()}
            for s, h, r in zip(sources, hypotheses, references, strict=True)
        ]
        model = self.model()
        gpus = self._gpus()
        precision = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("high")  # what comet-score sets; restored below
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = model.predict(
                    samples=samples,
                    batch_size=self.batch_size,
                    gpus=gpus,
                    progress_bar=self.progress,
                    accelerator="cpu" if gpus == 0 else "auto",
                    length_batching=True,
                )
        finally:
            torch.set_float32_matmul_precision(precision)
        return CometScores([float(x) for x in output.scores], float(output.system_score))


def comet_metric(task: str, scores: CometScores, signature: str) -> MetricResult:
    """The task-level row: the system score, with the standard error of the segment mean."""
    n = len(scores.segments)
    stderr = None
    if n > 1:
        mean = sum(scores.segments) / n
        stderr = math.sqrt(sum((x - mean) ** 2 for x in scores.segments) / (n - 1) / n)
    return MetricResult(task, METRIC, scores.system, stderr, n, signature, NOTE)


def score_task(
    task: str,
    doc_ids: Sequence[int],
    sources: Sequence[str],
    hypotheses: Sequence[str],
    references: Sequence[str],
    scorer: CometModel,
) -> tuple[MetricResult, list[float]]:
    """COMET of one task's documents (in doc order): the metric row and each document's score.
    Shared by `harness eval --comet-model` and `harness rescore`."""
    empty = [doc for doc, source in zip(doc_ids, sources, strict=True) if not source.strip()]
    if empty:
        raise HarnessError(
            f"{task} doc {empty[0]}: no source sentence (the data gives none); COMET needs the source"
        )
    scores = scorer.score(sources, hypotheses, references)
    return comet_metric(task, scores, scorer.signature), scores.segments


def scorer_for_run(
    comet_model: str | None, device: str | None, families: Sequence[str], warn: Callable[[str], None]
) -> CometModel | None:
    """The scorer `harness eval --comet-model` uses, checked before any model is loaded (unbabel-comet
    importable, checkpoint present); None without --comet-model or when no task is MT."""
    if not comet_model:
        return None
    require_comet()
    if not any(is_mt_family(f) for f in families):
        warn(f"--comet-model {comet_model}: none of the tasks is MT (FLORES, IF-MT); COMET is not loaded")
        return None
    return CometModel(comet_model, device=device)


def comet_outcome(family: str, task: str, outcome: TaskOutcome, scorer: CometModel | None) -> TaskOutcome:
    """The outcome of an MT task with `comet` added (metric row, and each sample's `comet` score);
    other tasks, or no scorer, unchanged. Sources come from each sample's `source` score field."""
    if scorer is None or not is_mt_family(family):
        return outcome
    missing = [s.doc_id for s in outcome.samples if not isinstance(s.scores.get("source"), str)]
    if missing:
        raise HarnessError(f"{task} doc {missing[0]}: the sample carries no source sentence for COMET")
    metric, segments = score_task(
        task,
        [s.doc_id for s in outcome.samples],
        [str(s.scores["source"]) for s in outcome.samples],
        [s.output for s in outcome.samples],
        [s.target for s in outcome.samples],
        scorer,
    )
    samples = [
        replace(s, scores={**s.scores, METRIC: score})
        for s, score in zip(outcome.samples, segments, strict=True)
    ]
    metrics = [m for m in outcome.metrics if m.metric != METRIC] + [metric]
    return replace(outcome, metrics=metrics, samples=samples)


class Comet:
    """The COMET scorer (`harness.scorers.base.Scorer`) of the MT tasks."""

    name = METRIC
    reads = ("output", "target", "source")
    writes = (Written(METRIC, higher_is_better=True),)
    environment = "unbabel-comet, in its own environment (scripts/setup_comet.sh makes .venv-comet)"
    scores_what = "MT task (FLORES flores_*, IF-MT ifmt_*)"

    def __init__(self, model: CometModel) -> None:
        self.model = model

    @classmethod
    def for_run(cls, context: ScorerContext) -> "Comet | None":
        options = context.options
        families = [f.name for f in context.families]
        model = scorer_for_run(options.comet_model, options.device, families, context.warn)
        return cls(model) if model is not None else None

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> "Comet":
        options = context.options
        if not options.comet_model:
            raise HarnessError(
                "--metric comet needs --comet-model: a local <model>/checkpoints/model.ckpt, its <model> "
                f"folder, or a hub name such as {HUB_DEFAULT}"
            )
        return cls(CometModel(options.comet_model, batch_size=options.comet_batch_size or BATCH_SIZE))

    @classmethod
    def applies(cls, family: Any, task: str) -> bool:
        return is_mt_family(family.name)

    def fingerprint(self) -> dict[str, Any]:
        return self.model.fingerprint()

    def attach(self, evaluated: EvaluatedModel) -> None:
        """COMET does not use the evaluated model."""

    def score(self, family: Any, task: str, outcome: TaskOutcome) -> TaskOutcome:
        return comet_outcome(family.name, task, outcome, self.model)
