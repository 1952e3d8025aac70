"""The COMET family in the app: xCOMET's error spans of a chosen sample on the Run page, and the
language-coverage flag of a neural metric's score on the leaderboard. The run is written through
`db.store` as `harness rescore --metric xcomet` leaves it; its note comes from `core.coverage`."""

import os

from core.coverage import XLMR, coverage_note
from core.lineage import Lineage
from core.records import MetricResult, SampleRecord, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from tasks.registry import family_of_name
from tests.app.test_pages import page, shown_text

TASK = "flores_eng_Latn-lin_Latn"
SPANS = [
    {"text": "mwana <b>", "start": 0, "end": 9, "severity": "major", "confidence": 0.625},
    {"text": "ya", "start": 10, "end": 12, "severity": "minor", "confidence": 0.5},
]


def _seed() -> str:
    factory = make_session_factory(make_engine(os.environ["HARNESS_DB"]))
    run_id = store.start_run(factory, Lineage("kiwi-model"), "org/kiwi-model", "hub", {"data": "default"})
    note = "xCOMET; " + coverage_note(XLMR, [("source", "eng_Latn"), ("target", "lin_Latn")])
    samples = [
        SampleRecord(
            i,
            f"h{i}",
            "p",
            f"reference {i}",
            f"mwana <b> ya {i}",
            {
                "chrf++": 10.0 + i,
                "source": f"source {i}",
                "xcomet": 0.25 * i,
                "xcomet_error_spans": SPANS[:i],
            },
        )
        for i in range(3)
    ]
    metrics = [
        MetricResult(TASK, "chrf++", 11.0, 1.0, 3, "chrF2++"),
        MetricResult(TASK, "xcomet", 0.25, 0.1, 3, "model:tiny-xcomet", note),
    ]
    fam = family_of_name(TASK)
    assert fam is not None
    store.store_task(factory, run_id, TaskOutcome(TASK, "v1", "a" * 64, metrics, samples), fam.meta(TASK))
    store.finish_run(factory, run_id, "complete")
    return run_id


def test_run_page_shows_the_error_spans_of_a_sample() -> None:
    run_id = _seed()
    at = page("views/run.py", run=run_id, spans_task=TASK, spans_doc="2")
    assert "xCOMET error spans" in [s.value for s in at.subheader]
    spans = at.table[-1].value
    assert list(spans["severity"]) == ["major", "minor"]
    assert list(spans["confidence"]) == ["0.625", "0.5"]
    assert "mwana \\<b\\>" in list(spans["text"])[0]  # stored text, escaped for Markdown
    texts = at.table[-2].value
    assert texts.loc["output", "text"].startswith("mwana")
    at = page("views/run.py", run=run_id, spans_task=TASK, spans_doc="0")
    assert any("no error span" in i.value for i in at.info)


def test_leaderboard_flags_scores_outside_coverage() -> None:
    _seed()
    at = page(None, metric="xcomet")
    text = shown_text(at)
    assert "Outside the metric's language coverage" in text
    assert "**kiwi-model** · flores_eng_Latn-lin_Latn xcomet: lin_Latn" in text
    at = page(None, metric="chrf++")
    assert "Outside the metric's language coverage" not in shown_text(at)
