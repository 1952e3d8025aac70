"""Scores of the groups a run was asked for (`--tasks ceval,gaokao_english`), from its tasks' scores.

A group's score is derived, never stored: it is recomputed from the stored task rows whenever it is
shown. Two rules:

- Points (GAOKAO-Bench) and counts add up: `points` and `points_available` are sums over the member
  tasks, and `points_rate` is the summed points over the summed points available, as GAOKAO-Bench
  totals a paper.
- Every other metric is the unweighted mean over the member tasks (C-Eval's average over subjects,
  the usual average over FLORES directions), with the standard error sqrt(sum se_i^2) / k of a mean of
  k independent task scores, when every member has one.

A metric is aggregated only when every member task has it; a member without a value makes the
group's value None, with a note naming the member.
"""

import math
from collections.abc import Mapping, Sequence

from core.records import MetricResult

SUMMED = frozenset({"points", "points_available", "judge_unparseable"})
"""Metrics that are totals over documents, so a group's value is their sum."""


def group_results(groups: Mapping[str, Sequence[str]], results: Sequence[MetricResult]) -> list[MetricResult]:
    """One row per (group, metric) for the groups of two or more tasks whose members all have scores."""
    by_task: dict[str, dict[str, MetricResult]] = {}
    for r in results:
        by_task.setdefault(r.task, {})[r.metric] = r
    out: list[MetricResult] = []
    for group, members in groups.items():
        if len(members) < 2 or any(m not in by_task for m in members):
            continue
        out.extend(aggregate(group, [by_task[m] for m in members], list(members)))
    return out


def aggregate(group: str, members: list[dict[str, MetricResult]], names: list[str]) -> list[MetricResult]:
    """The group rows of one group; `members[i]` holds task `names[i]`'s metrics by name."""
    k = len(members)
    metrics = [m for m in members[0] if all(m in member for member in members)]
    out: list[MetricResult] = []
    for metric in metrics:
        if metric == "points_rate":
            continue  # from the summed points below
        rows = [member[metric] for member in members]
        n = sum(r.n for r in rows)
        missing = [name for name, r in zip(names, rows, strict=True) if r.value is None]
        if missing:
            note = f"not computed: no value for {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
            out.append(MetricResult(group, metric, None, None, n, f"{metric}|over-{k}-tasks", note))
            continue
        values = [float(r.value) for r in rows if r.value is not None]
        if metric in SUMMED:
            out.append(MetricResult(group, metric, sum(values), None, n, f"{metric}|sum-over-{k}-tasks"))
            continue
        errors = [r.stderr for r in rows]
        stderr = None
        if all(e is not None for e in errors):
            stderr = math.sqrt(sum(float(e) ** 2 for e in errors if e is not None)) / k
        signatures = {r.signature for r in rows}
        scoring = signatures.pop() if len(signatures) == 1 else "member-signatures-differ"
        signature = f"{metric}|macro-over-{k}-tasks|{scoring}"
        out.append(MetricResult(group, metric, sum(values) / k, stderr, n, signature))
    if "points_rate" in metrics and {"points", "points_available"} <= set(metrics):
        out.extend(_points_rate(group, members, k))
    return out


def _points_rate(group: str, members: list[dict[str, MetricResult]], k: int) -> list[MetricResult]:
    earned = [m["points"].value for m in members]
    available = [m["points_available"].value for m in members]
    n = sum(m["points_rate"].n for m in members)
    signature = f"points_rate|sum(points)/sum(points_available)-over-{k}-tasks"
    if any(v is None for v in earned + available) or not sum(a or 0.0 for a in available):
        return [MetricResult(group, "points_rate", None, None, n, signature, "not computed: no points")]
    rate = sum(e or 0.0 for e in earned) / sum(a or 0.0 for a in available)
    return [MetricResult(group, "points_rate", rate, None, n, signature)]
