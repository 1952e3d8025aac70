"""`harness eval` end to end on a tiny random model and real FLORES sentences."""

import json
import sqlite3
from pathlib import Path

from tests.conftest import need_shared_data, run_harness

TASK = "flores_eng_Latn-lin_Latn"


def _db_path() -> Path:
    import os

    return Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))


def test_eval_stores_scores_and_samples(tiny_model: Path) -> None:
    data = need_shared_data()
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        "flores_lin",
        "--limit",
        "4",
        "--data-dir",
        str(data),
        "--batch-size",
        "2",
        "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)
    assert set(payload) == {"run_id", "model", "results", "cache", "resumed_tasks", "groups"}
    assert payload["resumed_tasks"] == []
    # Four documents in each direction: every request answered by the cache or computed.
    assert payload["cache"]["hits"] + payload["cache"]["computed"] == 8
    rows = {(r["task"], r["metric"]): r for r in payload["results"]}
    # The MT metrics, the rates of the language identifier bundled in the package, and how many
    # outputs stopped at the 256-token budget (tests/integration/test_cut_off.py checks the count).
    metrics = ("chrf++", "bleu", "spbleu", "off_target", "off_target_macro", "source_copy", "cut_off")
    assert set(rows) == {(t, m) for t in (TASK, "flores_lin_Latn-eng_Latn") for m in metrics}
    assert rows[(TASK, "cut_off")]["signature"] == "cut_off|max_gen_toks:256|count"
    chrf = rows[(TASK, "chrf++")]
    assert chrf["n"] == 4 and 0.0 <= chrf["value"] <= 100.0
    assert chrf["signature"] == "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0"
    spbleu = rows[(TASK, "spbleu")]
    assert spbleu["value"] is None and "not computed" in spbleu["note"]

    # The group asked for: the plain mean of its two directions, its standard error that of a mean
    # of two independent scores; spBLEU has no value in either direction, so neither has the group.
    groups = {(g["task"], g["metric"]): g for g in payload["groups"]}
    assert set(groups) == {("flores_lin", m) for m in metrics}
    back = rows[("flores_lin_Latn-eng_Latn", "chrf++")]
    mean = groups[("flores_lin", "chrf++")]
    assert mean["value"] == (chrf["value"] + back["value"]) / 2
    assert abs(mean["stderr"] - (chrf["stderr"] ** 2 + back["stderr"] ** 2) ** 0.5 / 2) < 1e-12
    assert mean["n"] == 8
    assert mean["signature"] == f"chrf++|macro-over-2-tasks|{chrf['signature']}"
    assert groups[("flores_lin", "spbleu")]["value"] is None
    assert "not computed" in groups[("flores_lin", "spbleu")]["note"]

    # Every sample stored once, with the prompt lm-eval built and the real reference.
    with sqlite3.connect(_db_path()) as conn:
        samples = conn.execute(
            "select doc_id, prompt, target, output from samples where task = ? order by doc_id", (TASK,)
        ).fetchall()
        status, fingerprint = conn.execute("select status, fingerprint from runs").fetchone()
    assert [s[0] for s in samples] == [0, 1, 2, 3]
    eng = (data / "flores200" / "devtest" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    lin = (data / "flores200" / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    assert samples[1][1] == f"English: {eng[1]}\nLingala:"
    assert samples[1][2] == lin[1]
    assert status == "complete"
    assert json.loads(fingerprint)["versions"]["lm_eval"] == "0.4.13"

    # `harness results` shows the same rows.
    stored = json.loads(run_harness("results", "--format", "json", check=True).stdout)["results"]
    assert {(r["task"], r["metric"], r["value"]) for r in stored} == {
        (r["task"], r["metric"], r["value"]) for r in payload["results"]
    }


def test_eval_table_output_and_fewshot(tiny_model: Path) -> None:
    data = need_shared_data()
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        TASK,
        "--limit",
        "2",
        "--num-fewshot",
        "2",
        "--data-dir",
        str(data),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert TASK in result.stdout and "chrf++" in result.stdout and "[1] nrefs:1" in result.stdout
    with sqlite3.connect(_db_path()) as conn:
        prompt = conn.execute("select prompt from samples where doc_id = 0").fetchone()[0]
    dev = (data / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8").splitlines()
    # Two dev examples with their references, then the test sentence.
    assert prompt.count("\nLingala:") == 3
    assert sum(line in prompt for line in dev) == 2


def test_eval_peft_adapter(tiny_model: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapted = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model), LoraConfig(r=2, target_modules=["q_proj"])
    )
    adapted.save_pretrained(tmp_path / "lora-lin")
    result = run_harness(
        "eval",
        "--model",
        str(tmp_path / "lora-lin"),
        "--tasks",
        TASK,
        "--limit",
        "2",
        "--data-dir",
        str(need_shared_data()),
        "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["model"] == "lora-lin"


def test_eval_bundled_sample(tiny_model: Path) -> None:
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "flores_yor", "--bundled-sample", "--json"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert {r["n"] for r in json.loads(result.stdout)["results"]} == {20}


def test_missing_data_exits_nonzero_with_path(tiny_model: Path, tmp_path: Path) -> None:
    result = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "flores_lin", "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert str(tmp_path / "flores200") in result.stderr and "harness data fetch flores200" in result.stderr
    assert not _db_path().exists()  # nothing was started


def test_language_missing_from_data_names_the_file(tiny_model: Path) -> None:
    result = run_harness("eval", "--model", str(tiny_model), "--tasks", "flores_zul", "--bundled-sample")
    assert result.returncode == 2
    assert "zul_Latn.dev" in result.stderr


def test_bad_flags_exit_nonzero(tiny_model: Path) -> None:
    unknown = run_harness("eval", "--model", str(tiny_model), "--tasks", "flores_lni")
    assert unknown.returncode == 2 and "did you mean" in unknown.stderr
    wrong_model = run_harness(
        "eval", "--model", "./no-such-checkpoint", "--tasks", "flores_lin", "--bundled-sample"
    )
    assert wrong_model.returncode == 2 and "no-such-checkpoint" in wrong_model.stderr
    bad_split = run_harness(
        "eval", "--model", str(tiny_model), "--tasks", "flores_lin", "--split", "test", "--bundled-sample"
    )
    assert bad_split.returncode == 2 and "flores scores a fixed split" in bad_split.stderr
    bad_device = run_harness("eval", "--model", str(tiny_model), "--tasks", "flores_lin", "--device", "tpu")
    assert bad_device.returncode == 2 and "--device" in bad_device.stderr


def test_every_command_has_help() -> None:
    from harness.cli import app

    commands = [[c.name] for c in app.registered_commands] + [
        [g.name, c.name] for g in app.registered_groups for c in g.typer_instance.registered_commands
    ]
    assert sorted(" ".join(c) for c in commands) == [
        "adapt", "app", "compare", "contamination", "data fetch", "data list", "eval", "gate",
        "ingest lm-eval", "lid build", "report", "rescore", "results", "sweep", "tasks list", "tasks show",
        "tokenizer-report",
    ]  # fmt: skip
    for command in [[], ["data"], ["tasks"], ["ingest"], ["lid"], *commands]:
        result = run_harness(*[part for part in command if part], "--help")
        assert result.returncode == 0 and "Usage" in result.stdout, command


def test_eval_xnli_and_afrixnli(tiny_model: Path) -> None:
    result = run_harness(
        "eval",
        "--model",
        str(tiny_model),
        "--tasks",
        "xnli_en,afrixnli_lin",
        "--limit",
        "6",
        "--data-dir",
        str(need_shared_data()),
        "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {(r["task"], r["metric"]): r for r in json.loads(result.stdout)["results"]}
    # AfriXNLI also reports weighted F1, as lm-eval's afrixnli tasks do.
    assert set(rows) == {("xnli_en", "acc"), ("afrixnli_lin", "acc"), ("afrixnli_lin", "f1")}
    assert all(r["n"] == 6 and 0 <= r["value"] <= 1 for r in rows.values())
    with sqlite3.connect(_db_path()) as conn:
        scores = [json.loads(s) for (s,) in conn.execute("select scores from samples where task = 'xnli_en'")]
    assert len(scores) == 6 and all(len(s["loglikelihoods"]) == 3 for s in scores)
    assert all(s["acc"] == float(s["pred"] == s["gold"]) for s in scores)


def test_tasks_list_shows_families() -> None:
    listing = run_harness("tasks", "list", "--data-dir", str(need_shared_data()), check=True).stdout
    # The xnli group is XNLI's 15 languages (lm-eval's group); KorNLI's xnli_ko is a task of its own.
    for line in ("flores\t408 tasks", "xnli\t15 tasks", "afrixnli\t15 tasks"):
        assert line in listing
    members = run_harness("tasks", "list", "--group", "flores_lin", check=True).stdout.split()
    assert members == ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"]


def test_tasks_show_renders_a_real_document() -> None:
    data = need_shared_data()
    shown = json.loads(
        run_harness(
            "tasks", "show", "flores_eng_Latn-lin_Latn", "--data-dir", str(data), "--json", check=True
        ).stdout
    )
    eng = (data / "flores200" / "devtest" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    lin = (data / "flores200" / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    assert shown["prompt"] == f"English: {eng[0]}\nLingala:" and shown["target"] == lin[0]
    assert shown["version"] == "flores-prompt-v1" and len(shown["task_hash"]) == 64
    assert set(shown["data_files"]) == {
        "dev/eng_Latn.dev",
        "dev/lin_Latn.dev",
        "devtest/eng_Latn.devtest",
        "devtest/lin_Latn.devtest",
    }
    assert shown["documents"] == 1012
    fewshot = json.loads(
        run_harness(
            "tasks", "show", "ceval_computer_network", "--data-dir", str(data), "--json", check=True
        ).stdout
    )
    assert fewshot["num_fewshot"] == 5 and fewshot["prompt"].count("答案：") == 6
    assert fewshot["choices"] == ["A", "B", "C", "D"]
    group = run_harness("tasks", "show", "flores_lin", "--data-dir", str(data))
    assert group.returncode == 2 and "is a group" in group.stderr
