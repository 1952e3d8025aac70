"""Where a checkpoint sits in training: its model, step, tokens seen, parent and recipe.

Sources, later ones overriding nothing silently (a conflict is an error):
- the folder name: `.../<model>/checkpoint-<step>` (transformers' Trainer layout) gives the
  step and, as the model name, the folder above it;
- a manifest `harness_manifest.json` in the checkpoint folder (written by `adapters/`):
  `{"model_name", "step", "tokens_seen", "parent", "recipe"}`, every field optional; `parent`
  is the parent checkpoint's folder (relative to this one or absolute) or a model alias/hub id;
- the flags `--model-name` and `--step`.
"""

import json
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.lineage import MANIFEST, Lineage, step_from_folder
from harness.engine.models import ModelSpec


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(manifest, dict):
        raise HarnessError(f"{path}: expected a JSON object")
    expected = {"model_name": str, "step": int, "tokens_seen": int, "parent": str, "recipe": dict}
    for field, value in manifest.items():
        kind = expected.get(field)
        if (
            kind is not None
            and value is not None
            and (not isinstance(value, kind) or isinstance(value, bool))
        ):
            raise HarnessError(f"{path}: field {field!r} must be {kind.__name__}, got {value!r}")
    return manifest


def _agree(field: str, values: dict[str, Any]) -> Any:
    """The one value the given sources agree on (None when none gives one)."""
    given = {source: value for source, value in values.items() if value is not None}
    if len(set(map(str, given.values()))) > 1:
        found = ", ".join(f"{source} says {value}" for source, value in given.items())
        raise HarnessError(f"{field} of the checkpoint disagrees: {found}")
    return next(iter(given.values()), None)


def lineage_for(spec: ModelSpec, model_name: str | None = None, step: int | None = None) -> Lineage:
    if spec.kind not in ("local", "peft"):
        return Lineage(model_name=model_name or spec.name, step=step)
    folder = Path(spec.path)
    manifest = _read_manifest(folder)
    folder_step = step_from_folder(spec.path)
    name = _agree(
        "model name",
        {"--model-name": model_name, MANIFEST: manifest.get("model_name")},
    ) or (folder.parent.name if folder_step is not None else spec.name)
    parent = manifest.get("parent")
    if parent is not None and (parent.startswith((".", "/")) or (folder / parent).exists()):
        parent = str((folder / parent).resolve())
    return Lineage(
        model_name=name,
        step=_agree("step", {"--step": step, MANIFEST: manifest.get("step"), "folder name": folder_step}),
        tokens_seen=manifest.get("tokens_seen"),
        parent=parent,
        recipe=manifest.get("recipe"),
    )
