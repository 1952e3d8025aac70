"""One unbabel-comet model, as `comet-score` loads and runs it, for every scorer of the COMET family
(`comet`, `cometkiwi`, `xcomet`): a local checkpoint (`.../checkpoints/model.ckpt`, or the folder
holding `checkpoints/model.ckpt`) or a hub name (downloaded by `comet.download_model`, needs network;
CometKiwi and xCOMET are gated on the hub and also need the user's token).

What `comet-score -s SRC -t HYP [-r REF] --model CKPT` does, and so this module: each segment
stripped of surrounding whitespace (as comet-score reads its lines), the model in eval mode and
half precision (`model.half()`), the sentence-embedding cache on, `model.predict` with length
batching (batch size 16 by default), on one GPU when CUDA is there and on the CPU otherwise;
references passed only when the model reads them. The result is the model's segment scores, its
`system_score` (their mean) and, for xCOMET, the error spans of its `metadata.error_spans`.
"""

import importlib.metadata
import importlib.util
import logging
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import HarnessError

BATCH_SIZE = 16
"""comet-score's default; in half precision padding can move scores slightly, so it is in the signature."""
GATED = ("Unbabel/wmt22-cometkiwi-da", "Unbabel/XCOMET-XL", "Unbabel/XCOMET-XXL")
"""Hub models that need the user's token: accept the licence on the model's page, then log in."""


def install_hint(flag: str = "--comet-model", metric: str = "comet") -> str:
    return (
        f"unbabel-comet is not installed in this environment ({sys.prefix}); its pins "
        "(transformers<5, numpy<2) clash with the main one. Run `bash scripts/setup_comet.sh`, then "
        f"score a stored run with `.venv-comet/bin/harness rescore RUN --metric {metric} {flag} PATH` "
        f"(or evaluate with `.venv-comet/bin/harness eval ... {flag} PATH`)"
    )


def require_comet(flag: str = "--comet-model", metric: str = "comet") -> str:
    """unbabel-comet's version, or a HarnessError telling how to get an environment with it."""
    try:
        version = importlib.metadata.version("unbabel-comet")
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version is None or importlib.util.find_spec("comet") is None:
        raise HarnessError(f"{flag}: {install_hint(flag, metric)}")
    return version


@dataclass(frozen=True)
class CometCheckpoint:
    """A COMET model resolved to its checkpoint file."""

    given: str
    """The model option as given."""
    path: Path
    name: str
    """The hub name, or the folder holding `checkpoints/` (the file's name otherwise)."""
    sha256: str
    hub: bool


def _looks_like_path(arg: str) -> bool:
    return arg.startswith((".", "/", "~")) or arg.count("/") != 1 or arg.endswith(".ckpt")


def _local_checkpoint(given: str, path: Path, flag: str) -> Path:
    if path.is_dir():
        candidates = [path / "checkpoints" / "model.ckpt", path / "model.ckpt"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise HarnessError(
                f"{flag} {given}: {path} holds no COMET checkpoint "
                f"(looked for {candidates[0]} and {candidates[1]})"
            )
        path = found
    hparams = path.parents[1] / "hparams.yaml"
    if not hparams.is_file():
        raise HarnessError(
            f"{flag} {given}: {hparams} is missing; COMET reads a checkpoint from "
            "<model>/checkpoints/model.ckpt with <model>/hparams.yaml beside checkpoints/"
        )
    return path


def _download_hint(model: str, flag: str) -> str:
    if model in GATED:
        return (
            f"{model} is gated on the Hugging Face hub: accept its licence on "
            f"https://huggingface.co/{model} and log in with your token (`huggingface-cli login`, or "
            f"HF_TOKEN set), with network; offline, give a local checkpoint with {flag} PATH"
        )
    return f"offline, give the path of a local <model>/checkpoints/model.ckpt with {flag}"


def resolve_checkpoint(model: str, flag: str = "--comet-model", hub_default: str = "") -> CometCheckpoint:
    """The model option -> its checkpoint file: an existing file or folder, else a hub name (downloaded)."""
    from core.hashing import sha256_file

    path = Path(model).expanduser()
    if path.exists():
        ckpt = _local_checkpoint(model, path.resolve(), flag)
        name = ckpt.parents[1].name if ckpt.parent.name == "checkpoints" else ckpt.name
        return CometCheckpoint(model, ckpt, name, sha256_file(ckpt), hub=False)
    if _looks_like_path(model):
        example = f" such as {hub_default}" if hub_default else ""
        raise HarnessError(
            f"{flag} {model}: no such checkpoint ({path.absolute()}); give "
            f"<model>/checkpoints/model.ckpt, the <model> folder, or a hub name{example} "
            "(downloaded, needs network)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pkg_resources deprecation notice from torchmetrics
        from comet import download_model

    try:
        downloaded = Path(download_model(model))
    except Exception as exc:  # comet raises KeyError; the hub client its own errors
        raise HarnessError(
            f"{flag} {model}: not a local checkpoint, and it could not be downloaded ({exc}); "
            + _download_hint(model, flag)
        ) from exc
    return CometCheckpoint(model, downloaded, model, sha256_file(downloaded), hub=True)


@dataclass(frozen=True)
class CometScores:
    segments: list[float]
    """One score per segment, in input order."""
    system: float
    """The model's `system_score`: the mean of the segment scores, as comet-score prints it."""
    error_spans: list[list[dict[str, Any]]] | None = None
    """xCOMET: each segment's error spans (text, start, end, severity, confidence); None otherwise."""


def plain_span(span: dict[str, Any]) -> dict[str, Any]:
    """An error span with plain JSON values (comet gives floats, ints and strings; tensors made plain)."""
    out: dict[str, Any] = {}
    for key in ("text", "start", "end", "severity", "confidence"):
        value = span.get(key)
        item = getattr(value, "item", None)
        out[key] = item() if callable(item) else value
    return out


class CometModel:
    """One COMET model, checked and resolved at construction (no weights loaded), loaded on first use."""

    def __init__(
        self,
        model: str,
        batch_size: int = BATCH_SIZE,
        device: str | None = None,
        progress: bool = True,
        flag: str = "--comet-model",
        hub_default: str = "",
        metric: str = "comet",
    ) -> None:
        self.flag = flag
        self.version = require_comet(flag, metric)
        self.checkpoint = resolve_checkpoint(model, flag, hub_default)
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
        """What the run fingerprint records when the model scored the MT tasks."""
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
                        f"{self.flag}: unbabel-comet does not import ({exc}); {install_hint(self.flag)}"
                    ) from exc
                # pytorch_lightning sets its logger to INFO on import; its device notices and tips
                # are noise here (the progress bar still shows).
                for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
                    logging.getLogger(name).setLevel(logging.WARNING)
                try:
                    model = load_from_checkpoint(str(self.checkpoint.path))
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    raise HarnessError(
                        f"{self.flag} {self.checkpoint.given}: could not load {self.checkpoint.path} "
                        f"({exc}); the encoder its hparams.yaml names (pretrained_model) must be a local "
                        "folder or in the Hugging Face cache"
                    ) from exc
            model.eval()
            model.half()  # as comet-score does
            model.set_embedding_cache()
            self._model = model
        return self._model

    def hparams(self) -> dict[str, Any]:
        """The checkpoint's hparams.yaml (`class_identifier` names the unbabel-comet model class)."""
        import yaml

        path = self.checkpoint.path.parents[1] / "hparams.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise HarnessError(f"{self.flag} {self.checkpoint.given}: cannot read {path} ({exc})") from exc
        if not isinstance(data, dict):
            raise HarnessError(f"{self.flag} {self.checkpoint.given}: {path} is not a mapping")
        return data

    def expect(self, class_identifier: str, what: str, reads_reference: bool | None = None) -> None:
        """An error naming the option unless the checkpoint is of `class_identifier` (and, when
        `reads_reference` is given, reads references or not as said)."""
        hparams = self.hparams()
        found = hparams.get("class_identifier")
        segments = hparams.get("input_segments") or []
        wrong = found != class_identifier or (
            reads_reference is not None and ("ref" in segments) != reads_reference
        )
        if wrong:
            raise HarnessError(
                f"{self.flag} {self.checkpoint.given}: not {what} (its hparams.yaml declares "
                f"class_identifier {found!r}, input_segments {segments}); {self.flag} takes a checkpoint "
                f"of class_identifier {class_identifier!r}"
                + (
                    ""
                    if reads_reference is None
                    else f", input_segments {'with' if reads_reference else 'without'} ref"
                )
            )

    def score(
        self, sources: Sequence[str], hypotheses: Sequence[str], references: Sequence[str] | None
    ) -> CometScores:
        """Segment and system scores of one system (and xCOMET's error spans), as `comet-score`
        computes them; `references` None for a reference-free model (CometKiwi)."""
        import torch

        if len(sources) != len(hypotheses) or (references is not None and len(references) != len(sources)):
            refs = "no" if references is None else str(len(references))
            raise HarnessError(
                f"COMET: {len(sources)} sources, {len(hypotheses)} hypotheses, {refs} references"
            )
        if not hypotheses:
            raise HarnessError("COMET: no hypotheses to score")
        samples = [{"src": s.strip(), "mt": h.strip()} for s, h in zip(sources, hypotheses, strict=True)]
        if references is not None:
            for sample, ref in zip(samples, references, strict=True):
                sample["ref"] = ref.strip()
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
        spans = None
        if "metadata" in output and "error_spans" in output.metadata:
            spans = [[plain_span(s) for s in segment] for segment in output.metadata.error_spans]
        return CometScores([float(x) for x in output.scores], float(output.system_score), spans)
