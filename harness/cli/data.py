"""`harness data fetch|list`: the evaluation data sets."""

from dataclasses import asdict
from typing import Annotated

import typer

from core.errors import HarnessError
from harness.cli.common import fail


def data_fetch(
    name: Annotated[
        str,
        typer.Argument(
            help="Data set name (see `harness data list`), e.g. flores200; flores_plus (FLORES+, a gated "
            "hub dataset: set HF_TOKEN or HARNESS_HF_TOKEN, never stored); or flores200-spm, the "
            "SentencePiece model spBLEU needs (placed where sacrebleu reads it)."
        ),
    ],
    url: Annotated[
        list[str] | None,
        typer.Option(
            help="Mirror instead of the official source, once per download in `harness data list` order "
            "(an archive URL; for a hub dataset the endpoint, default HF_ENDPOINT)."
        ),
    ] = None,
    sha256: Annotated[
        str | None, typer.Option(help="Expected SHA-256 of the first archive (default: the pinned one).")
    ] = None,
    dest: Annotated[
        str | None, typer.Option(help="Data root to unpack into (default: the harness cache).")
    ] = None,
) -> None:
    """Download a data set from its official source, verify its SHA-256 pins and unpack it."""
    from pathlib import Path

    from core import spm
    from harness.engine.data import fetch, fetch_spm

    try:
        if name == spm.DATA_NAME:
            if dest or (url and len(url) > 1):
                raise HarnessError(f"{name}: one --url at most, and no --dest (sacrebleu reads $SACREBLEU)")
            placed = fetch_spm(url[0] if url else None, sha256)
            typer.echo(f"{name}: verified and placed at {placed}")
            return
        target = fetch(name, url=url or None, sha256=sha256, dest_root=Path(dest) if dest else None)
    except HarnessError as exc:
        fail(exc)
        return
    typer.echo(f"{name}: unpacked into {target}")


def data_list(
    data_dir: Annotated[
        str | None, typer.Option(help="Data root to inspect (default HARNESS_DATA_DIR, then the cache).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every data set: present or missing, path, pinned version, licence, size, tasks."""
    from rich.table import Table

    from harness.engine.data import listing
    from harness.output import console, plain, to_json

    rows = listing(data_dir)
    if as_json:
        typer.echo(to_json([asdict(row) for row in rows]))
        return
    table = Table(title="data sets")
    for column in ("name", "status", "path", "version", "pinning", "licence", "size", "needed by"):
        table.add_column(column, overflow="fold")
    for row in rows:
        extra = [
            f"{plain(p)}: {'present' if ok else 'missing'}" for p, ok in row.parts.items() if p != row.name
        ]
        status = "\n".join(["[green]present[/]" if row.status == "present" else "[red]missing[/]", *extra])
        table.add_row(
            plain(row.name),
            status,
            plain(row.path),
            plain(row.version) + (f"\n[dim]{plain(row.note)}[/]" if row.note else ""),
            plain(row.pinning),
            plain(row.licence),
            f"{row.size_bytes / 1e6:.1f} MB" if row.size_bytes else "-",
            plain(", ".join(row.families)) + "\n" + plain(", ".join(row.tasks)),
        )
    console().print(table)
