"""`harness eval --lid-model` end to end: a tiny random model on FLORES (both directions) and an
IF-MT terminology task, a fastText identifier trained here on five FLORES-200 languages; the stored
per-sample labels are checked against fastText called directly, the task rows against the samples,
and `harness rescore --metric lid`, `harness results` and `harness gate --metric off_target` read them.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from harness.scorers import lid_build
from tests.conftest import need_shared_data, run_harness
from tests.unit.test_lid import LANGS, SMALL

TASKS = {
    "flores_eng_Latn-lin_Latn": ("eng_Latn", "lin_Latn"),
    "flores_lin_Latn-eng_Latn": ("lin_Latn", "eng_Latn"),
    "ifmt_terms_en-de_iate": ("eng_Latn", "deu_Latn"),
}


@pytest.fixture(scope="module")
def lid_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lid") / "model.bin"
    lid_build.train(need_shared_data() / "flores200", LANGS, SMALL, path)
    return path


def _db() -> Path:
    import os

    return Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))


def _eval(tiny_model: Path, *extra: str) -> Any:
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        "flores_lin,ifmt_terms_en-de_iate",
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
    return json.loads(result.stdout), result.stderr


def test_eval_stores_language_labels_and_rates(tiny_model: Path, lid_model: Path) -> None:
    from harness.scorers.lid import COPY_CHRF_THRESHOLD, import_fasttext, normalise, same_code, same_language

    payload, _ = _eval(tiny_model, "--lid-model", str(lid_model))
    rows = {(r["task"], r["metric"]): r for r in payload["results"]}
    direct = import_fasttext().load_model(str(lid_model))
    with sqlite3.connect(_db()) as conn:
        fingerprint = json.loads(conn.execute("select fingerprint from runs").fetchone()[0])
        stored = conn.execute("select task, output, scores from samples order by task, doc_id").fetchall()
    assert fingerprint["lid"]["model"] == str(lid_model)
    samples: dict[str, list[dict[str, Any]]] = {}
    for task, output, scores in stored:
        samples.setdefault(task, []).append({"output": output, **json.loads(scores)})
    assert set(samples) == set(TASKS)
    for task, (source_lang, target_lang) in TASKS.items():
        docs = samples[task]
        assert len(docs) == 3
        for doc in docs:
            if doc["output"].strip():
                prob, label = direct.f.predict(" ".join(doc["output"].split()) + "\n", 1, 0.0, "strict")[0]
                assert doc["lid_label"] == label.removeprefix("__label__")
                assert doc["lid_conf"] == pytest.approx(min(1.0, prob))
                assert doc["off_target"] == int(not same_code(doc["lid_label"], target_lang))
                assert doc["off_target_macro"] == int(not same_language(doc["lid_label"], target_lang))
            else:
                assert doc["lid_label"] is None and doc["off_target"] == doc["off_target_macro"] == 1
            copied = normalise(doc["output"]) == normalise(doc["source"]) or (
                doc["lid_label"] is not None
                and same_language(doc["lid_label"], source_lang)
                and doc["source_chrf"] >= COPY_CHRF_THRESHOLD
            )
            assert doc["source_copy"] == int(copied)
        for metric in ("off_target", "off_target_macro", "source_copy"):
            row = rows[(task, metric)]
            assert row["n"] == 3
            assert row["value"] == pytest.approx(sum(d[metric] for d in docs) / 3)
            assert row["signature"].startswith("lid:fasttext|model:model.bin|sha256:")
    groups = {(g["task"], g["metric"]) for g in payload["groups"]}
    assert {("flores_lin", "off_target"), ("flores_lin", "source_copy")} <= groups

    run_id = payload["run_id"]
    shown = run_harness("results", "--run", run_id, "--format", "json", check=True)
    metrics = {(r["task"], r["metric"]) for r in json.loads(shown.stdout)["results"]}
    assert ("flores_eng_Latn-lin_Latn", "off_target") in metrics

    # Rescoring the stored outputs with the same identifier gives the same rows, replaced in place.
    rescored = run_harness(
        "rescore", run_id, "--metric", "lid", "--lid-model", str(lid_model), "--json", check=True
    )
    again = {(r["task"], r["metric"]): r["value"] for r in json.loads(rescored.stdout)["results"]}
    assert again == {k: rows[k]["value"] for k in again} and len(again) == 9
    with sqlite3.connect(_db()) as conn:
        count = conn.execute("select count(*) from task_results where metric = 'off_target'").fetchone()[0]
    assert count == 3

    # A run against itself passes the gate on off_target.
    gated = run_harness("gate", "--baseline", run_id, "--candidate", run_id, "--metric", "off_target")
    assert gated.returncode == 0, gated.stdout + gated.stderr


def test_without_a_flag_the_bundled_identifier_scores_every_mt_task(tiny_model: Path) -> None:
    """A fresh machine (no `harness lid build` in the cache) uses the identifier shipped in the
    package, named with its SHA-256 in every row; `--lid-model none` skips language ID."""
    from core.hashing import sha256_file
    from harness.scorers.lid import BUNDLED_MODEL

    payload, stderr = _eval(tiny_model)
    rows = [r for r in payload["results"] if r["metric"] in ("off_target", "off_target_macro", "source_copy")]
    assert len(rows) == 3 * 3  # two FLORES directions and the terminology task, three rates each
    digest = sha256_file(BUNDLED_MODEL)[:12]
    assert all(
        r["signature"].startswith(f"lid:fasttext|model:bundled:flores200-lid.ftz|sha256:{digest}")
        for r in rows
    )
    assert "not computed" not in stderr
    payload, stderr = _eval(tiny_model, "--lid-model", "none")
    assert not [r for r in payload["results"] if r["metric"] in ("off_target", "source_copy")]
    assert "not computed" not in stderr
