"""`harness report` end to end: two real `harness eval` runs of a tiny model on FLORES (0-shot as the
baseline, 1-shot as the candidate), then the report of the candidate against the baseline in both
formats, checked against the database and `harness gate`."""

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import need_shared_data, run_harness

TASKS = ("flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn")


def _eval(model: Path, *extra: str) -> str:
    result = run_harness(
        "eval",
        "--model",
        str(model),
        "--tasks",
        "flores_lin",
        "--limit",
        "3",
        "--data-dir",
        str(need_shared_data()),
        "--batch-size",
        "3",
        "--json",
        *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return str(json.loads(result.stdout)["run_id"])


def _stored(run_id: str) -> dict[tuple[str, str], tuple[float | None, float | None, int]]:
    import os

    path = os.environ["HARNESS_DB"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "select task, metric, value, stderr, n from task_results where run_id = ?", (run_id,)
        ).fetchall()
    return {(task, metric): (value, stderr, n) for task, metric, value, stderr, n in rows}


class _Resources(HTMLParser):
    """Every attribute that could fetch something (src, href, xlink:href, srcset, url(...) in style)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "data", "poster") and value:
                self.links.append(value)


def test_report_markdown_html_and_errors(tiny_model: Path, tmp_path: Path) -> None:
    baseline, candidate = _eval(tiny_model), _eval(tiny_model, "--num-fewshot", "1")
    stored = _stored(candidate)
    assert {task for task, _ in stored} == set(TASKS)

    md = tmp_path / "out" / "report.md"
    result = run_harness("report", candidate, "--baseline", baseline, "--format", "md", "--out", str(md))
    assert result.returncode == 0, result.stderr[-3000:]
    text = md.read_text(encoding="utf-8")
    # Per-task table: every stored metric, its value and n as the database holds them.
    for (task, metric), (value, stderr, n) in stored.items():
        prefix = f"| {task} | lin_Latn | {metric}"
        line = next((row for row in text.splitlines() if row.startswith(prefix)), None)
        assert line is not None, (task, metric)
        cells = [c.strip() for c in line.strip("|").split("|")]
        if value is None:
            assert cells[3] == "—"
        else:
            decimals = len(cells[3].split(".")[1])
            assert float(cells[3]) == pytest.approx(value, abs=0.5 * 10**-decimals)
            assert stderr is not None
            low, high = (float(x) for x in cells[4].strip("[]").split(","))
            assert low == pytest.approx(max(0.0, value - 1.96 * stderr), abs=0.01 + 0.001 * abs(value))
            assert high == pytest.approx(value + 1.96 * stderr, abs=0.01 + 0.001 * abs(value))
        assert cells[5] == str(n)
    # The chart is a sibling SVG file, linked by its relative name and valid standalone SVG.
    svg = md.with_name("report-chrf.svg")
    assert f"![chrf++ by language]({svg.name})" in text
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    bars = {
        g.get("data-task"): float(g.get("data-value") or "nan")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("data-task")
    }
    assert bars == {task: stored[(task, "chrf++")][0] for task in TASKS}
    # The leaderboard row: the FLORES family's chrF++ is the mean of the two directions.
    mean = sum(stored[(task, "chrf++")][0] or 0.0 for task in TASKS) / 2
    assert f"| 1 | all 2 tasks (1 model) | {mean:.2f} ± " in text
    # The comparison is `harness gate`'s, on the same runs.
    gate = run_harness("gate", "--baseline", baseline, "--candidate", candidate, "--format", "json")
    verdicts = json.loads(gate.stdout)["tasks"]
    assert len(verdicts) == 2
    for v in verdicts:
        assert (
            f"| {v['task']} | chrf++ | {v['baseline']:.4g} | {v['candidate']:.4g} | {v['delta']:+.4g} |"
            in text
        )
    assert "0.4.13" in text and "num_fewshot | 1" in text  # the fingerprint

    html = tmp_path / "report.html"
    result = run_harness("report", candidate, "--baseline", baseline, "--format", "html", "--out", str(html))
    assert result.returncode == 0, result.stderr[-3000:]
    page = html.read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(page)
    # Self-contained: nothing to fetch, no script, the chart inline.
    assert parser.links == []
    assert not {"script", "link", "img", "iframe", "object"} & parser.tags
    assert "svg" in parser.tags and "@import" not in page and not re.search(r"url\s*\(", page)
    values = dict(re.findall(r'data-task="([^"]+)" data-metric="chrf\+\+" data-value="([^"]+)"', page))
    assert {task: float(v) for task, v in values.items()} == {t: stored[(t, "chrf++")][0] for t in TASKS}
    assert page.count('<g data-task="') == 2
    for v in verdicts:
        assert f"{v['delta']:+.4g}" in page

    # --tasks narrows everything to one task.
    one = tmp_path / "one.html"
    only = run_harness("report", candidate, "--tasks", TASKS[0], "--format", "html", "--out", str(one))
    assert only.returncode == 0, only.stderr[-2000:]
    assert TASKS[1] not in one.read_text(encoding="utf-8")

    # Errors name what is unknown, exit 2, and write nothing.
    run_id = candidate
    out = str(tmp_path / "r.md")
    for ref, expected in [
        ("no-such-model", "no-such-model"),
        ("tiny-llama@999", "step 999"),
        ("tiny-llama@abc", "whole number"),
        ("0123456789ab", "0123456789ab"),
    ]:
        result = run_harness("report", ref, "--out", out)
        assert result.returncode == 2 and expected in result.stderr, (ref, result.stderr)
    bad_task = run_harness("report", run_id, "--tasks", "xnli_en", "--out", out)
    assert bad_task.returncode == 2 and "xnli_en" in bad_task.stderr
    bad_baseline = run_harness("report", run_id, "--baseline", "nobody@1", "--out", out)
    assert bad_baseline.returncode == 2 and "nobody@1" in bad_baseline.stderr
    assert not Path(out).exists()
