"""`harness tasks list|show`: the task registry."""

from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import fail, quiet_engine_logs


def tasks_list(
    family: Annotated[str | None, typer.Option(help="Only this family (flores, xnli, afrixnli).")] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="List the members of this group, e.g. flores_lin, or a pivot group flores_<iso>@<pivot-iso> "
            "(flores_lin@fra, flores_kor@zho: both directions of the language with that pivot, every "
            "script pair), which `list` does not enumerate."
        ),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="Data folder, for families whose tasks come from the data.")
    ] = None,
) -> None:
    """List task families, their groups and task counts (or one group's tasks). FLORES pivot groups
    `flores_<iso>@<pivot-iso>` (and `flores+_<iso>@<pivot-iso>`) resolve by name with --group or in
    --tasks; the 41,412 possible directions are not listed."""
    from harness.engine import data
    from tasks.registry import FAMILIES, did_you_mean, family_of_name
    from tasks.registry import family as get_family

    if family and family not in FAMILIES:
        fail(HarnessError(f"--family: unknown family {family!r}; known: {', '.join(FAMILIES)}"))
    known: list[str] = []
    unread: dict[str, HarnessError] = {}  # families whose tasks come from data that cannot be read
    for name in [family] if family else list(FAMILIES):
        fam = get_family(name)
        try:
            groups = fam.groups(data.resolve(fam.data_set, data_dir) if fam.discovered else None)
        except HarnessError as exc:
            unread[name] = exc
            if not group:
                typer.echo(f"{name}\t(tasks come from the data: {exc})")
            continue
        if group:
            if group in groups:
                for task in groups[group]:
                    typer.echo(task)
                return
            known.extend(groups)
            continue
        for group_name, members in groups.items():
            typer.echo(f"{group_name}\t{len(members)} tasks")
        for pattern, holds in getattr(groups, "patterns", {}).items():
            typer.echo(f"{pattern}\t{holds}")
    if group:
        owner = family_of_name(group)
        if owner is not None and owner.name in unread:
            fail(
                HarnessError(
                    f"--group {group}: {owner.name}'s groups come from its data, which cannot be read: "
                    f"{unread[owner.name]}"
                )
            )
        fail(
            HarnessError(
                f"--group: unknown group {group!r}" + did_you_mean(group, known, "see `harness tasks list`")
            )
        )


def tasks_show(
    name: Annotated[str, typer.Argument(help="A task name, e.g. flores_eng_Latn-lin_Latn or xnli_en.")],
    data_dir: Annotated[
        str | None, typer.Option(help="Folder with the data sets (default HARNESS_DATA_DIR).")
    ] = None,
    split: Annotated[str | None, typer.Option(help="Evaluation split where the family offers one.")] = None,
    num_fewshot: Annotated[
        int | None, typer.Option(help="Few-shot examples in the rendered prompt.", min=0)
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show a task: version, content hash, data files with checksums, metrics, and its prompt
    rendered on the first scored document."""
    from harness.engine.data import resolve
    from harness.engine.task_show import describe
    from harness.output import console, plain, printable, to_json
    from tasks.base import TaskOptions

    quiet_engine_logs(verbose=False)
    try:
        info = describe(
            name, lambda data_set: resolve(data_set, data_dir), TaskOptions(split=split), num_fewshot
        )
    except HarnessError as exc:
        fail(exc)
        return
    if json_output:
        typer.echo(to_json(info))
        return
    out = console()
    for key in (
        "task",
        "family",
        "language",
        "primary_metric",
        "protocol",
        "version",
        "task_hash",
        "output_type",
        "metrics",
        "num_fewshot",
        "documents",
    ):
        out.print(f"[bold]{key}[/]: {plain(info[key])}", soft_wrap=True)
    out.print(f"[bold]data[/]: {plain(info['data_root'])}", soft_wrap=True)
    for path, digest in info["data_files"].items():
        out.print(f"  {plain(path)}  sha256 {digest}", soft_wrap=True)
    out.rule("prompt (first document)")
    out.print(printable(info["prompt"], multiline=True), markup=False, soft_wrap=True)
    if "choices" in info:
        out.rule("choices")
        for index, choice in enumerate(info["choices"]):
            out.print(f"{index}: {printable(choice, multiline=True)}", markup=False, soft_wrap=True)
    out.rule("target")
    out.print(printable(info["target"], multiline=True), markup=False, soft_wrap=True)
