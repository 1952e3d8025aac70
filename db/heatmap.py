"""The Languages page's heatmap: language x model on one metric, languages grouped by resource
level, script or benchmark family, with each group's mean; or each model minus a base model.

A cell is a model's mean over the language's tasks (its newest complete result per task, as the
leaderboard takes it; `db.app_queries.latest_results`), with `n` the documents behind it. In the
difference mode a cell is the mean over the tasks both the model and the base were scored on of
(model - base), so that a task only one of them has never shifts the difference. Cells aggregate
in SQL; the grouping reads `core.languages` (script and resource level are not stored).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import aliased

from core.languages import language_info
from db.app_queries import PRIMARY, Filters, latest_results

GroupBy = Literal["resource", "script", "family"]
Order = Literal["name", "mean"]
RESOURCE_ORDER = ("high", "medium", "low", "unknown")


@dataclass(frozen=True)
class HeatCell:
    model: str
    language: str
    """FLORES-200 code."""
    name: str
    group: str
    value: float
    """The model's mean over the language's tasks; in the difference mode, model minus base."""
    n: int
    """Documents behind the model's value (summed over the tasks)."""
    tasks: int
    model_value: float
    """The model's own mean over those tasks (equal to `value` unless a base is given)."""
    base_value: float | None
    """The base model's mean over the same tasks (difference mode only)."""


@dataclass(frozen=True)
class GroupMean:
    """A model's mean over a group's languages (each language counted once)."""

    model: str
    group: str
    value: float
    languages: int
    n: int
    tasks: int


@dataclass(frozen=True)
class Heatmap:
    cells: list[HeatCell]
    groups: list[str]
    """Group names in display order."""
    languages: dict[str, list[str]] = field(default_factory=dict)
    """Group -> its language codes in display order."""
    means: list[GroupMean] = field(default_factory=list)
    base: str | None = None


def _cell_rows(engine: Engine, metric: str, group_by: GroupBy, filters: Filters, base: str | None) -> Any:
    """Rows of (model, language[, family], value, model_value, base_value, n, tasks)."""
    latest = latest_results(engine, metric, filters)
    family = [latest.c.family] if group_by == "family" else []
    keys = [latest.c.model, latest.c.language, *family]
    usable = and_(latest.c.language.is_not(None), latest.c.value.is_not(None))
    if base is None:
        return (
            select(
                *keys,
                func.avg(latest.c.value).label("value"),
                func.avg(latest.c.value).label("model_value"),
                func.sum(latest.c.n).label("n"),
                func.count().label("tasks"),
            )
            .where(usable)
            .group_by(*keys)
        )
    # The base's results are read without the model filter: it need not be among the shown models.
    reference = latest_results(engine, metric, Filters(**{**filters.__dict__, "models": [base]}))
    ref = aliased(reference, name="ref")
    return (
        select(
            *keys,
            func.avg(latest.c.value - ref.c.value).label("value"),
            func.avg(latest.c.value).label("model_value"),
            func.avg(ref.c.value).label("base_value"),
            func.sum(latest.c.n).label("n"),
            func.count().label("tasks"),
        )
        .join(ref, and_(ref.c.task == latest.c.task, ref.c.metric == latest.c.metric))
        .where(usable, ref.c.value.is_not(None), latest.c.model != base)
        .group_by(*keys)
    )


def _group_order(group_by: GroupBy, sizes: dict[str, int]) -> list[str]:
    if group_by == "resource":
        return sorted(sizes, key=lambda g: (RESOURCE_ORDER.index(g) if g in RESOURCE_ORDER else 99, g))
    if group_by == "script":
        return sorted(sizes, key=lambda g: (-sizes[g], g))  # the most languages first
    return sorted(sizes)


def heatmap(
    engine: Engine,
    metric: str = PRIMARY,
    group_by: GroupBy = "resource",
    filters: Filters | None = None,
    base: str | None = None,
    order: Order = "name",
) -> Heatmap:
    """Language x model cells of `metric`, grouped by `group_by` (resource level high -> low,
    script by size, or benchmark family), languages within a group by name or by their mean over
    the shown models (highest first), and each model's mean per group. With `base`, each cell is
    the model minus the base over the tasks both have (the base itself is left out)."""
    with engine.connect() as conn:
        rows = conn.execute(_cell_rows(engine, metric, group_by, filters or Filters(), base)).all()
    cells = []
    for row in rows:
        info = language_info(row.language)
        group = row.family if group_by == "family" else getattr(info, group_by)
        cells.append(
            HeatCell(
                row.model,
                row.language,
                info.name,
                group,
                float(row.value),
                int(row.n or 0),
                int(row.tasks),
                float(row.model_value),
                float(row.base_value) if base is not None else None,
            )
        )
    by_group: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        by_group[cell.group][cell.language].append(cell.value)
    groups = _group_order(group_by, {g: len(langs) for g, langs in by_group.items()})
    names = {cell.language: cell.name for cell in cells}

    def sort_key(group: str) -> Any:
        if order == "mean":
            return lambda code: (-_mean(by_group[group][code]), names[code])
        return lambda code: (names[code].casefold(), code)

    languages = {g: sorted(by_group[g], key=sort_key(g)) for g in groups}
    cells.sort(key=lambda c: (groups.index(c.group), languages[c.group].index(c.language), c.model))
    return Heatmap(cells, groups, languages, group_means(cells, groups), base)


def group_means(cells: Sequence[HeatCell], groups: Sequence[str]) -> list[GroupMean]:
    """Each model's plain mean over the languages of each group (a macro mean: every language
    weighs the same, however many tasks or documents it has)."""
    values: dict[tuple[str, str], list[HeatCell]] = defaultdict(list)
    for cell in cells:
        values[(cell.model, cell.group)].append(cell)
    out = [
        GroupMean(
            model,
            group,
            _mean([c.value for c in members]),
            len(members),
            sum(c.n for c in members),
            sum(c.tasks for c in members),
        )
        for (model, group), members in values.items()
    ]
    return sorted(out, key=lambda m: (groups.index(m.group), m.model))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)
