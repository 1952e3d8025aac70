"""Scores of the groups a run was asked for (`--tasks ceval,kobest`), from its tasks' scores.

A group's score is derived, never stored: it is recomputed from the task rows whenever it is shown.
How is the family's to say (`TaskFamily.group_rule`, see `tasks.base.GroupRule`):

- `macro`: the unweighted mean over the member tasks (C-Eval's average over subjects, the usual
  average over FLORES directions), standard error sqrt(sum se_i^2) / k, as lm-eval's
  `unweighted_mean_stderr`.
- `size_weighted`: lm-eval's `weight_by_size` groups (`kobest`): the mean weighted by each task's
  number of documents, standard error lm-eval's `pooled_sample_stderr`; a metric only some members
  report is aggregated over those, as lm-eval does (with a note). The unweighted mean is reported
  beside it as `<metric>_unweighted`.
- `macro_and_size_weighted`: the macro mean as the metric itself, lm-eval's size-weighted mean
  (and pooled standard error) beside it as `<metric>_size_weighted` (C-Eval: the paper averages
  subjects, lm-eval's `ceval-valid` weights them by size).
- `points_sum`: `points` and `points_available` are sums and `points_rate` is their ratio, as
  GAOKAO-Bench totals a paper; other metrics are macro means.

Counts (`points`, `points_available`, `judge_unparseable`, `judge_cut_off`, `cut_off`) are always summed.
Under
`macro` and `points_sum` a metric is aggregated only when every member has it; a member without a value makes
the group's value None, with a note naming the member.
"""

import math
from collections.abc import Mapping, Sequence

from core.records import MetricResult
from tasks.base import GroupRule, GroupSpec

SUMMED = frozenset({"points", "points_available", "judge_unparseable", "judge_cut_off", "cut_off"})
"""Metrics that are totals over documents, so a group's value is their sum."""


def group_results(groups: Mapping[str, GroupSpec], results: Sequence[MetricResult]) -> list[MetricResult]:
    """One row per (group, metric) for the groups of two or more tasks whose members all have scores."""
    by_task: dict[str, dict[str, MetricResult]] = {}
    for r in results:
        by_task.setdefault(r.task, {})[r.metric] = r
    out: list[MetricResult] = []
    for group, spec in groups.items():
        if len(spec.members) < 2 or any(m not in by_task for m in spec.members):
            continue
        out.extend(aggregate(group, [by_task[m] for m in spec.members], list(spec.members), spec.rule))
    return out


def aggregate(
    group: str, members: list[dict[str, MetricResult]], names: list[str], rule: GroupRule = "macro"
) -> list[MetricResult]:
    """The group rows of one group; `members[i]` holds task `names[i]`'s metrics by name."""
    k = len(members)
    in_all = [m for m in members[0] if all(m in member for member in members)]
    metrics = in_all
    if rule == "size_weighted":  # lm-eval aggregates a metric over the members that report it
        metrics = list(dict.fromkeys(m for member in members for m in member))
    out: list[MetricResult] = []
    for metric in metrics:
        if metric == "points_rate" and rule == "points_sum":
            continue  # from the summed points below
        having = [
            (name, member[metric]) for name, member in zip(names, members, strict=True) if metric in member
        ]
        rows = [r for _, r in having]
        n = sum(r.n for r in rows)
        missing = [name for name, r in having if r.value is None]
        if missing:
            note = f"not computed: no value for {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
            out.append(MetricResult(group, metric, None, None, n, f"{metric}|over-{k}-tasks", note))
            continue
        values = [float(r.value) for r in rows if r.value is not None]
        if metric in SUMMED:
            out.append(MetricResult(group, metric, sum(values), None, n, f"{metric}|sum-over-{k}-tasks"))
            continue
        signatures = {r.signature for r in rows}
        scoring = signatures.pop() if len(signatures) == 1 else "member-signatures-differ"
        note = "" if len(rows) == k else f"over the {len(rows)} of {k} tasks that report it, as lm-eval"
        macro = MetricResult(
            group,
            metric,
            sum(values) / len(values),
            _macro_stderr(rows),
            n,
            f"{metric}|macro-over-{len(rows)}-tasks|{scoring}",
            note,
        )
        if rule not in ("size_weighted", "macro_and_size_weighted"):
            out.append(macro)
            continue
        sizes = [r.n for r in rows]
        weighted = sum(v * s for v, s in zip(values, sizes, strict=True)) / sum(sizes)
        if rule == "macro_and_size_weighted":
            out.append(macro)
            out.append(
                MetricResult(
                    group,
                    f"{metric}_size_weighted",
                    weighted,
                    _pooled_stderr(rows),
                    n,
                    f"{metric}|size-weighted-over-{len(rows)}-tasks|{scoring}",
                    "lm-eval's size-weighted mean beside the macro mean" + (f"; {note}" if note else ""),
                )
            )
            continue
        out.append(
            MetricResult(
                group,
                metric,
                weighted,
                _pooled_stderr(rows),
                n,
                f"{metric}|size-weighted-over-{len(rows)}-tasks|{scoring}",
                note,
            )
        )
        out.append(
            MetricResult(
                group,
                f"{metric}_unweighted",
                macro.value,
                macro.stderr,
                n,
                macro.signature,
                f"unweighted mean beside lm-eval's size-weighted {metric}" + (f"; {note}" if note else ""),
            )
        )
    if rule == "points_sum" and "points_rate" in in_all and {"points", "points_available"} <= set(in_all):
        out.extend(_points_rate(group, members, k))
    return out


def _macro_stderr(rows: list[MetricResult]) -> float | None:
    """sqrt(sum se_i^2) / k, the standard error of a mean of k independent task scores."""
    if any(r.stderr is None for r in rows):
        return None
    return math.sqrt(sum(float(r.stderr) ** 2 for r in rows if r.stderr is not None)) / len(rows)


def _pooled_stderr(rows: list[MetricResult]) -> float | None:
    """lm-eval's `pooled_sample_stderr`: the pooled variance of the members' samples over their
    total size."""
    if any(r.stderr is None for r in rows) or sum(r.n for r in rows) <= len(rows):
        return None
    pooled = sum((r.n - 1) * float(r.stderr or 0.0) ** 2 * r.n for r in rows) / (
        sum(r.n for r in rows) - len(rows)
    )
    return math.sqrt(pooled / sum(r.n for r in rows))


def _points_rate(group: str, members: list[dict[str, MetricResult]], k: int) -> list[MetricResult]:
    earned = [m["points"].value for m in members]
    available = [m["points_available"].value for m in members]
    n = sum(m["points_rate"].n for m in members)
    signature = f"points_rate|sum(points)/sum(points_available)-over-{k}-tasks"
    if any(v is None for v in earned + available) or not sum(a or 0.0 for a in available):
        return [MetricResult(group, "points_rate", None, None, n, signature, "not computed: no points")]
    rate = sum(e or 0.0 for e in earned) / sum(a or 0.0 for a in available)
    return [MetricResult(group, "points_rate", rate, None, n, signature)]
