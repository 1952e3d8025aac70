"""`flores_lin@fra` end to end: both directions with French run and form a group; each direction is
stored with its target as its language and its source as the second language; the Languages page
(`db.heatmap`) and `harness gate` place French -> Lingala and Lingala -> English under Lingala and
Lingala -> French under French."""

import json
import os
import sqlite3
from pathlib import Path

from tests.conftest import need_shared_data, run_harness

FRA_LIN, LIN_FRA, LIN_ENG = "flores_fra_Latn-lin_Latn", "flores_lin_Latn-fra_Latn", "flores_lin_Latn-eng_Latn"


def test_pivot_group_runs_both_directions_and_views_place_them(tiny_model: Path) -> None:
    data = need_shared_data()
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", f"flores_lin@fra,{LIN_ENG}", "--limit", "2",
        "--data-dir", str(data), "--no-cache", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)
    rows = {(r["task"], r["metric"]): r for r in payload["results"]}
    assert {t for t, _ in rows} == {FRA_LIN, LIN_FRA, LIN_ENG}
    groups = {(g["task"], g["metric"]): g for g in payload["groups"]}
    mean = groups[("flores_lin@fra", "chrf++")]
    assert mean["value"] == (rows[(FRA_LIN, "chrf++")]["value"] + rows[(LIN_FRA, "chrf++")]["value"]) / 2
    assert mean["n"] == 4

    db_url = os.environ["HARNESS_DB"]
    with sqlite3.connect(Path(db_url.removeprefix("sqlite:///"))) as conn:
        query = "select distinct task, language, source_language from task_results"
        stored = {task: (language, source) for task, language, source in conn.execute(query)}
        prompt = conn.execute(
            "select prompt from samples where task = ? and doc_id = 0", (FRA_LIN,)
        ).fetchone()[0]
    assert stored == {
        FRA_LIN: ("lin_Latn", "fra_Latn"),
        LIN_FRA: ("fra_Latn", "lin_Latn"),
        LIN_ENG: ("eng_Latn", "lin_Latn"),  # the target, as every direction
    }
    fra = (data / "flores200" / "devtest" / "fra_Latn.devtest").read_text(encoding="utf-8").splitlines()
    assert prompt == f"French: {fra[0]}\nLingala:"

    from db.heatmap import heatmap
    from db.session import make_engine

    engine = make_engine(db_url)
    cells = {c.language: c for c in heatmap(engine, "chrf++", "resource").cells}
    assert set(cells) == {"lin_Latn", "fra_Latn"}  # nothing under English
    assert cells["lin_Latn"].tasks == 2 and cells["fra_Latn"].tasks == 1
    lingala = [rows[(t, "chrf++")]["value"] for t in (FRA_LIN, LIN_ENG)]
    assert abs(cells["lin_Latn"].value - sum(lingala) / 2) < 1e-9

    from harness.analysis.gate import load_side

    side = load_side(payload["run_id"], db_url)
    assert {t: s.language for t, s in side.tasks.items()} == {
        FRA_LIN: "lin_Latn",
        LIN_FRA: "fra_Latn",
        LIN_ENG: "lin_Latn",
    }
