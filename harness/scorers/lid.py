"""Output language identification for MT tasks: which language each generated translation is in,
and two task metrics from it, `off_target` and `source_copy` (lower is better). See `docs/lid.md`.

The identifier is a fastText classifier: a user's `model.bin` (`--lid-model`, e.g. GlotLID's or
OpenLID's) or the one `harness lid build` trains on FLORES-200 dev (`harness.scorers.lid_build`). Labels must
be `__label__<ISO 639-3>_<ISO 15924>` (GlotLID, OpenLID and FLORES-200 all use that form); a model
whose labels are not is refused rather than guessed at.

Per sample (added to the sample's scores): `lid_label` (the model's label), `lid_lang` (the
FLORES-200 code it maps to, None when none does), `lid_conf` (the model's probability),
`source_chrf` (chrF of the output against the source), `off_target`, `off_target_macro` and
`source_copy` (0 or 1):
- `off_target` (the headline, as published off-target rates compare the full label: Zhang et al.
  2020, NLLB's use of its LID): the identified language is not the target's FLORES-200 code,
  language AND script (`same_code`): Indonesian or Minangkabau for a Malay target, Bosnian for
  Croatian, Serbian Cyrillic for Croatian, Dari for Persian, `zho_Hant` for `zho_Hans` are all off
  target. A label that is not itself a FLORES-200 code counts by the one FLORES-200 code of its
  language and script (`to_flores`: GlotLID's `swa_Latn` is `swh_Latn`).
- `off_target_macro` (ours, looser): compared by ISO 639-3 code after folding individual
  languages into their ISO 639-3 macrolanguage (`MACROLANGUAGE`), script ignored: `zho_Hant` or
  `yue_Hant` output for a `zho_Hans` target is on target, `arz_Arab` for `arb_Arab` too.
  An empty output is off target under both (it is not in the target language).
- `source_copy`: the output, normalised (`normalise`), equals the normalised source; or it is
  identified as the source language and its chrF against the source is at least
  `COPY_CHRF_THRESHOLD`. An empty output is not a copy.
"""

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core.errors import HarnessError
from core.records import MetricResult, SampleRecord, TaskOutcome
from harness.scorers.base import EvaluatedModel, ScorerContext, Written
from harness.scorers.lid_labels import (  # noqa: F401  (re-exported)
    LABEL_PREFIX,
    MACROLANGUAGE,
    language_key,
    parse_label,
    same_code,
    same_language,
    to_flores,
)

METRICS = ("off_target", "off_target_macro", "source_copy")
LOWER_IS_BETTER = frozenset(METRICS)
"""Metrics for which a rise is a regression (`harness gate`)."""
COPY_CHRF_THRESHOLD = 60.0
"""chrF (sacrebleu, word_order 0) of output against source at or above which an output identified as
the source language counts as a copy; chosen on SmolLM2-135M's FLORES outputs (docs/lid.md)."""
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation removed, whitespace collapsed: what `source_copy` compares."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Prediction:
    """The identifier's answer for one text."""

    label: str
    """The model's label without `__label__` (`lin_Latn`)."""
    confidence: float


class LidModel:
    """A fastText language identifier loaded from its `.bin` file (`fasttext.load_model`)."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        from core.hashing import sha256_file

        if not path.is_file():
            raise HarnessError(f"--lid-model {path}: no such file (a fastText model.bin)")
        self.path = path
        self.name = name or path.name
        self.sha256 = sha256_file(path)
        self.fasttext_version = _fasttext_version()
        self.model = _load(path)
        labels = [str(x) for x in self.model.get_labels()]
        bad = [x for x in labels if parse_label(x) is None]
        if bad:
            raise HarnessError(
                f"--lid-model {path}: {len(bad)} of its {len(labels)} labels are not ISO 639-3 + script "
                f"codes such as __label__eng_Latn (GlotLID, OpenLID, FLORES-200), e.g. {', '.join(bad[:5])}; "
                "their mapping to FLORES-200 languages is unknown, so the model is not used"
            )
        self.labels = [x.removeprefix(LABEL_PREFIX) for x in labels]

    @property
    def signature(self) -> str:
        """The identifier, as every row it scores names it (`metric_signature` adds the rule)."""
        return f"lid:fasttext|model:{self.name}|sha256:{self.sha256[:12]}|fasttext:{self.fasttext_version}"

    def metric_signature(self, metric: str) -> str:
        """One row's signature: the identifier and the rule of `metric`."""
        rule = {
            "off_target": "match:flores-code",
            "off_target_macro": "match:iso639-3-macro",
            "source_copy": f"match:iso639-3-macro|copy:chrf>={COPY_CHRF_THRESHOLD:g}",
        }[metric]
        return f"{self.signature}|{rule}"

    def fingerprint(self) -> dict[str, Any]:
        return {"model": str(self.path), "sha256": self.sha256, "fasttext": self.fasttext_version}

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The top label and its probability for each text (newlines read as spaces)."""
        out = []
        for text in texts:
            # The binding's own predict: fasttext's Python wrapper calls np.array(..., copy=False),
            # which numpy 2 refuses; the binding returns plain (probability, label) pairs.
            found = self.model.f.predict(" ".join(text.split()) + "\n", 1, 0.0, "strict")
            if not found:
                raise HarnessError(f"--lid-model {self.path}: no prediction for {text[:60]!r}")
            probability, label = found[0]
            out.append(Prediction(str(label).removeprefix(LABEL_PREFIX), min(1.0, float(probability))))
        return out


def _fasttext_version() -> str:
    import importlib.metadata

    for dist in ("fasttext", "fasttext-wheel"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def import_fasttext() -> Any:
    """The fasttext module, or an error saying how to install it."""
    try:
        import fasttext
    except ImportError as exc:
        raise HarnessError(
            "language identification needs fastText: pip install fasttext-wheel (in pyproject.toml's "
            "dependencies; rerun scripts/setup.sh)"
        ) from exc
    fasttext.FastText.eprint = lambda *_: None  # silence its load_model deprecation notice
    return fasttext


def _load(path: Path) -> Any:
    fasttext = import_fasttext()
    try:
        return fasttext.load_model(str(path))
    except ValueError as exc:
        raise HarnessError(f"--lid-model {path}: not a fastText model ({exc})") from exc


def sample_scores(
    output: str, source: str, source_lang: str, target_lang: str, pred: Prediction | None
) -> dict[str, Any]:
    """The per-sample scores of one output (`pred` None for an empty output)."""
    from sacrebleu.metrics import CHRF

    if pred is None:
        return {"lid_label": None, "lid_lang": None, "lid_conf": None, "source_chrf": 0.0} | {
            "off_target": 1,
            "off_target_macro": 1,
            "source_copy": 0,
        }
    overlap = float(CHRF().sentence_score(output, [source]).score) if source.strip() else 0.0
    identical = normalise(output) == normalise(source) and bool(normalise(source))
    as_source = same_language(pred.label, source_lang) and overlap >= COPY_CHRF_THRESHOLD
    return {
        "lid_label": pred.label,
        "lid_lang": to_flores(pred.label),
        "lid_conf": pred.confidence,
        "source_chrf": overlap,
        "off_target": int(not same_code(pred.label, target_lang)),
        "off_target_macro": int(not same_language(pred.label, target_lang)),
        "source_copy": int(identical or as_source),
    }


def mean_metric(task: str, metric: str, values: Sequence[int], signature: str, note: str) -> MetricResult:
    """A 0/1 per-sample metric as a task row: the mean with the standard error of the mean."""
    n = len(values)
    mean = sum(values) / n if n else None
    stderr = None
    if n > 1 and mean is not None:
        stderr = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)
    return MetricResult(task, metric, mean, stderr, n, signature, note)


def score_samples(
    task: str,
    doc_ids: Sequence[int],
    outputs: Sequence[str],
    sources: Sequence[str],
    languages: tuple[str, str],
    lid: LidModel,
) -> tuple[list[MetricResult], dict[int, dict[str, Any]]]:
    """Both task rows and each document's new score fields (doc_id -> fields). Shared by
    `harness eval` and `harness rescore --metric lid`."""
    source_lang, target_lang = languages
    if not (len(doc_ids) == len(outputs) == len(sources)) or not doc_ids:
        raise HarnessError(
            f"{task}: {len(doc_ids)} documents, {len(outputs)} outputs, {len(sources)} sources"
        )
    preds = iter(lid.predict([o for o in outputs if o.strip()]))
    per_doc = {
        doc: sample_scores(out, src, source_lang, target_lang, next(preds) if out.strip() else None)
        for doc, out, src in zip(doc_ids, outputs, sources, strict=True)
    }
    empty = sum(not o.strip() for o in outputs)
    note = f"target {target_lang}; lower is better" + (f"; {empty} empty output(s)" if empty else "")
    rows = [
        mean_metric(task, m, [per_doc[d][m] for d in doc_ids], lid.metric_signature(m), note) for m in METRICS
    ]
    return rows, per_doc


def sources_of(task: str, samples: Sequence[SampleRecord]) -> list[str]:
    """Each sample's `source` score field, or an error naming the first document without one."""
    missing = [s.doc_id for s in samples if not isinstance(s.scores.get("source"), str)]
    if missing:
        raise HarnessError(f"{task} doc {missing[0]}: the sample carries no source sentence")
    return [str(s.scores["source"]) for s in samples]


@runtime_checkable
class TranslationFamily(Protocol):
    """A family whose tasks translate: it names each task's source and target language."""

    def translation_languages(self, name: str) -> tuple[str, str]:
        """(source, target) FLORES-200 codes of the task."""
        ...


def lid_outcome(fam: Any, task: str, outcome: TaskOutcome, lid: LidModel | None) -> TaskOutcome:
    """The outcome of a translation task with `off_target` and `source_copy` added (rows, and each
    sample's fields); other tasks, or no model, unchanged."""
    if lid is None or not isinstance(fam, TranslationFamily):
        return outcome
    samples = outcome.samples
    rows, per_doc = score_samples(
        task,
        [s.doc_id for s in samples],
        [s.output for s in samples],
        sources_of(task, samples),
        fam.translation_languages(task),
        lid,
    )
    samples = [replace(s, scores={**s.scores, **per_doc[s.doc_id]}) for s in samples]
    metrics = [m for m in outcome.metrics if m.metric not in METRICS] + rows
    return replace(outcome, metrics=metrics, samples=samples)


BUNDLED_MODEL = Path(__file__).resolve().parents[1] / "bundled" / "lid" / "flores200-lid.ftz"
"""The compact identifier shipped with the package (`harness/bundled/lid/README.md`): the
`harness lid build` classifier of all FLORES-200 languages, quantized (4.3 MB)."""
NO_LID = "none"
"""`--lid-model none`: skip language identification."""


def default_identifier() -> LidModel | None:
    """Without `--lid-model`: the model the last full `harness lid build` made (cached), else the
    bundled one; None only when the package lacks its bundled file."""
    built = default_model()
    if built is not None:
        return LidModel(built, name=f"flores200-dev-lid:{built.parent.name}")
    if BUNDLED_MODEL.is_file():
        return LidModel(BUNDLED_MODEL, name=f"bundled:{BUNDLED_MODEL.name}")
    return None


def model_for_run(lid_model: str | None, families: Sequence[Any], warn: Any) -> LidModel | None:
    """The identifier `harness eval` uses: `--lid-model`, else the default (`default_identifier`);
    None when no task translates, with `--lid-model none`, or, with a warning, when there is none."""
    if lid_model == NO_LID:
        return None
    if not any(isinstance(f, TranslationFamily) for f in families):
        if lid_model:
            warn(f"--lid-model {lid_model}: none of the tasks is MT; it is not loaded")
        return None
    if lid_model:
        return LidModel(Path(lid_model).expanduser())
    found = default_identifier()
    if found is None:
        warn(
            f"off_target and source_copy not computed: no language identifier ({BUNDLED_MODEL} is missing "
            "from this installation; pass --lid-model model.bin, or run `harness lid build --data-dir DIR`)"
        )
    return found


def lid_cache() -> Path:
    from core.paths import cache_dir

    return cache_dir() / "lid"


def default_model() -> Path | None:
    """The model the last full `harness lid build` made, when it is still in the cache."""
    pointer = lid_cache() / "default.json"
    if not pointer.is_file():
        return None
    path = Path(json.loads(pointer.read_text(encoding="utf-8"))["model"])
    return path if path.is_file() else None


def identifier_for_rescore(lid_model: str | None) -> LidModel:
    """`--lid-model`, else the default identifier; an error when there is none."""
    if lid_model and lid_model != NO_LID:
        return LidModel(Path(lid_model).expanduser())
    found = None if lid_model == NO_LID else default_identifier()
    if found is None:
        raise HarnessError(
            "--metric lid needs --lid-model model.bin (GlotLID, OpenLID), or a model made once by "
            "`harness lid build --data-dir DIR`"
        )
    return found


class Lid:
    """Output language identification (`harness.scorers.base.Scorer`) of the translation tasks."""

    name = "lid"
    reads = ("output", "source")
    writes = tuple(Written(m, higher_is_better=False) for m in METRICS)
    environment = "fastText (fasttext-wheel, in the main environment) and a model.bin"
    scores_what = "MT task (FLORES flores_*, IF-MT ifmt_*)"

    def __init__(self, model: LidModel) -> None:
        self.model = model

    @classmethod
    def for_run(cls, context: ScorerContext) -> "Lid | None":
        model = model_for_run(context.options.lid_model, context.families, context.warn)
        return cls(model) if model is not None else None

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> "Lid":
        return cls(identifier_for_rescore(context.options.lid_model))

    @classmethod
    def applies(cls, family: Any, task: str) -> bool:
        return isinstance(family, TranslationFamily)

    def fingerprint(self) -> dict[str, Any]:
        return self.model.fingerprint()

    def attach(self, evaluated: EvaluatedModel) -> None:
        """Language ID does not use the evaluated model."""

    def score(self, family: Any, task: str, outcome: TaskOutcome) -> TaskOutcome:
        return lid_outcome(family, task, outcome, self.model)
