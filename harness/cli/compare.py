"""`harness compare`: what a training step did to each language (a report, not a gate: exit 0)."""

from enum import StrEnum
from typing import Annotated

import typer

from core.errors import HarnessError
from core.languages import language_info
from core.scale import BLANK, fmt, fmt_delta, fmt_delta_interval
from harness.analysis.adaptation import Comparison, TaskChange, summary_lines
from harness.cli.common import Alpha, Db, Seed, Trials, fail, split_list

HEADER = ("language", "task", "metric", "base", "candidate", "change", "95% CI", "p (Holm)", "verdict")


class CompareFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def _language(change: TaskChange) -> str:
    if change.language is None:
        return BLANK
    name = language_info(change.language).name
    return f"{change.language} ({name})" + (" [target]" if change.target else "")


def _cells(c: TaskChange) -> list[str]:
    mark = " *" if c.significant else ""
    return [
        _language(c),
        c.task,
        c.metric + ("" if c.higher_is_better else " (lower is better)"),
        fmt(c.metric, c.base),
        fmt(c.metric, c.candidate),
        fmt_delta(c.metric, c.delta) + mark,
        fmt_delta_interval(c.metric, c.low, c.high),
        f"{c.p_holm:.3g}",
        c.verdict,
    ]


def rule(comparison: Comparison) -> str:
    return (
        f"Paired on the documents both sides scored; p-values Holm-adjusted over {len(comparison.changes)} "
        f"task(s); * marks a change significant at {comparison.alpha:g} after correction. Intervals: 95% "
        "paired bootstrap of the change. A report, not a gate: `harness gate` gates."
    )


def _targets_line(comparison: Comparison) -> str:
    chosen = ", ".join(comparison.targets) or "none"
    return f"Targets: {chosen} (from {comparison.targets_from})"


def to_markdown(comparison: Comparison) -> str:
    """Markdown; every stored string (labels, tasks, languages) escaped by `md_text`."""
    from harness.output import md_text

    lines = [
        f"### harness compare: {md_text(comparison.candidate)} against {md_text(comparison.base)}",
        "",
        md_text(_targets_line(comparison)),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" if i < 3 else "---:" for i in range(len(HEADER))) + "|",
    ]
    for change in comparison.changes:
        cells = [md_text(cell) for cell in _cells(change)]
        cells[-1] = f"**{cells[-1]}**" if change.significant else cells[-1]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *(f"- {md_text(line)}" for line in summary_lines(comparison)), "", rule(comparison), ""]
    return "\n".join(lines)


def print_text(comparison: Comparison) -> None:
    from harness.output import console, plain, plain_table

    out = console()
    title = f"{comparison.candidate} against {comparison.base} — {_targets_line(comparison)}"
    out.print(plain_table(title, HEADER, [_cells(c) for c in comparison.changes]))
    for line in summary_lines(comparison):
        out.print(plain(line), soft_wrap=True)
    out.print(plain(rule(comparison)), soft_wrap=True)


def compare_command(
    base: Annotated[
        str,
        typer.Argument(
            help="Run id (or unique prefix), model@step, or model (its last evaluated checkpoint). Alone: "
            "the candidate, compared against the base of its lineage."
        ),
    ],
    candidate: Annotated[
        str | None, typer.Argument(help="Run id (or unique prefix), model@step, or model.")
    ] = None,
    targets: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated target languages: FLORES-200 codes (lin_Latn) or ISO 639-3 codes (lin: "
            "every script). Default: the recipe's target_languages in the candidate's manifest."
        ),
    ] = None,
    tasks: Annotated[
        str | None, typer.Option(help="Comma-separated tasks to compare (default: every task in common).")
    ] = None,
    alpha: Alpha = 0.05,
    trials: Trials = 10000,
    seed: Seed = 0,
    output_format: Annotated[
        CompareFormat, typer.Option("--format", help="text, markdown or json.")
    ] = CompareFormat.text,
    db: Db = None,
) -> None:
    """Per language, the change of each task's primary metric from BASE to CANDIDATE with its 95% interval
    and Holm-corrected significance; targets against the rest: mean gain, forgetting, gains. Exits 0 (a
    report); 2 on a bad reference or flag."""
    from db.session import make_engine
    from harness.analysis.adaptation import compare

    try:
        comparison = compare(
            make_engine(db, read_only=True),
            base,
            candidate,
            targets=split_list(targets),
            tasks=split_list(tasks),
            alpha=alpha,
            trials=trials,
            seed=seed,
        )
        if not comparison.changes:
            why = "; ".join(comparison.skipped) or "the two sides hold no task in common"
            raise HarnessError(
                f"nothing to compare between {comparison.base} and {comparison.candidate}: {why}"
            )
    except HarnessError as exc:
        fail(exc)
    if output_format is CompareFormat.json:
        from harness.output import to_json

        typer.echo(to_json(comparison.to_json()))
    elif output_format is CompareFormat.markdown:
        typer.echo(to_markdown(comparison))
    else:
        print_text(comparison)
