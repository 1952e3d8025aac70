"""`harness eval` on a GAOKAO-Bench single-choice task by generation (the default, official
protocol) and by loglikelihood (`gaokao_ll_`), and a multi-question generation task (tiny random
model, real files): the stored metrics agree with the stored per-record answers and points, and the
records with the official files; `--apply-chat-template` puts the prefix prompt in the system turn;
`harness tasks list/show` on the family."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need_shared_data, run_harness

SINGLE = "gaokao_2010-2022_biology_mcqs"
SINGLE_LL = "gaokao_ll_2010-2022_biology_mcqs"
MULTI = "gaokao_2010-2022_geography_mcqs"
FILES = {
    SINGLE: "2010-2022_Biology_MCQs",
    SINGLE_LL: "2010-2022_Biology_MCQs",
    MULTI: "2010-2022_Geography_MCQs",
}
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
"""A simple chat template for the tiny model."""
METRICS = ("acc", "points", "points_available", "points_rate")


def official(data: Path, task: str) -> tuple[str, list[dict[str, Any]]]:
    """The file's prefix prompt and records, read here without project code."""
    root = data / "gaokao_bench"
    prompts = json.loads((root / "Obj_Prompt.json").read_text(encoding="utf-8"))["examples"]
    prefix = next(e["prefix_prompt"] for e in prompts if e["keyword"] == FILES[task])
    path = root / "Objective_Questions" / f"{FILES[task]}.json"
    return prefix, json.loads(path.read_text(encoding="utf-8"))["example"]


def room_to_generate(tiny_model: Path, folder: Path) -> Path:
    """The tiny model with a 1408-token window (the 1024 new tokens of a generation task after a
    384-token prompt, of which lm-eval keeps the end) that ends its text at any token with a digit
    (`eos_token_id` a list in generation_config.json, as some real checkpoints have), so that greedy
    generation stops after a few dozen tokens rather than 1024."""
    from transformers import AutoTokenizer, GenerationConfig

    model = shutil.copytree(tiny_model, folder / "tiny-llama-1408")
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = 1024 + 384
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(model)
    digits = [i for i in range(len(tokenizer)) if any(c.isdigit() for c in tokenizer.decode([i]))]
    GenerationConfig(eos_token_id=[tokenizer.eos_token_id, *digits]).save_pretrained(model)
    return model


def test_eval_stores_points_that_add_up(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    model = room_to_generate(tiny_model, tmp_path)
    tasks = f"{SINGLE},{SINGLE_LL},{MULTI}"
    result = run_harness(
        "eval", "--model", str(model), "--tasks", tasks, "--limit", "3", "--data-dir", str(data)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stored = json.loads(run_harness("results", "--format", "json", "--samples", check=True).stdout)
    rows = {(r["task"], r["metric"]): r for r in stored["results"]}
    assert set(rows) == {(t, m) for t in (SINGLE, SINGLE_LL, MULTI) for m in METRICS}
    assert {r["status"] for r in stored["results"]} == {"complete"}

    for task in (SINGLE, SINGLE_LL, MULTI):
        prefix, records = official(data, task)
        samples = [s for s in stored["samples"] if s["task"] == task]
        assert [s["doc_id"] for s in samples] == [0, 1, 2]
        for s in samples:
            scores, record = s["scores"], records[s["doc_id"]]
            assert scores["gold"] == record["answer"] and s["target"] == " ".join(record["answer"])
            assert scores["score_per_answer"] == record["score"]
            assert scores["points_available"] == record["score"] * len(record["answer"])
            # GAOKAO-Bench's rule here: the record's score per answer given exactly.
            assert scores["points"] == record["score"] * scores["right"]
            assert scores["acc"] == scores["right"] / len(record["answer"])
            assert s["prompt"].startswith(prefix) and record["question"].strip() in s["prompt"]
        points = sum(s["scores"]["points"] for s in samples)
        available = sum(s["scores"]["points_available"] for s in samples)
        assert rows[(task, "points")]["value"] == pytest.approx(points)
        assert rows[(task, "points_available")]["value"] == pytest.approx(available)
        assert rows[(task, "points_rate")]["value"] == pytest.approx(points / available)
        assert rows[(task, "acc")]["value"] == pytest.approx(sum(s["scores"]["acc"] for s in samples) / 3)
        assert all(rows[(task, m)]["n"] == 3 for m in METRICS)

    single = [s for s in stored["samples"] if s["task"] == SINGLE]
    for s in single:  # generated; GAOKAO-Bench reads the last of A-D, none: no answer (graded Z)
        _, records = official(data, SINGLE)
        letters = [c for c in s["output"] if c in "ABCD"]
        assert s["scores"]["extracted"] == letters[-1:]
        assert s["prompt"] == official(data, SINGLE)[0] + records[s["doc_id"]]["question"].strip() + "\n"
        assert s["scores"]["right"] == int(letters[-1:] == s["scores"]["gold"])
    assert rows[(SINGLE, "acc")]["signature"].endswith("gaokao-bench-extraction:single_choice")
    single = [s for s in stored["samples"] if s["task"] == SINGLE_LL]
    for s in single:  # the top letter by loglikelihood is the answer
        lls = s["scores"]["loglikelihoods"]
        assert s["output"] == "ABCD"[lls.index(max(lls))] and s["scores"]["extracted"] == [s["output"]]
        assert s["prompt"].endswith("\n【答案】")
        assert s["scores"]["right"] == int(s["output"] == s["scores"]["gold"][0])
    multi = [s for s in stored["samples"] if s["task"] == MULTI]
    for s in multi:  # graded answers: the extracted ones, or Z in every slot when their number is off
        gold, extracted, graded = s["scores"]["gold"], s["scores"]["extracted"], s["scores"]["graded"]
        assert graded == (extracted if len(extracted) == len(gold) else ["Z"] * len(gold))
        assert s["scores"]["right"] == sum(g == a for g, a in zip(graded, gold, strict=True))
        assert s["prompt"].endswith("\n")
    assert rows[(MULTI, "acc")]["signature"].endswith("gaokao-bench-extraction:multi_question_choice")


def test_tasks_list_and_show() -> None:
    data = need_shared_data()
    listing = run_harness("tasks", "list", "--family", "gaokao", "--data-dir", str(data), check=True).stdout
    counts = dict(line.split("\t") for line in listing.splitlines())
    assert counts["gaokao"] == "14 tasks" and counts["gaokao_english"] == "7 tasks"
    assert counts["gaokao_2010-2022"] == "14 tasks" and counts["gaokao_2023"] == "12 tasks"
    assert counts["gaokao_ll"] == "14 tasks" and counts["gaokao_ll_2023"] == "12 tasks"
    english = run_harness("tasks", "list", "--group", "gaokao_english", "--data-dir", str(data), check=True)
    assert len(english.stdout.split()) == 7

    shown = json.loads(
        run_harness("tasks", "show", MULTI, "--data-dir", str(data), "--json", check=True).stdout
    )
    prefix, records = official(data, MULTI)
    assert shown["family"] == "gaokao" and shown["output_type"] == "generate_until"
    assert shown["documents"] == len(records) == 34
    assert shown["prompt"] == prefix + records[0]["question"].strip() + "\n"
    assert set(shown["data_files"]) == {
        "gaokao_bench/Objective_Questions/2010-2022_Geography_MCQs.json",
        "gaokao_bench/Obj_Prompt.json",
    }


def with_chat_template(model: Path, folder: Path) -> Path:
    """The model with TEMPLATE as its tokenizer's chat template."""
    from transformers import AutoTokenizer

    out = shutil.copytree(model, folder / "tiny-chat")
    tokenizer = AutoTokenizer.from_pretrained(out)
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(out)
    return out


def test_apply_chat_template_puts_the_prefix_in_the_system_turn(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    plain = room_to_generate(tiny_model, tmp_path)
    refused = run_harness(
        "eval",
        "--model",
        str(plain),
        "--tasks",
        SINGLE,
        "--limit",
        "1",
        "--data-dir",
        str(data),
        "--apply-chat-template",
    )
    assert refused.returncode != 0 and "--apply-chat-template" in refused.stderr
    assert "has no chat template" in refused.stderr

    model = with_chat_template(plain, tmp_path)
    result = run_harness(
        "eval",
        "--model",
        str(model),
        "--tasks",
        SINGLE,
        "--limit",
        "2",
        "--data-dir",
        str(data),
        "--apply-chat-template",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stored = json.loads(run_harness("results", "--format", "json", "--samples", check=True).stdout)
    samples = [s for s in stored["samples"] if s["task"] == SINGLE]
    prefix, records = official(data, SINGLE)
    assert len(samples) == 2
    for s in samples:  # GAOKAO-Bench's chat messages: [system: prefix, user: question.strip() + "\n"]
        question = records[s["doc_id"]]["question"].strip() + "\n"
        assert s["prompt"] == f"<|system|>\n{prefix}<|end|>\n<|user|>\n{question}<|end|>\n<|assistant|>\n"


def test_fingerprint_records_the_chat_template(tiny_model: Path, tmp_path: Path) -> None:
    import hashlib

    from core import spm
    from core.errors import HarnessError
    from harness.engine.models import resolve_model
    from harness.engine.run import chat_template_sha256, fingerprint
    from harness.engine.specs import EvalConfig

    status = spm.spm_status()
    config = EvalConfig(model=str(tiny_model), tasks=[SINGLE])
    assert "chat_template" not in fingerprint(config, "cpu", "float32", status)
    with pytest.raises(HarnessError, match="--apply-chat-template: .* has no chat template"):
        chat_template_sha256(resolve_model(str(tiny_model)))
    model = with_chat_template(tiny_model, tmp_path)
    digest = chat_template_sha256(resolve_model(str(model)))
    assert digest == hashlib.sha256(TEMPLATE.encode("utf-8")).hexdigest()
    flagged = EvalConfig(model=str(model), tasks=[SINGLE], apply_chat_template=True)
    assert fingerprint(flagged, "cpu", "float32", status, chat_template_sha256=digest)["chat_template"] == {
        "applied": True,
        "sha256": digest,
    }
