"""`harness eval` on the instruction-following MT tasks with the tiny random model: IF-MT with the
tiny model as its own judge (real generation, real parsing), and the terminology tasks on real data."""

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sacrebleu.metrics import CHRF

from tests.conftest import need_shared_data, run_harness

IFMT_ROWS = [
    {
        "prompt": (
            'Translate the English text into Chinese.\n<START OF RULES>\n- Keep the brand name "Acme".\n'
            "- Write numbers as digits.\n<END OF RULES>\n<START OF SOURCE>\nAcme sold three phones.\n"
            "<END OF SOURCE>\nReturn only the translation."
        ),
        "reference": "Acme卖出了3部手机。",
    },
    {
        "source": "The meeting is on Monday.",
        "rules": ["End with a full stop."],
        "reference": "会议在星期一。",
    },
    {
        "prompt": "Translate into Chinese, keeping the title in English: Blue Sky is a film.",
        "reference": "Blue Sky是一部电影。",
    },
    {"prompt": "Translate into Chinese: Good morning.", "reference": "早上好。"},
]


def _db() -> sqlite3.Connection:
    return sqlite3.connect(Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///")))


def _ifmt_data(root: Path) -> Path:
    path = root / "ifmt" / "default" / "train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in IFMT_ROWS), encoding="utf-8")
    return root


def _samples(task: str) -> list[dict[str, Any]]:
    with _db() as conn:
        rows = conn.execute(
            "select doc_id, prompt, target, output, scores from samples where task = ? order by doc_id",
            (task,),
        ).fetchall()
    return [
        {"doc_id": r[0], "prompt": r[1], "target": r[2], "output": r[3], "scores": json.loads(r[4])}
        for r in rows
    ]


def _judge_checkpoint(tiny_model: Path, folder: Path, context: int) -> Path:
    """The tiny model with a longer context window: the judge prompt (instruction, rules, up to 512
    tokens of translation) does not fit in the tiny model's 1024 tokens with the tiny tokenizer."""
    shutil.copytree(tiny_model, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = context
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_ifmt_judged_by_the_tiny_model(tiny_model: Path, tmp_path: Path) -> None:
    data = _ifmt_data(tmp_path / "data")
    judge_model = _judge_checkpoint(tiny_model, tmp_path / "tiny-judge", context=2048)
    args = ["--model", str(tiny_model), "--tasks", "ifmt_en-zh", "--data-dir", str(data), "--limit", "3"]
    args += ["--lid-model", "none"]  # language ID is tested in test_lid_eval
    result = run_harness("eval", *args, "--judge-model", str(judge_model), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {r["metric"]: r for r in json.loads(result.stdout)["results"]}
    assert set(rows) == {"chrf++", "rule_adherence", "judge_unparseable", "judge_cut_off", "cut_off"}
    samples = _samples("ifmt_en-zh")
    assert [s["doc_id"] for s in samples] == [0, 1, 2]
    # The model saw the data's instruction; the fallback prompt is built from source and rules.
    assert samples[0]["prompt"] == IFMT_ROWS[0]["prompt"] and samples[2]["prompt"] == IFMT_ROWS[2]["prompt"]
    assert (
        "- End with a full stop." in samples[1]["prompt"]
        and "The meeting is on Monday." in samples[1]["prompt"]
    )
    assert [s["target"] for s in samples] == [r["reference"] for r in IFMT_ROWS[:3]]
    assert samples[0]["scores"]["rules"] == ['Keep the brand name "Acme".', "Write numbers as digits."]
    # Every sample carries the judge's own text, what the strict parser made of it, and the grade
    # that counts: the parsed score, or 1 (the lowest) for a verdict that could not be parsed.
    for s in samples:
        scores = s["scores"]
        assert isinstance(scores["judge_output"], str)
        parsed = scores["judge_score"] is not None
        assert parsed == (scores["judge_error"] == "") == (scores["judge_unparseable"] == 0.0)
        assert scores["rule_adherence"] == (scores["judge_score"] if parsed else 1.0)
    grades = [s["scores"]["rule_adherence"] for s in samples]
    unparseable = rows["judge_unparseable"]
    assert unparseable["n"] == 3 and unparseable["value"] == sum(
        s["scores"]["judge_unparseable"] for s in samples
    )
    assert rows["judge_cut_off"]["value"] == sum(s["scores"]["judge_cut_off"] for s in samples)
    adherence = rows["rule_adherence"]
    assert adherence["n"] == 3 and adherence["value"] == sum(grades) / 3
    assert (
        "prompt:ifmt-judge-v2" in adherence["signature"]
        and f"judge:{judge_model.name}" in adherence["signature"]
        and "unparseable-as-1" in adherence["signature"]
    )
    # chrF++ against the reference, as sacrebleu computes it on the stored outputs.
    corpus = CHRF(word_order=2).corpus_score([s["output"] for s in samples], [[s["target"] for s in samples]])
    assert abs(rows["chrf++"]["value"] - corpus.score) < 1e-9
    with _db() as conn:
        status, fingerprint = conn.execute("select status, fingerprint from runs").fetchone()
    judge = json.loads(fingerprint)["judge"]
    assert status == "complete" and judge["model"] == str(judge_model)
    assert judge["resolved"]["pretrained"] == str(judge_model)
    assert judge["prompt_versions"] == {"ifmt_en-zh": "ifmt-judge-v2"}


def test_ifmt_without_a_judge_warns_and_reports_none(tiny_model: Path, tmp_path: Path) -> None:
    data = _ifmt_data(tmp_path / "data")
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        "ifmt",
        "--data-dir",
        str(data),
        "--limit",
        "1",
        "--json",
        "--lid-model",
        "none",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(
        r"warning: no --judge-model: ifmt_en-zh will report rule adherence as not\s+computed", result.stderr
    )
    rows = {r["metric"]: r for r in json.loads(result.stdout)["results"]}
    assert set(rows) == {"chrf++", "rule_adherence", "cut_off"}
    assert rows["rule_adherence"]["value"] is None and "--judge-model" in rows["rule_adherence"]["note"]
    assert "judge_output" not in _samples("ifmt_en-zh")[0]["scores"]


def test_ifmt_bad_data_names_file_line_and_field(tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "ifmt" / "default" / "train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"prompt": "Translate: Hi", "reference": "嗨"}\n{"prompt": "Translate: Bye"}\n', encoding="utf-8"
    )
    result = run_harness("eval", "--model", str(tiny_model), "--tasks", "ifmt", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "train.jsonl:2" in result.stderr and "'reference'" in result.stderr
    assert not Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///")).exists()  # failed before any run


def _tsv_terms(root: Path, name: str) -> list[tuple[int, list[tuple[str, str]]]]:
    rows = []
    for line in (root / "terminology" / name).read_text(encoding="utf-8").splitlines():
        cells = [c for c in line.split("\t") if c]
        rows.append((int(cells[1]), list(zip(cells[2::2], cells[3::2], strict=True))))
    return rows


def test_terminology_tasks_on_real_data(tiny_model: Path) -> None:
    data = need_shared_data()
    args = [
        "--tasks",
        "ifmt_terms_en-de",
        "--data-dir",
        str(data),
        "--limit",
        "3",
        "--json",
        "--lid-model",
        "none",
    ]
    result = run_harness("eval", "--model", str(tiny_model), *args)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {(r["task"], r["metric"]): r for r in json.loads(result.stdout)["results"]}
    tasks = {
        "ifmt_terms_en-de_iate": "iate.414.terminology.tsv",
        "ifmt_terms_en-de_wikt": "wikt.727.terminology.tsv",
    }
    assert set(rows) == {(t, m) for t in tasks for m in ("term_usage", "chrf++", "cut_off")}
    for task in tasks:  # counted from the stored per-sample flags
        flags = [s["scores"]["cut_off"] for s in _samples(task)]
        assert rows[(task, "cut_off")]["value"] == sum(flags) and set(flags) <= {0.0, 1.0}
    root = data / "terminology_en_de"
    english = (root / "newstest2017_en-de" / "newstest2017.en").read_text(encoding="utf-8").splitlines()
    german = (root / "newstest2017_en-de" / "newstest2017.de").read_text(encoding="utf-8").splitlines()
    for task, tsv in tasks.items():
        samples = _samples(task)
        expected = _tsv_terms(root, tsv)[:3]
        assert [s["doc_id"] for s in samples] == [0, 1, 2]
        used = total = 0
        for s, (line, pairs) in zip(samples, expected, strict=True):
            scores = s["scores"]
            assert scores["line"] == line and scores["source"] == english[line - 1]
            assert s["target"] == german[line - 1] and english[line - 1] in s["prompt"]
            assert [(t["source"], t["target"]) for t in scores["terms"]] == pairs
            for t in scores["terms"]:  # Dinu et al.'s rule: exact, case-sensitive, whole words
                assert t["used"] == bool(
                    re.search(r"(\W|^)" + re.escape(t["target"]) + r"(\W|$)", s["output"])
                )
                assert f'"{t["target"]}" for "{t["source"]}"' in s["prompt"]
            used += sum(t["used"] for t in scores["terms"])
            total += len(pairs)
            assert scores["terms_used"] == sum(t["used"] for t in scores["terms"]) and scores[
                "terms_total"
            ] == len(pairs)
        usage = rows[(task, "term_usage")]
        assert usage["n"] == 3 and usage["value"] == 100.0 * used / total
        assert usage["note"] == f"{used} of {total} required terms used"
        corpus = CHRF(word_order=2).corpus_score(
            [s["output"] for s in samples], [[s["target"] for s in samples]]
        )
        assert abs(rows[(task, "chrf++")]["value"] - corpus.score) < 1e-9
        assert rows[(task, "chrf++")]["stderr"] is not None


def test_tasks_list_and_show() -> None:
    data = need_shared_data()
    assert run_harness("tasks", "list", "--family", "ifmt", check=True).stdout == "ifmt\t1 tasks\n"
    listing = run_harness("tasks", "list", "--family", "ifmt_terms", check=True).stdout
    assert "ifmt_terms_en-de\t2 tasks" in listing
    shown = json.loads(
        run_harness(
            "tasks", "show", "ifmt_terms_en-de_wikt", "--data-dir", str(data), "--json", check=True
        ).stdout
    )
    assert shown["version"] == "ifmt-terms-prompt-v1" and shown["documents"] == 727
    assert set(shown["data_files"]) == {
        "terminology/wikt.727.terminology.tsv",
        "newstest2017_en-de/newstest2017.en",
        "newstest2017_en-de/newstest2017.de",
    }
    assert shown["prompt"].startswith("Translate the English sentence into German. Use these German terms: ")
    assert shown["metrics"] == ["chrf++", "term_usage"]
