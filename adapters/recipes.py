"""One YAML file per recipe, validated here: a typo is an error naming the file and the field.

Paths inside a recipe may use `~` and `${ENV_VARS}`; relative paths are relative to the
recipe file's folder.

Every recipe may declare `target_languages` (FLORES-200 codes: `[lin_Latn]`); each checkpoint's
manifest records them, and `harness compare` splits languages into those targets and the rest.
A trained recipe with `eval_every` and no `eval_tasks` checks each such checkpoint with bits per
byte on FLORES-200 dev (`bpb_<lang>`, `--split dev`): the targets, then `CHECK_LANGUAGES` (English,
French, Swahili, Russian, Arabic, Hindi, Chinese, Japanese, Korean), `CHECK_LIMIT` (100) sentences
each unless `eval_limit` says otherwise: seconds per checkpoint for a small model. Evaluate the base
the same way (`harness eval --model BASE --tasks bpb_lin_Latn,... --split dev --limit 100`) so that
`harness compare MODEL` has both sides.
"""

import hashlib
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import HarnessError
from core.languages import FLORES_LANGUAGES

CHECK_LANGUAGES = (
    "eng_Latn",
    "fra_Latn",
    "swh_Latn",
    "rus_Cyrl",
    "arb_Arab",
    "hin_Deva",
    "zho_Hans",
    "jpn_Jpan",
    "kor_Hang",
)
"""Besides the targets, the languages of the default in-training check: English and eight others
spread over scripts and families (French, Swahili: Latin; Russian: Cyrillic; Arabic; Hindi:
Devanagari; Chinese: Han; Japanese: kana and kanji; Korean: Hangul)."""
CHECK_LIMIT = 100
"""Sentences per language in the default in-training check (FLORES-200 dev has 997)."""
CHECK_SPLIT = "dev"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextSource(Strict):
    """Monolingual text, code, or replay of the base model's original-language text."""

    kind: Literal["text", "code", "replay"]
    paths: list[str] = Field(min_length=1)
    weight: float = Field(gt=0)
    """Share of the mixture's tokens, relative to the other sources' weights."""
    unit: Literal["line", "paragraph", "file"] = "line"
    """What one document is: a line, a blank-line-separated paragraph, or a whole file."""


class ParallelSource(Strict):
    """Aligned files (line i of one translates line i of the other), formatted as translation pairs."""

    kind: Literal["parallel"]
    source: str
    target: str
    source_language: str
    target_language: str
    weight: float = Field(gt=0)
    template: str = "{source_language}: {source}\n{target_language}: {target}"
    both_directions: bool = False
    """Also add every pair in the reverse direction."""


DataSource = Annotated[TextSource | ParallelSource, Field(discriminator="kind")]


class Training(Strict):
    """The Trainer's settings; one step is batch_size x gradient_accumulation_steps x processes rows."""

    max_steps: int = Field(gt=0)
    save_every: int = Field(gt=0)
    """Save (and register) a checkpoint every N steps, and at the last step."""
    learning_rate: float = Field(default=1e-4, gt=0)
    batch_size: int = Field(default=8, gt=0)
    """Rows per device per micro-step."""
    gradient_accumulation_steps: int = Field(default=1, gt=0)
    seq_length: int = Field(default=1024, gt=1)
    """Packed block length (cpt, lora, layra, vocab) or maximum example length (sft)."""
    warmup_steps: int = Field(default=0, ge=0)
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "cosine"
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    """auto: bf16 on a GPU that supports it, else fp32."""
    gradient_checkpointing: bool = False
    logging_steps: int = Field(default=10, gt=0)
    save_total_limit: int | None = Field(default=None, gt=0)


class LoraSettings(Strict):
    r: int = Field(default=16, gt=0)
    alpha: int = Field(default=32, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] = Field(
        default=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], min_length=1
    )


class RecipeBase(Strict):
    base_model: str
    """Checkpoint folder, alias (smollm2-135m) or hub id, as `harness eval --model` takes it."""
    model_name: str | None = None
    """Register the checkpoints under this model name (default: the output folder's name)."""
    output_dir: str | None = None
    """Where checkpoints go; `--output` overrides it."""
    target_languages: list[str] = []
    """The languages the recipe adapts the model to, FLORES-200 codes (`lin_Latn`). Recorded in every
    checkpoint's manifest: `harness compare` splits its languages into these targets and the rest."""

    @field_validator("target_languages")
    @classmethod
    def _flores_codes(cls, codes: list[str]) -> list[str]:
        unknown = [c for c in codes if c not in FLORES_LANGUAGES]
        if unknown:
            raise ValueError(f"not FLORES-200 language codes (such as lin_Latn): {', '.join(unknown)}")
        if len(set(codes)) != len(codes):
            raise ValueError("a language is named twice")
        return codes


class TrainedRecipe(RecipeBase):
    seed: int = 0
    """Seeds the mixture's sampling, the data order and the initialisation of new weights."""
    training: Training
    eval_every: int | None = Field(default=None, gt=0)
    """Evaluate every checkpoint whose step is a multiple of N (a multiple of save_every)."""
    eval_tasks: list[str] = []
    """Tasks and groups to evaluate. Default (empty): bits per byte on FLORES-200 dev (`bpb_<lang>`,
    `--split dev`) for `target_languages` and `CHECK_LANGUAGES`, `CHECK_LIMIT` sentences each."""
    eval_limit: int | None = Field(default=None, gt=0)
    """Documents per task (default: all; `CHECK_LIMIT` for the default check)."""
    eval_split: str | None = None
    """Split of the evaluated tasks (default: each task's own; `dev` for the default check)."""
    eval_data_dir: str | None = None
    """Data folder for the evaluation (default: HARNESS_DATA_DIR, then the cache)."""
    eval_batch_size: int = Field(default=8, gt=0)

    def eval_plan(self) -> tuple[list[str], int | None, str | None]:
        """(tasks, limit, split) of the in-training check: the recipe's, or the default bpb check."""
        if self.eval_tasks:
            return list(self.eval_tasks), self.eval_limit, self.eval_split
        languages = [*self.target_languages, *(c for c in CHECK_LANGUAGES if c not in self.target_languages)]
        return [f"bpb_{c}" for c in languages], self.eval_limit or CHECK_LIMIT, self.eval_split or CHECK_SPLIT

    @model_validator(mode="after")
    def _eval_fields(self) -> "TrainedRecipe":
        if self.eval_every is not None:
            if self.eval_every % self.training.save_every:
                raise ValueError(
                    f"eval_every ({self.eval_every}) must be a multiple of training.save_every "
                    f"({self.training.save_every}): only saved checkpoints are evaluated"
                )
        elif self.eval_tasks:
            raise ValueError("eval_tasks needs eval_every")
        return self


class CptRecipe(TrainedRecipe):
    """Full continued pretraining on a weighted, packed mixture."""

    recipe: Literal["cpt"]
    data: list[DataSource] = Field(min_length=1)


class LoraRecipe(TrainedRecipe):
    """LoRA continued pretraining on a weighted, packed mixture."""

    recipe: Literal["lora"]
    data: list[DataSource] = Field(min_length=1)
    lora: LoraSettings = LoraSettings()


class LayraRecipe(TrainedRecipe):
    """LoRA on the first k and the last k transformer layers only; everything else frozen."""

    recipe: Literal["layra"]
    data: list[DataSource] = Field(min_length=1)
    lora: LoraSettings = LoraSettings()
    layers: int = Field(gt=0)
    """k: adapt layers 0..k-1 and L-k..L-1."""


class VocabSettings(Strict):
    vocab_size: int = Field(gt=0)
    """Size of the tokenizer trained on the target-language text; its tokens the base lacks are added."""
    max_new_tokens: int | None = Field(default=None, gt=0)
    """Add at most this many new tokens (the first ones the trained tokenizer learned)."""
    texts: list[str] = []
    """Files to train the tokenizer on (default: every text and code file of `data`)."""
    init: Literal["mean", "subtoken_mean", "clp"] = "subtoken_mean"
    clp_helper: str | None = None
    """For clp: a small model whose tokenizer holds the new tokens (CLP-Transfer's helper)."""
    new_rows_steps: int = Field(default=0, ge=0)
    """First train only the new embedding rows for this many steps (0: skip)."""
    new_rows_learning_rate: float = Field(default=1e-3, gt=0)

    @model_validator(mode="after")
    def _helper(self) -> "VocabSettings":
        if (self.init == "clp") != (self.clp_helper is not None):
            raise ValueError("clp_helper is required with init: clp and only allowed with it")
        return self


class VocabRecipe(TrainedRecipe):
    """Extend the vocabulary with tokens learned on target-language text, then train."""

    recipe: Literal["vocab"]
    data: list[DataSource] = Field(min_length=1)
    vocab: VocabSettings


class SftSource(Strict):
    """Instruction examples: a JSONL file with a prompt and a completion field per line."""

    kind: Literal["jsonl"]
    path: str
    weight: float = Field(gt=0)
    """Share of the examples, relative to the other tasks' weights."""
    prompt_field: str = "prompt"
    completion_field: str = "completion"


class SftParallelSource(Strict):
    """Translation instructions built from aligned files."""

    kind: Literal["parallel"]
    source: str
    target: str
    source_language: str
    target_language: str
    weight: float = Field(gt=0)
    prompt: str = (
        "Translate from {source_language} to {target_language}.\n"
        "{source_language}: {source}\n{target_language}:"
    )
    completion: str = " {target}"


class SftRecipe(TrainedRecipe):
    """Multitask instruction finetuning with the loss on completions only (TRL's SFTTrainer)."""

    recipe: Literal["sft"]
    tasks: list[Annotated[SftSource | SftParallelSource, Field(discriminator="kind")]] = Field(min_length=1)
    lora: LoraSettings | None = None
    """Finetune a LoRA adapter instead of every weight."""


class MergeRecipe(RecipeBase):
    """Task arithmetic: adapted + scale * (instruct - base_model), parameter by parameter."""

    recipe: Literal["merge"]
    adapted: str
    """The model adapted from base_model (a folder, or a LoRA adapter folder, merged first)."""
    instruct: str
    """The instruction-tuned model made from the same base_model."""
    scale: float = 1.0
    """lambda."""


Recipe = Annotated[
    CptRecipe | LoraRecipe | LayraRecipe | VocabRecipe | SftRecipe | MergeRecipe,
    Field(discriminator="recipe"),
]
RECIPE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Recipe)


def _field_path(loc: tuple[Any, ...], raw: Any) -> str:
    """The error's location as the user wrote it: the union tags pydantic inserts are dropped."""
    parts: list[str] = []
    node = raw
    for part in loc:
        is_tag = (
            isinstance(node, dict) and part not in node and part in (node.get("recipe"), node.get("kind"))
        )
        if is_tag:
            continue
        parts.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        else:
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            node = node[part] if in_list else None
    return ".".join(parts)


def _describe(error: Any, raw: dict[str, Any]) -> str:
    if error["type"] in ("union_tag_invalid", "union_tag_not_found") and not error["loc"]:
        return f"recipe: {error['msg']}"
    where = _field_path(error["loc"], raw) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field"
    return f"{where}: {error['msg']}"


def load_recipe(path: Path) -> Any:
    """The validated recipe in `path`; HarnessError naming the file and each bad field."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HarnessError(f"{path}: cannot read the recipe ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise HarnessError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise HarnessError(f"{path}: expected a mapping of recipe fields")
    try:
        return RECIPE_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(e, raw) for e in exc.errors())
        raise HarnessError(f"{path}: {problems}") from exc


def recipe_path(value: str, recipe_file: Path) -> Path:
    """A path written in a recipe: `~` and ${VARS} expanded, relative to the recipe's folder."""
    expanded = os.path.expandvars(os.path.expanduser(value))
    if "$" in expanded:
        raise HarnessError(f"{recipe_file}: {value!r} names an unset environment variable")
    path = Path(expanded)
    return path if path.is_absolute() else (recipe_file.parent / path).resolve()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
