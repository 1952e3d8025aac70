"""`harness report` end to end: two real `harness eval` runs of a tiny model on FLORES (0-shot as the
baseline, 1-shot as the candidate), then the report of the candidate against the baseline in both
formats, checked against the database and `harness gate`; and a seeded database with the cases a
model card must get right (2-document tasks, a lone model, local paths, accuracies, missing values)."""

import json
import os
import re
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.lineage import Lineage
from core.records import MetricResult, SampleRecord, TaskOutcome
from core.scale import fmt, fmt_delta
from tests.conftest import ROOT, need_shared_data, run_harness

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
    _assert_fit_for_a_card(text, tmp_path)
    assert text.splitlines()[2].startswith("> ⚠ **Directional only: 2 of 2 tasks have fewer than 100")
    # Per-task table: every stored metric, its value on its display scale and n as stored.
    for (task, metric), (value, _stderr, n) in stored.items():
        prefix = f"| {task} | lin_Latn | {metric}"
        line = next((row for row in text.splitlines() if row.startswith(prefix)), None)
        assert line is not None, (task, metric)
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[3] == fmt(metric, value)
        assert cells[4] == "—"  # 3 documents: no interval
        assert cells[5] == str(n)
    # The chart is a sibling SVG file, linked by its relative name and valid standalone SVG.
    svg = md.with_name("report-chrf.svg")
    assert f"![chrf++ by language]({svg.name})" in text
    _assert_fit_for_a_card(svg.read_text(encoding="utf-8"), tmp_path)
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    bars = {
        g.get("data-task"): float(g.get("data-value") or "nan")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("data-task")
    }
    assert bars == {task: stored[(task, "chrf++")][0] for task in TASKS}
    # The leaderboard row: the FLORES family's chrF++ is the mean of the two directions; one model
    # on these tasks, so no rank.
    mean = sum(stored[(task, "chrf++")][0] or 0.0 for task in TASKS) / 2
    assert f"| — | all 2 tasks (1 model) | {mean:.1f} " in text
    # The comparison is `harness gate`'s, on the same runs, on the display scale, with its verdict.
    gate = run_harness("gate", "--baseline", baseline, "--candidate", candidate, "--format", "json")
    verdicts = json.loads(gate.stdout)["tasks"]
    assert len(verdicts) == 2
    for v in verdicts:
        row = (
            f"| {v['task']} | chrf++ | {fmt('chrf++', v['baseline'])} | {fmt('chrf++', v['candidate'])} "
            f"| {fmt_delta('chrf++', v['delta'])} |"
        )
        assert row in text
        assert "not enough evidence (" in text.split(row, 1)[1].splitlines()[0]  # 3 documents
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
    _assert_fit_for_a_card(page, tmp_path)
    assert "Directional only: 2 of 2 tasks" in page
    for v in verdicts:
        assert fmt_delta("chrf++", v["delta"]) in page

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


def _assert_fit_for_a_card(text: str, tmp_path: Path) -> None:
    """No folder of this machine, no Python None/nan, no unsupported REGRESSION, no 0-1 axis past 1."""
    roots = {
        str(tmp_path),
        str(Path.home()),
        tempfile.gettempdir(),
        str(ROOT),
        os.environ["HARNESS_CACHE"],
        os.environ["SACREBLEU"],
    }
    for root in roots:
        assert root not in text, root
    assert not re.search(r"(?<![\w:/.])/(root|home|tmp|work|Users|var)/", text)
    assert not re.search(r"\b(None|nan|NaN)\b", text)
    assert "REGRESSION" not in text


# Seeded: one model evaluated twice with `--limit`-sized tasks next to full-sized ones.
SMALL, LARGE = 2, 150


def _samples(task: str, correct: list[int]) -> list[SampleRecord]:
    return [
        SampleRecord(i, f"{task}-{i}", f"premise {i}", "0", "0" if ok else "1", {"acc": float(ok)})
        for i, ok in enumerate(correct)
    ]


def _acc(task: str, correct: list[int]) -> TaskOutcome:
    n = len(correct)
    acc = sum(correct) / n
    stderr = (acc * (1 - acc) / (n - 1)) ** 0.5
    return TaskOutcome(
        task, "v1", "b" * 64, [MetricResult(task, "acc", acc, stderr, n, "acc|mean")], _samples(task, correct)
    )


def _flores(task: str, outputs: list[str], spm_note: str) -> TaskOutcome:
    refs = ["Mwana azali kolela na ndako.", "Tokei na zando lobi."]
    samples = [
        SampleRecord(i, f"{task}-{i}", f"English: s{i}\nLingala:", r, o, {})
        for i, (r, o) in enumerate(zip(refs, outputs, strict=True))
    ]
    metrics = [
        MetricResult(
            task, "chrf++", 31.25, 0.0, SMALL, "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0"
        ),
        MetricResult(task, "spbleu", None, None, SMALL, "nrefs:1|tok:flores200", spm_note),
    ]
    return TaskOutcome(task, "flores-prompt-v1", "a" * 64, metrics, samples)


def _seed(url: str, tmp_path: Path, models: tuple[str, ...] = ("card-model",)) -> tuple[str, str]:
    """Baseline and candidate runs of `card-model` (and one run of each other model) on four tasks:
    xnli_sw with 2 documents, both right then both wrong (what the old report called a REGRESSION);
    xnli_en with 150, 30 of them turned wrong (a real regression); afrixnli_lin with 150, 149 right in
    both (an interval that crosses 100); a 2-document FLORES direction whose spBLEU note names the
    machine's SentencePiece path."""
    from db import store
    from db.session import make_engine, make_session_factory
    from tasks.registry import family_of_name

    factory = make_session_factory(make_engine(url))
    spm = Path(os.environ["SACREBLEU"]) / "models" / "flores200sacrebleuspm"
    note = f"not computed: flores200 SentencePiece model absent; place it at {spm} (sha256 14bb8dfb)"
    fingerprint = {
        "versions": {"harness": "0.1.0", "lm_eval": "0.4.13"},
        "limit": SMALL,
        "num_fewshot": None,
        "split": None,
        "data": str(tmp_path / "data"),
        "lid": {"model": str(Path.home() / ".cache" / "harness" / "lid" / "model.bin"), "sha256": "1a43"},
    }
    sides = {
        "baseline": {
            "xnli_sw": _acc("xnli_sw", [1, 1]),
            "xnli_en": _acc("xnli_en", [1] * LARGE),
            "afrixnli_lin": _acc("afrixnli_lin", [1] * (LARGE - 1) + [0]),
            "flores_eng_Latn-lin_Latn": _flores("flores_eng_Latn-lin_Latn", ["Mwana azali", "Tokei"], note),
        },
        "candidate": {
            "xnli_sw": _acc("xnli_sw", [0, 0]),
            "xnli_en": _acc("xnli_en", [1] * (LARGE - 30) + [0] * 30),
            "afrixnli_lin": _acc("afrixnli_lin", [1] * (LARGE - 1) + [0]),
            "flores_eng_Latn-lin_Latn": _flores("flores_eng_Latn-lin_Latn", ["Mwana", "Tokei na"], note),
        },
    }
    runs = {}
    for model in models:
        for side, outcomes in sides.items():
            if model != "card-model" and side == "baseline":
                continue
            source = str(tmp_path / "models" / model / "checkpoint-5")
            run_id = store.start_run(factory, Lineage(model, step=5), source, "local", fingerprint)
            for task, outcome in outcomes.items():
                fam = family_of_name(task)
                assert fam is not None
                store.store_task(factory, run_id, outcome, fam.meta(task))
            store.finish_run(factory, run_id, "complete")
            runs[f"{model}:{side}"] = run_id
    return runs["card-model:baseline"], runs["card-model:candidate"]


def _rows(text: str, section: str, task: str) -> list[list[str]]:
    """The cells of `task`'s table rows in the Markdown section `## {section}`."""
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in body.splitlines()
        if line.startswith(f"| {task} |")
    ]


def test_report_fit_for_a_model_card(tmp_path: Path) -> None:
    from harness.analysis.report import build_report, write_report

    url = f"sqlite:///{tmp_path / 'card.db'}"
    baseline, candidate = _seed(url, tmp_path)
    report = build_report(candidate, baseline, None, url)
    out = tmp_path / "card" / "report.md"
    written = write_report(report, "md", out)
    text = out.read_text(encoding="utf-8")
    page_path = tmp_path / "card" / "report.html"
    write_report(report, "html", page_path)
    page = page_path.read_text(encoding="utf-8")
    charts = {p.name: p.read_text(encoding="utf-8") for p in written if p.suffix == ".svg"}
    assert set(charts) == {"report-acc.svg", "report-chrf.svg"}
    for document in (text, page, *charts.values()):
        _assert_fit_for_a_card(document, tmp_path)

    # The banner, first thing under the title, in both formats.
    banner = (
        "Directional only: 2 of 4 tasks have fewer than 100 documents (smallest n = 2; "
        "the run used --limit 2)"
    )
    assert text.splitlines()[2].startswith(f"> ⚠ **{banner}")
    assert page.index(banner) < page.index("<h2>")

    # Accuracies on 0-100, one decimal; an interval clipped at 100; none from 2 documents; the spBLEU
    # note keeps the model's name but not the machine's folder.
    (sw,) = _rows(text, "Results", "xnli_sw")
    assert sw[2:6] == ["acc*", "0.0", "—", "2"]
    (en,) = _rows(text, "Results", "xnli_en")
    se = (0.8 * 0.2 / 149) ** 0.5
    assert en[3:6] == ["80.0", f"[{100 * (0.8 - 1.96 * se):.1f}, {100 * (0.8 + 1.96 * se):.1f}]", "150"]
    (lin,) = _rows(text, "Results", "afrixnli_lin")
    assert lin[3] == f"{100 * 149 / 150:.1f}" and lin[4].endswith(", 100.0]")
    flores = {row[2]: row for row in _rows(text, "Results", "flores_eng_Latn-lin_Latn")}
    assert flores["chrf++*"][3:5] == ["31.2", "—"] and flores["spbleu"][3:5] == ["—", "—"]
    assert "place it at …/flores200sacrebleuspm (sha256 14bb8dfb)" in text
    assert "| checkpoint | …/checkpoint-5 |" in text and "| lid.model | …/model.bin |" in text
    assert "| num_fewshot | — |" in text and "| split | — |" in text

    # Significance only where the test supports it: 2 documents cannot show anything; 30 of 150
    # documents all turned wrong can.
    (sw_gate,) = _rows(text, "Against the baseline", "xnli_sw")
    assert sw_gate[2:7] == ["100.0", "0.0", "-100.0", "—", "2/2"]
    assert sw_gate[-1].startswith("not enough evidence (2 of 2 documents differ")
    (en_gate,) = _rows(text, "Against the baseline", "xnli_en")
    assert en_gate[2:5] == ["100.0", "80.0", "-20.0"] and en_gate[-1].startswith("significant regression")
    (lin_gate,) = _rows(text, "Against the baseline", "afrixnli_lin")
    assert lin_gate[-1] == "not enough evidence (no document differs)"
    assert "significant" not in sw_gate[-1] + lin_gate[-1]

    # The accuracy chart's axis runs 0-100 and no further.
    acc = ET.fromstring(charts["report-acc.svg"])
    ticks = [t.text for t in acc.iter("{http://www.w3.org/2000/svg}text") if t.get("text-anchor") == "middle"]
    assert ticks == ["0", "20", "40", "60", "80", "100"]
    values = [
        float(g.get("data-value") or "nan")
        for g in acc.iter("{http://www.w3.org/2000/svg}g")
        if g.get("data-task")
    ]
    assert sorted(values) == pytest.approx([0.0, 80.0, 100 * 149 / 150])

    # One model on these tasks: no rank (and never "1 of 1").
    board = text.split("## Leaderboard row", 1)[1]
    assert "| — | all 4 tasks (1 model) |" in board and "Not ranked" in board
    assert not re.search(r"\b1 of 1\b", text + page)


def test_report_ranks_among_two_models(tmp_path: Path) -> None:
    from harness.analysis.report import build_report
    from harness.analysis.report_render import rank_text, to_markdown

    url = f"sqlite:///{tmp_path / 'two.db'}"
    _, candidate = _seed(url, tmp_path, models=("card-model", "other-model"))
    report = build_report(candidate, None, None, url)
    assert re.fullmatch(r"1(–2)? of 2", rank_text(report)), rank_text(report)
    text, _ = to_markdown(report, "report")
    assert f"| {rank_text(report)} | all 4 tasks (2 models) |" in text
    assert "## Against the baseline" not in text
