"""A checkpoint's place in training, as stored with it (`harness.engine.lineage` reads it from folders and
manifests)."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "harness_manifest.json"
CHECKPOINT_FOLDER = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class Lineage:
    """What registers a checkpoint under its model."""

    model_name: str
    step: int | None = None
    tokens_seen: int | None = None
    parent: str | None = None
    """The parent checkpoint's source: an absolute folder path, alias or hub id."""
    recipe: dict[str, Any] | None = None


def step_from_folder(path: str) -> int | None:
    match = CHECKPOINT_FOLDER.match(Path(path).name)
    return int(match.group(1)) if match else None
