"""Hostile stored names through every command that prints or writes them: `harness eval` (its
title), `harness results` (table, CSV, JSON), `harness gate` (text, Markdown, JSON) and `harness
report` (Markdown, HTML, SVG). Each exits as it would for any name, prints no traceback, sends no
terminal control character (ESC, BEL, C1) and shows the markup as written."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.analysis.report_model import public
from harness.output import md_text, plain, printable, results_table, rows_table, to_csv, to_json
from tests.conftest import need_shared_data, run_harness
from tests.hostile import (
    CHECKPOINTED,
    EVIL_HOST,
    HTML,
    MARKDOWN,
    NAMES,
    NOTE,
    RICH,
    SIGNATURE,
    TERMINAL,
    TRACKER,
    HostileSeed,
    seed_hostile,
)

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must never reach a terminal from a stored string (tab and newline are the output's own)."""


@pytest.fixture
def seeded(tmp_path: Path) -> HostileSeed:
    return seed_hostile(f"sqlite:///{tmp_path / 'hostile.db'}")


def _clean(result: object, code: int = 0) -> str:
    """The command's stdout, after checking its exit code, that no traceback was printed and that no
    control character reached the terminal on either stream."""
    out, err = result.stdout, result.stderr  # type: ignore[attr-defined]
    assert result.returncode == code, (result.returncode, err[-3000:])  # type: ignore[attr-defined]
    assert "Traceback" not in out + err, err[-3000:]
    assert not CONTROL.search(out), CONTROL.findall(out)
    assert not CONTROL.search(err), CONTROL.findall(err)
    return out


def _one_line(text: str) -> str:
    """Rich may wrap a long title: the text without whitespace (compare with `_squash(name)`)."""
    return _squash(text)


def _squash(text: str) -> str:
    return "".join(text.split())


# The functions every command prints through.


@pytest.mark.parametrize("name", list(NAMES.values()))
def test_plain_shows_the_name_and_never_a_control_character(name: str) -> None:
    from rich.console import Console
    from rich.markup import render

    assert render(plain(name)).plain == printable(name)  # markup shown, never applied
    assert not CONTROL.search(printable(name))
    console = Console(record=True, width=400, color_system=None)
    console.print(plain(name))
    assert console.export_text().strip() == printable(name)


def test_printable_writes_controls_out() -> None:
    assert printable(TERMINAL) == "esc\\x1b]0;PWNED\\x07\\x1b[2J\\x9bname".replace(
        "\\x9bname", "\\x9b31mname"
    )
    assert printable("a\tb\nc") == "a\\x09b\\x0ac"
    assert printable("a\tb\nc", multiline=True) == "a\tb\nc"
    assert printable("\u202eevil") == "\\u202eevil"  # a right-to-left override reorders a terminal line
    assert printable("\udc9b") == "\\udc9b"  # an undecodable byte (surrogate escape) cannot be written


def test_tables_take_stored_strings_as_text() -> None:
    from rich.console import Console

    from core.records import MetricResult

    results = [MetricResult("xnli_sw", "acc", 0.5, 0.1, 20, SIGNATURE, NOTE)]
    for title in (RICH, TERMINAL, MARKDOWN):
        console = Console(record=True, width=400, color_system=None)
        table, notes = results_table(results, title=f"{title} · run 1234")
        console.print(table)
        for line in notes:
            console.print(line, soft_wrap=True)
        text = console.export_text()
        assert " ".join(printable(title).split()) in " ".join(text.split())  # a long title wraps
        assert printable(NOTE) in text and not CONTROL.search(text)
    rows = [{"model": name, "task": "xnli_sw", "note": NOTE} for name in NAMES.values()]
    console = Console(record=True, width=400, color_system=None)
    console.print(rows_table(rows, ["model", "task", "note"], RICH))
    text = console.export_text()
    assert all(printable(name) in text for name in NAMES.values()) and RICH in text
    assert not CONTROL.search(to_csv(rows, ["model", "note"]))
    assert not CONTROL.search(to_json(rows))
    assert json.loads(to_json(rows)) == rows  # JSON keeps the exact strings, escaped


def test_md_text_is_the_apps_md_escape() -> None:
    """One rule for Markdown in the reports and in the app (`core.text.md_text`)."""
    from app.common import md_escape

    cases = [*NAMES.values(), "- item", "12. item", "> quote", "flores_eng_Latn-lin_Latn", "_u_ a_b", ""]
    for case in cases:
        assert md_text(case) == md_escape(case), case
    assert md_text("flores_eng_Latn-lin_Latn") == "flores_eng_Latn-lin_Latn"  # nothing to escape
    assert "](" not in md_text(MARKDOWN).replace("\\]", "")
    assert "<" not in md_text(HTML).replace("\\<", "")


def _markdown_is_inert(text: str) -> None:
    """No live link, image, autolink or HTML from a hostile name in Markdown text."""
    unescaped = re.sub(r"\\.", "", text)
    unescaped = re.sub(r"!\[\w+\+* by language\]\(report-\w+\.svg\)", "", unescaped)  # the report's charts
    assert "](" not in unescaped and "<a " not in unescaped and "<img" not in unescaped
    assert f"https://{EVIL_HOST}" not in text and f"www.{EVIL_HOST}" not in text  # GFM autolinks
    assert f"http://{TRACKER}" not in text


# The commands.


def test_results_table_csv_and_json(seeded: HostileSeed) -> None:
    table = _one_line(_clean(run_harness("results", "--db", seeded.url)))
    for name in NAMES.values():
        assert _squash(printable(name)) in table, name
    csv_text = _clean(run_harness("results", "--db", seeded.url, "--format", "csv"))
    assert RICH in csv_text and MARKDOWN in csv_text and printable(TERMINAL) in csv_text
    payload = json.loads(_clean(run_harness("results", "--db", seeded.url, "--format", "json")))
    assert {r["model"] for r in payload["results"]} == set(NAMES.values())  # exact, once decoded
    assert {r["signature"] for r in payload["results"]} == {SIGNATURE}


def test_gate_text_markdown_and_json(seeded: HostileSeed) -> None:
    """Both sides named by model (`MODEL`, `MODEL@STEP`): the report heads with the names."""
    args = ["gate", "--db", seeded.url, "--baseline", RICH, "--candidate", f"{CHECKPOINTED}@100"]
    text = _one_line(_clean(run_harness(*args)))
    assert _squash(RICH) in text and _squash(MARKDOWN) in text
    markdown = _clean(run_harness(*args, "--format", "markdown"))
    assert md_text(RICH) in markdown and md_text(MARKDOWN) in markdown
    _markdown_is_inert(markdown)
    terminal = ["gate", "--db", seeded.url, "--baseline", TERMINAL, "--candidate", HTML]
    text = _one_line(_clean(run_harness(*terminal)))
    assert _squash(printable(TERMINAL)) in text and _squash(HTML) in text
    markdown = _clean(run_harness(*terminal, "--format", "markdown"))
    assert md_text(TERMINAL) in markdown and md_text(HTML) in markdown
    _markdown_is_inert(markdown)
    verdict = json.loads(_clean(run_harness(*terminal, "--format", "json")))
    assert verdict["baseline"].startswith(TERMINAL) and verdict["candidate"].startswith(HTML)


@pytest.mark.parametrize("kind", ["markdown", "html", "terminal", "rich", "markdown@100"])
def test_report_markdown_and_html(seeded: HostileSeed, tmp_path: Path, kind: str) -> None:
    run, baseline = seeded.runs[kind], seeded.runs["html" if kind != "html" else "bare"]
    md = tmp_path / "report.md"
    _clean(run_harness("report", run, "--baseline", baseline, "--db", seeded.url, "--out", str(md)))
    text = md.read_text(encoding="utf-8")
    assert not CONTROL.search(text)
    _markdown_is_inert(text)
    name = public(NAMES[kind.split("@")[0]])  # as every string in a report: no local path
    assert md_text(name) in text
    charts = sorted(tmp_path.glob("report-*.svg"))
    assert charts
    for chart in charts:
        ET.fromstring(chart.read_text(encoding="utf-8"))  # well-formed XML
    page = tmp_path / "report.html"
    _clean(
        run_harness(
            "report", run, "--baseline", baseline, "--db", seeded.url, "--format", "html", "--out", str(page)
        )
    )
    html = page.read_text(encoding="utf-8")
    assert not CONTROL.search(html)
    assert (
        "<script" not in html
        and f'href="https://{EVIL_HOST}' not in html
        and f'src="http://{TRACKER}' not in html
    )
    assert not re.search(r"<img\b", html)


@pytest.mark.parametrize("name", [RICH, TERMINAL])
def test_eval_prints_its_title_with_a_hostile_model_name(tiny_model: Path, tmp_path: Path, name: str) -> None:
    """The run is stored and its table printed (exit 0); then `harness results` still works."""
    data = need_shared_data()
    db = f"sqlite:///{tmp_path / 'eval.db'}"
    result = run_harness(
        "eval", "--model", str(tiny_model), "--model-name", name, "--tasks", "sib200_lin", "--limit", "2",
        "--data-dir", str(data), "--db", db, "--device", "cpu", "--no-cache",
    )  # fmt: skip
    out = _one_line(_clean(result))
    assert _squash(f"{printable(name)} · run ") in out
    assert _squash(printable(name)) in _one_line(_clean(run_harness("results", "--db", db)))
