"""Task names and groups -> concrete tasks, and the lm-eval config of each.

One explicit map from family to module, imported lazily; no registration by import side effect.
"""

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from tasks.flores import task as flores


@dataclass(frozen=True)
class TaskInfo:
    """What is stored with every result of a task."""

    name: str
    family: str
    version: str
    """Prompt/config version string; bumped when a change alters scores."""
    task_hash: str
    """SHA-256 over template, config and the checksums of the data files read."""
    data_files: dict[str, str]
    """Relative data path -> SHA-256."""
    prompt_template: str


def groups() -> dict[str, list[str]]:
    return flores.groups()


def expand(names: list[str]) -> list[str]:
    """Concrete task names for a list of task and group names, in order, without repeats."""
    known_groups = groups()
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in known_groups:
            members = known_groups[name]
        elif flores.parse_name(name):
            members = [name]
        else:
            candidates = list(known_groups) + flores.all_directions()
            close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `harness tasks list`"
            raise HarnessError(f"--tasks: unknown task {name!r}{hint}")
        out.extend(m for m in members if m not in out)
    if not out:
        raise HarnessError("--tasks: no task given")
    return out


def family_of(name: str) -> str:
    if flores.parse_name(name):
        return "flores"
    raise HarnessError(f"unknown task {name!r}")


def data_sets_needed(names: list[str]) -> set[str]:
    return {"flores200" for name in names if family_of(name) == "flores"}


def task_info(name: str, data_roots: dict[str, Path]) -> TaskInfo:
    parsed = flores.parse_name(name)
    assert parsed is not None
    digest, files = flores.task_hash(*parsed, data_roots["flores200"])
    return TaskInfo(
        name=name,
        family="flores",
        version=flores.PROMPT_VERSION,
        task_hash=digest,
        data_files=files,
        prompt_template=flores.prompt_template(*parsed),
    )


def lm_eval_config(name: str, data_roots: dict[str, Path], with_spbleu: bool) -> dict[str, Any]:
    return flores.lm_eval_config(name, data_roots["flores200"], with_spbleu)
