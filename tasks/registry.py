"""Task names and groups -> concrete tasks and the family that runs each.

One explicit map from family name to class, imported lazily; no registration by import side effect.
"""

import difflib
import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from core.errors import HarnessError
from tasks.base import GroupSpec, TaskFamily
from tasks.datasource import DataSource

FAMILIES: dict[str, str] = {
    "flores": "tasks.flores.task:Flores",
    "flores+": "tasks.flores.plus:FloresPlus",
    "xnli": "tasks.xnli.task:Xnli",
    "afrixnli": "tasks.xnli.task:AfriXnli",
    "kobest": "tasks.kobest.task:Kobest",
    "ceval": "tasks.ceval.task:Ceval",
    "agieval": "tasks.agieval.task:Agieval",
    "gaokao": "tasks.gaokao.task:Gaokao",
    "ifmt": "tasks.ifmt.ifmt:Ifmt",
    "ifmt_terms": "tasks.ifmt.terms:IfmtTerms",
    "sib200": "tasks.sib200.task:Sib200",
    "sib200_afrobench": "tasks.sib200.task:Sib200Afrobench",
    "bpb": "tasks.bpb.task:Bpb",
}

RootResolver = Callable[[str], Path]
"""Data set name -> its folder, or a HarnessError naming where it was expected."""


@cache
def family(name: str) -> TaskFamily:
    module, _, attr = FAMILIES[name].partition(":")
    return getattr(importlib.import_module(module), attr)()


def family_of_name(task: str) -> TaskFamily | None:
    """The family whose prefix the name carries (`flores_...`, `xnli_...`, or the family name)."""
    matches = [f for f in FAMILIES if task == f or task.startswith(f + "_")]
    return family(max(matches, key=len)) if matches else None


def expand(names: list[str], resolve_root: RootResolver) -> list[tuple[str, TaskFamily]]:
    """Concrete tasks with their family, in order, without repeats."""
    return expand_with_groups(names, resolve_root)[0]


def expand_with_groups(
    names: list[str], resolve_root: RootResolver
) -> tuple[list[tuple[str, TaskFamily]], dict[str, GroupSpec]]:
    """`expand`'s tasks, and those of `names` that are groups with their member tasks and the rule
    their family declared for aggregating them."""
    out: list[tuple[str, TaskFamily]] = []
    groups: dict[str, GroupSpec] = {}
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        fam, members, is_group = _lookup(name, resolve_root)
        if is_group:
            groups[name] = GroupSpec(members, fam.group_rule(name))
        out.extend((m, fam) for m in members if m not in [n for n, _ in out])
    if not out:
        raise HarnessError("--tasks: no task given")
    return out, groups


def did_you_mean(name: str, candidates: list[str], otherwise: str) -> str:
    """`; did you mean a, b?` with the closest of `candidates` (difflib), else `; <otherwise>`."""
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else f"; {otherwise}"


def _lookup(name: str, resolve_root: RootResolver) -> tuple[TaskFamily, list[str], bool]:
    """(family, member tasks, whether `name` is a group); an unknown name fails with the closest."""
    fam = family_of_name(name)
    if fam is None:
        static = [f for f in FAMILIES if family(f).discovered] + list(static_groups())
        hint = did_you_mean(name, static, "see `harness tasks list`")
        raise HarnessError(f"--tasks: unknown task {name!r}{hint}")
    root = resolve_root(fam.data_set) if fam.discovered else None
    groups = fam.groups(root)
    if name in groups:
        return fam, groups[name], True
    if fam.owns(name, root):
        return fam, [name], False
    candidates = list(groups) + sorted({task for members in groups.values() for task in members})
    hint = did_you_mean(name, candidates, f"see `harness tasks list --family {fam.name}`")
    raise HarnessError(f"--tasks: unknown task {name!r}{hint}")


def static_groups() -> dict[str, list[str]]:
    """Groups of the families whose tasks do not depend on the data present."""
    out: dict[str, list[str]] = {}
    for name in FAMILIES:
        if not family(name).discovered:
            out.update(family(name).groups(None))
    return out


def data_sources() -> dict[str, tuple[DataSource, list[str]]]:
    """Every data set the families declare (`sources`), with the families that read it, in FAMILIES order."""
    out: dict[str, tuple[DataSource, list[str]]] = {}
    for name in FAMILIES:
        for source in getattr(family(name), "sources", ()):
            out.setdefault(source.name, (source, []))[1].append(name)
    return out
