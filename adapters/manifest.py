"""Every saved checkpoint gets `harness_manifest.json` (the format `harness.engine.lineage` reads) and a
row in the database, registered exactly as `harness eval --model FOLDER` would register it."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.lineage import MANIFEST, Lineage


@dataclass(frozen=True)
class Manifest:
    """What one checkpoint records about how it was made."""

    model_name: str
    step: int | None
    tokens_seen: int | None
    parent: str | None
    """`../checkpoint-N` for the previous checkpoint of the run, else the base model's source."""
    recipe: dict[str, Any]
    """Recipe name, file, file SHA-256, base model, seed, data mixture with file checksums, settings."""

    def to_json(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "step": self.step,
            "tokens_seen": self.tokens_seen,
            "parent": self.parent,
            "recipe": self.recipe,
        }


def recipe_record(
    recipe: Any, recipe_file: Path, recipe_sha256: str, base_source: str, **extra: Any
) -> dict[str, Any]:
    """The `recipe` field of every manifest of one run; `target_languages` is what `harness compare`
    reads to split languages into the recipe's targets and the rest."""
    return {
        "name": recipe.recipe,
        "file": str(recipe_file),
        "sha256": recipe_sha256,
        "base_model": base_source,
        "seed": getattr(recipe, "seed", None),
        "target_languages": list(getattr(recipe, "target_languages", [])),
        **extra,
        "config": recipe.model_dump(mode="json"),
    }


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def log_line(message: str) -> None:
    """One line on stderr (rich markup), between the Trainer's progress bars: callers pass stored
    strings (names, paths) through `harness.output.plain`."""
    from harness.output import console

    console(stderr=True).print(message, markup=True, soft_wrap=True, highlight=False)


def register(folder: Path, db_url: str | None) -> Lineage:
    """Register the checkpoint in `folder` (its manifest written) under its model, with its parent."""
    from db import store
    from db.session import make_engine, make_session_factory
    from harness.engine.lineage import lineage_for
    from harness.engine.models import resolve_model

    spec = resolve_model(str(folder))
    lineage = lineage_for(spec)
    store.register_checkpoint(make_session_factory(make_engine(db_url)), lineage, spec.path, spec.kind)
    return lineage
