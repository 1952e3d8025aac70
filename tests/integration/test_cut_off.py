"""`cut_off`: outputs that stopped at the token budget, counted by the real run and checked against
an independent count made here with transformers' own `generate` on the stored prompts.

The tiny model's window is shrunk to 176 positions, so the preflight cuts FLORES's 256-token budget
to what fits beside the longest prompt (recorded in the signature); a random model rarely writes a
newline, so most of its outputs run to that budget."""

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import need_shared_data, run_harness

WINDOW = 176


@pytest.fixture(scope="module")
def short_window_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    folder = build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-short", seed=3)
    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = WINDOW
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _independent_cut_offs(model_dir: Path, prompts: list[str], budget: int) -> list[bool]:
    """Greedy `generate` one prompt at a time (no padding): cut off when it produced `budget` new
    tokens with no end-of-sequence id among them and no newline in their text."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    eos = tokenizer.eos_token_id
    out = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
        with torch.inference_mode():
            generated = model.generate(
                ids, max_new_tokens=budget, do_sample=False, eos_token_id=eos, pad_token_id=eos
            )[0, ids.shape[1] :].tolist()
        text = tokenizer.decode(generated, skip_special_tokens=True)
        out.append(len(generated) == budget and eos not in generated and "\n" not in text)
    return out


def _stored(task: str) -> list[tuple[str, dict[str, float]]]:
    db = Path(os.environ["HARNESS_DB"].removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select prompt, scores from samples where task = ? order by run_id, doc_id", (task,)
        ).fetchall()
    return [(prompt, json.loads(scores)) for prompt, scores in rows]


def test_cut_off_counts_outputs_that_hit_the_budget(
    short_window_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = need_shared_data()
    monkeypatch.setenv("HARNESS_RESPONSE_CACHE", str(tmp_path / "responses.sqlite"))
    args = ("eval", "--model", str(short_window_model), "--tasks", "flores_lin", "--limit", "3")
    args += ("--data-dir", str(data), "--batch-size", "2", "--json")
    first = run_harness(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    payload = json.loads(first.stdout)
    rows = {(r["task"], r["metric"]): r for r in payload["results"]}
    counted = 0
    for task in ("flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"):
        row = rows[(task, "cut_off")]
        budget = int(row["signature"].split("|")[1].removeprefix("max_gen_toks:"))
        assert budget < 256 and row["signature"].endswith(f"|max_gen_toks:{budget}-cut-from-256")
        samples = _stored(task)
        assert len(samples) == 3
        flags = [s["cut_off"] for _, s in samples]
        assert row["value"] == sum(flags) and row["n"] == 3
        assert f"{int(row['value'])} of 3 outputs stopped at the {budget}-token budget" in row["note"]
        expected = _independent_cut_offs(short_window_model, [p for p, _ in samples], budget)
        assert flags == [float(e) for e in expected], task
        counted += int(row["value"])
    assert counted > 0  # some outputs did hit the budget
    group = {g["metric"]: g for g in payload["groups"]}["cut_off"]
    assert group["value"] == counted  # a count: summed over the group's directions

    # Answers from the response cache keep their flags.
    again = run_harness(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    second = json.loads(again.stdout)
    assert second["cache"] == {"hits": 6, "computed": 0}
    assert {(r["task"], r["value"]) for r in second["results"] if r["metric"] == "cut_off"} == {
        (t, r["value"]) for (t, m), r in rows.items() if m == "cut_off"
    }


def test_cut_off_not_computed_where_the_backend_does_not_report_it(short_window_model: Path) -> None:
    data = need_shared_data()
    result = run_harness(
        "eval", "--model", str(short_window_model), "--tasks", "flores_eng_Latn-lin_Latn", "--limit", "1",
        "--data-dir", str(data), "--backend", "hf-lm-eval", "--no-cache", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    row = next(r for r in json.loads(result.stdout)["results"] if r["metric"] == "cut_off")
    assert row["value"] is None
    assert "not computed: the hf-lm-eval backend does not report where generation stopped" in row["note"]
