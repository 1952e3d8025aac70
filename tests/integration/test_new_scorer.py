"""A post-generation scorer the harness has never seen, added as one module plus one registry line,
runs through `harness eval` (in-process, on the tiny model), `harness rescore --metric NAME`,
`harness results` and `harness gate --metric`, which know nothing else of it.

The module is written below as a real file and imported from a temporary path; the one registry
line is `SCORERS["outlen"] = "outlen:OutputLength"`. It counts each output's characters (hand-checked
against the stored outputs below).
"""

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_harness

SCORER_PY = """
from dataclasses import replace

from core.records import MetricResult
from harness.scorers.base import Written


class OutputLength:
    name = "outlen"
    reads = ("output",)
    writes = (Written("out_chars", higher_is_better=False),)
    environment = "the main environment"
    scores_what = "FLORES task (flores_*)"

    @classmethod
    def for_run(cls, context):
        return cls()

    @classmethod
    def for_rescore(cls, context):
        return cls()

    @classmethod
    def applies(cls, family, task):
        return family.name == "flores"

    def fingerprint(self):
        return {"version": 1}

    def attach(self, evaluated):
        pass

    def score(self, family, task, outcome):
        samples = [
            replace(s, scores={**s.scores, "out_chars": float(len(s.output))}) for s in outcome.samples
        ]
        values = [s.scores["out_chars"] for s in samples]
        row = MetricResult(task, "out_chars", sum(values) / len(values), None, len(values), "out_chars|v1")
        metrics = [m for m in outcome.metrics if m.metric != "out_chars"] + [row]
        return replace(outcome, metrics=metrics, samples=samples)
"""


@pytest.fixture
def outlen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.scorers import registry

    folder = tmp_path / "scorers"
    folder.mkdir()
    (folder / "outlen.py").write_text(SCORER_PY)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setitem(registry.SCORERS, "outlen", "outlen:OutputLength")  # the one registry line
    yield
    sys.modules.pop("outlen", None)


def test_a_new_scorer_runs_through_eval_rescore_results_and_gate(
    outlen: None, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.engine.rescore import rescore
    from harness.engine.run import evaluate
    from harness.engine.specs import EvalConfig
    from harness.scorers import registry
    from harness.scorers.base import ScorerOptions

    db_url = f"sqlite:///{tmp_path / 'results.db'}"
    config = EvalConfig(
        model=str(tiny_model), tasks=["flores_lin"], bundled_sample=True, limit=3, db_url=db_url, device="cpu"
    )
    scored = evaluate(config)
    assert {(r.task, r.metric) for r in scored.results if r.metric == "out_chars"} == {
        ("flores_eng_Latn-lin_Latn", "out_chars"),
        ("flores_lin_Latn-eng_Latn", "out_chars"),
    }
    # A run made without the scorer (the registry line taken out), then rescored with it.
    with monkeypatch.context() as m:
        m.delitem(registry.SCORERS, "outlen")
        plain = evaluate(config)
    assert not [r for r in plain.results if r.metric == "out_chars"]
    rescored = rescore(plain.run_id, "outlen", ScorerOptions(), db_url=db_url)
    assert sorted(r.task for r in rescored.results) == [
        "flores_eng_Latn-lin_Latn",
        "flores_lin_Latn-eng_Latn",
    ]

    # results (a subprocess that never imports the scorer): rows and per-sample scores, hand-checked.
    for run_id in (scored.run_id, plain.run_id):
        out = run_harness(
            "results", "--db", db_url, "--run", run_id, "--format", "json", "--samples", check=True
        )
        payload = json.loads(out.stdout)
        rows = {r["task"]: r for r in payload["results"] if r["metric"] == "out_chars"}
        assert len(rows) == 2
        for task, row in rows.items():
            outputs = [s["output"] for s in payload["samples"] if s["task"] == task]
            assert len(outputs) == 3
            assert row["value"] == pytest.approx(sum(len(o) for o in outputs) / 3)
            assert [s["scores"]["out_chars"] for s in payload["samples"] if s["task"] == task] == [
                float(len(o)) for o in outputs
            ]

    # rescore is idempotent: the rows are replaced, never repeated.
    rescore(plain.run_id, "outlen", ScorerOptions(), db_url=db_url)
    out = run_harness("results", "--db", db_url, "--run", plain.run_id, "--format", "json", check=True)
    assert sum(r["metric"] == "out_chars" for r in json.loads(out.stdout)["results"]) == 2

    # gate on the new metric (a subprocess too): the same model twice is no regression.
    gate = run_harness(
        "gate", "--db", db_url, "--baseline", scored.run_id, "--candidate", plain.run_id,
        "--metric", "out_chars", "--format", "json",
    )  # fmt: skip
    assert gate.returncode == 0, gate.stderr
    verdicts = json.loads(gate.stdout)["tasks"]
    assert {(v["task"], v["metric"], v["delta"]) for v in verdicts} == {
        ("flores_eng_Latn-lin_Latn", "out_chars", 0.0),
        ("flores_lin_Latn-eng_Latn", "out_chars", 0.0),
    }


def test_rescore_names_the_scorers_it_knows(tmp_path: Path) -> None:
    result = run_harness(
        "rescore", "deadbeef", "--metric", "bleurt", "--db", f"sqlite:///{tmp_path / 'r.db'}"
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "--metric bleurt: unknown; rescore computes comet, cometkiwi, xcomet, lid, judge" in message
