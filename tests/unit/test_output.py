"""Results tables: a rich table for a few rows, aligned plain text with the same cells for many."""

import io

from rich.console import Console
from rich.table import Table

from core.records import MetricResult
from harness.output import LARGE_TABLE, results_table


def _render(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=200)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_large_results_are_plain_aligned_text_with_the_same_cells() -> None:
    count = LARGE_TABLE + 1
    rows = [MetricResult(f"task{i}", "chrf++", 10.0 + i, 0.5, 7, f"sig{i % 2}") for i in range(count)]
    small, small_notes = results_table(rows[:3], "run")
    assert isinstance(small, Table) and small_notes == ["[1] sig0", "[2] sig1"]
    large, notes = results_table(rows, "run")
    assert not isinstance(large, Table) and notes == small_notes
    lines = _render(large).splitlines()
    assert lines[0] == "run"
    assert lines[1].split() == ["task", "metric", "value", "±", "stderr", "n", "ref"]
    assert lines[3] == "task0    chrf++   10.00      0.50  7  [1]"
    assert lines[-1] == "task200  chrf++  210.00      0.50  7  [1]"
    assert len({len(line) for line in lines[3:]}) == 1  # right-aligned columns end together


def test_huge_values_are_written_in_scientific_notation() -> None:
    """A word perplexity of a model near random (1e40) stays one short cell, in tables and in the
    scale-aware formatting of the app and reports."""
    from core.scale import fmt, fmt_delta
    from harness.output import _fmt

    assert _fmt(8.9652e45) == "8.97e+45" and _fmt(2990609.95) == "2.99e+06" and _fmt(321.84) == "321.84"
    assert fmt("word_perplexity", 2990609.95) == "2.99e+06" and fmt("bits_per_byte", 3.5712) == "3.571"
    assert fmt_delta("word_perplexity", -3e7) == "-3e+07" and fmt_delta("chrf++", 1.26) == "+1.3"
