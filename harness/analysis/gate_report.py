"""The gate's report: a terminal table, Markdown for `$GITHUB_STEP_SUMMARY`, or JSON."""

from dataclasses import asdict
from typing import Any

from core.scale import fmt, fmt_delta, fmt_delta_interval
from core.stats import min_differing
from harness.analysis.gate import GateReport, TaskVerdict

HEADER = (
    "task",
    "metric",
    "baseline",
    "candidate",
    "delta",
    "95% CI",
    "p",
    "p (Holm)",
    "differing",
    "changed",
    "verdict",
)
FINE = ("ok", "improvement", "not enough evidence", "no significant change")
"""Verdicts that do not fail the gate."""


def _verdict(v: TaskVerdict, strict: bool) -> str:
    if v.failed:
        return "REGRESSION"
    if strict and v.changed_outputs:
        return "CHANGED"
    if v.verdict == "regression":  # significant, but within --max-drop
        return "ok"
    return v.verdict


def _cells(v: TaskVerdict, strict: bool) -> list[str]:
    r = v.result
    return [
        v.task,
        v.metric,
        fmt(v.metric, r.baseline),
        fmt(v.metric, r.candidate),
        fmt_delta(v.metric, r.delta),
        fmt_delta_interval(v.metric, r.ci_low, r.ci_high),
        f"{r.p_value:.4f}",
        f"{v.p_holm:.4f}",
        f"{r.differing}/{r.n}",
        f"{v.changed_outputs}/{r.n}",
        _verdict(v, strict),
    ]


def summary(report: GateReport) -> str:
    failed = [v.task for v in report.verdicts if v.failed]
    changed = [v.task for v in report.verdicts if v.changed_outputs]
    if failed:
        return f"REGRESSION in {len(failed)} of {len(report.verdicts)} tasks: {', '.join(failed)}"
    if report.strict and changed:
        return f"CHANGED outputs in {len(changed)} of {len(report.verdicts)} tasks: {', '.join(changed)}"
    thin = sum(v.verdict == "not enough evidence" for v in report.verdicts)
    note = f" ({thin} with too few differing documents to tell)" if thin else ""
    return f"PASS: no significant drop larger than {report.max_drop:g} in {len(report.verdicts)} tasks{note}"


def rule(report: GateReport) -> str:
    return (
        f"A task fails when candidate − baseline < −{report.max_drop:g} (stored units) and the paired "
        f"permutation p-value (exact sign-flip / McNemar for per-document scores, approximate "
        f"randomization for corpus metrics), Holm-adjusted over {len(report.verdicts)} tasks, is below "
        f"{report.alpha:g}; with fewer than {min_differing(report.alpha)} differing documents no outcome "
        f"can reach {report.alpha:g}: not enough evidence, never a failure"
        + (
            f" (for a lower-is-better metric: candidate − baseline > {report.max_drop:g})"
            if any(v.lower_is_better for v in report.verdicts)
            else ""
        )
        + (" (--strict: any changed output fails too)." if report.strict else ".")
    )


def to_markdown(report: GateReport) -> str:
    """The report for `$GITHUB_STEP_SUMMARY`; every stored string (model, task) escaped by `md_text`."""
    from harness.output import md_text

    lines = [
        f"### harness gate: {md_text(summary(report))}",
        "",
        f"Baseline **{md_text(report.baseline)}**, candidate **{md_text(report.candidate)}**, "
        f"metric: {md_text(report.metric_note)}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(HEADER))) + "|",
    ]
    for v in report.verdicts:
        cells = _cells(v, report.strict)
        cells[:2] = [md_text(c) for c in cells[:2]]  # task and metric: stored strings
        cells[-1] = f"**{cells[-1]}**" if cells[-1] not in FINE else cells[-1]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", rule(report), ""]
    return "\n".join(lines)


def to_json(report: GateReport) -> dict[str, Any]:
    return {
        "pass": not report.regressed,
        "summary": summary(report),
        "baseline": report.baseline,
        "candidate": report.candidate,
        "max_drop": report.max_drop,
        "alpha": report.alpha,
        "strict": report.strict,
        "tasks": [
            {
                "task": v.task,
                "metric": v.metric,
                **asdict(v.result),
                "p_holm": v.p_holm,
                "failed": v.failed,
                "verdict": v.verdict,
                "enough_evidence": v.result.enough_evidence(report.alpha),
                "changed_outputs": v.changed_outputs,
                "lower_is_better": v.lower_is_better,
            }
            for v in report.verdicts
        ],
    }


def print_text(report: GateReport) -> None:
    from rich.table import Table

    from harness.output import console, plain, plain_text

    table = Table(title=plain_text(f"baseline {report.baseline}  vs  candidate {report.candidate}"))
    for i, column in enumerate(HEADER):
        table.add_column(column, justify="left" if i < 2 else "right", no_wrap=i < 2)
    for v in report.verdicts:
        cells = _cells(v, report.strict)
        style = "bold red" if cells[-1] not in FINE else None
        table.add_row(*map(plain, cells), style=style)
    out = console()
    out.print(table)
    out.print(plain(rule(report)), soft_wrap=True)
    out.print(("[bold red]" if report.regressed else "[bold green]") + plain(summary(report)), soft_wrap=True)
