"""A benchmark the harness has never seen, added as one folder plus one registry line, runs end to
end: `harness eval` (in-process, on the tiny model), then `harness results`, `harness gate` and the
app's queries, which read what the family declared from the database and know nothing else of it.

The folder is written below as real files (a data-set declaration, a task family) and imported
from a temporary path; the one registry line is `FAMILIES["toyqa"] = "toyqa.task:ToyQa"`.
"""

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_harness

SOURCE_PY = """
from tasks.datasource import DataSource, Download, Layout

TOYQA = DataSource(
    name="toyqa",
    description="A two-task multiple-choice benchmark written by the test",
    licence="CC0-1.0",
    homepage="https://example.org/toyqa",
    downloads=(Download(kind="tarball", url="https://example.org/toyqa.tar.gz", version="1", into="toyqa",
                        files=(("toyqa/", ""),)),),
    layout=Layout(required=("a.jsonl", "b.jsonl")),
    tasks=("toyqa_a", "toyqa_b"),
)
"""

TASK_PY = """
import json
from functools import partial
from pathlib import Path

from core.hashing import content_hash, sha256_file
from core.records import TaskMeta
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import collect_choice
from toyqa.source import TOYQA

TASKS = {"toyqa_a": "lin_Latn", "toyqa_b": "swh_Latn"}


def load(root: str, name: str, **_):
    import datasets

    rows = [json.loads(line) for line in (Path(root) / f"{name[-1]}.jsonl").read_text().splitlines()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


class ToyQa:
    name = "toyqa"
    data_set = "toyqa"
    discovered = False
    splits = ()
    sources = (TOYQA,)

    def groups(self, root):
        return {"toyqa": list(TASKS)}

    def owns(self, name, root):
        return name in TASKS

    def group_rule(self, group) -> GroupRule:
        return "size_weighted"

    def meta(self, name):
        protocol = "toyqa v1: 0-shot, loglikelihood over the choices"
        return TaskMeta("toyqa", TASKS[name], "acc", "acc", protocol)

    def task_info(self, name, root, options: TaskOptions):
        files = {f"{name[-1]}.jsonl": sha256_file(root / f"{name[-1]}.jsonl")}
        digest = content_hash({"v": 1, "data": files})
        return TaskInfo(name, self.name, "toyqa-v1", digest, files, "{{question}}")

    def lm_eval_config(self, name, root, options):
        return {
            "task": name,
            "custom_dataset": partial(load, str(root), name),
            "test_split": "test",
            "output_type": "multiple_choice",
            "doc_to_text": "{{question}}",
            "doc_to_choice": "{{choices}}",
            "doc_to_target": "label",
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
            "metadata": {"version": 1.0},
        }

    def collect(self, name, output, info):
        return collect_choice(name, output, info)
"""


@pytest.fixture
def toyqa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The new family's folder on the import path, registered by one line; its data under
    `<data>/toyqa/`. Returns the data root."""
    from harness.engine import data
    from tasks import registry

    package = tmp_path / "families" / "toyqa"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""toyqa: a benchmark the harness has never seen."""\n')
    (package / "source.py").write_text(SOURCE_PY)
    (package / "task.py").write_text(TASK_PY)
    monkeypatch.syspath_prepend(str(tmp_path / "families"))
    monkeypatch.setitem(registry.FAMILIES, "toyqa", "toyqa.task:ToyQa")  # the one registry line
    for cached in (registry.family, getattr(data, "sources", None)):
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    root = tmp_path / "data" / "toyqa"
    root.mkdir(parents=True)
    for part, n in (("a", 6), ("b", 3)):
        rows = [
            {"question": f"Question {i} of {part}:", "choices": [" yes", " no", " maybe"], "label": i % 3}
            for i in range(n)
        ]
        (root / f"{part}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    yield tmp_path / "data"
    for cached in (registry.family, getattr(data, "sources", None)):
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    sys.modules.pop("toyqa.task", None)
    sys.modules.pop("toyqa.source", None)
    sys.modules.pop("toyqa", None)


def test_a_new_family_runs_through_eval_results_gate_and_the_app(
    toyqa: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from db import app_queries
    from db.session import make_engine
    from harness.engine.run import evaluate
    from harness.engine.specs import EvalConfig

    db_url = f"sqlite:///{tmp_path / 'results.db'}"
    config = EvalConfig(
        model=str(tiny_model), tasks=["toyqa"], data_dir=str(toyqa), db_url=db_url, device="cpu"
    )
    first = evaluate(config)
    second = evaluate(config)

    # eval: both tasks scored, and the group by the rule the family declared (lm-eval's weight_by_size).
    by_task = {(r.task, r.metric): r for r in first.results}
    assert {("toyqa_a", "acc"), ("toyqa_b", "acc")} <= set(by_task)
    groups = {r.metric: r for r in first.groups}
    a, b = by_task[("toyqa_a", "acc")].value, by_task[("toyqa_b", "acc")].value
    assert a is not None and b is not None
    assert groups["acc"].value == pytest.approx((6 * a + 3 * b) / 9)
    assert groups["acc_unweighted"].value == pytest.approx((a + b) / 2)

    # results (a subprocess that never imports the new family): what the family declared was stored.
    out = run_harness("results", "--db", db_url, "--run", first.run_id, "--format", "json", check=True)
    rows = json.loads(out.stdout)["results"]
    assert len(rows) == 2
    assert {(r["task"], r["family"], r["language"], r["primary_metric"]) for r in rows} == {
        ("toyqa_a", "toyqa", "lin_Latn", "acc"),
        ("toyqa_b", "toyqa", "swh_Latn", "acc"),
    }
    assert all(r["protocol"].startswith("toyqa v1") for r in rows)

    # gate (a subprocess too): the same checkpoint twice is no regression, compared on `acc`.
    gate = run_harness(
        "gate", "--db", db_url, "--baseline", first.run_id, "--candidate", second.run_id, "--format", "json"
    )
    assert gate.returncode == 0, gate.stderr
    verdicts = json.loads(gate.stdout)["tasks"]
    assert {(v["task"], v["metric"]) for v in verdicts} == {("toyqa_a", "acc"), ("toyqa_b", "acc")}

    # the app's queries: a `toyqa` column in the default (primary) leaderboard, its two languages.
    engine = make_engine(db_url)
    options = app_queries.filter_options(engine)
    assert "toyqa" in options.families and {"lin_Latn", "swh_Latn"} <= set(options.languages)
    [cell] = [c for c in app_queries.leaderboard(engine) if c.column == "toyqa"]
    assert (cell.covered, cell.total) == (2, 2) and cell.mean == pytest.approx((a + b) / 2)
    languages = {c.language: c.value for c in app_queries.language_matrix(engine)}
    assert languages["lin_Latn"] == pytest.approx(a) and languages["swh_Latn"] == pytest.approx(b)
    deltas = app_queries.compare_runs(engine, first.run_id, second.run_id)
    assert {(d.task, d.metric, d.delta) for d in deltas} == {("toyqa_a", "acc", 0.0), ("toyqa_b", "acc", 0.0)}
