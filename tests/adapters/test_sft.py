"""`sft`: the loss falls on completion tokens only (TRL's SFTTrainer), tasks mixed by weight."""

import json
from pathlib import Path

from adapters.recipes import load_recipe
from adapters.sft import build_trainer, mix_examples
from adapters.train import prepare
from tests.adapters.helpers import checkpoints


def _recipe(tmp_path: Path, tiny_model: Path) -> Path:
    rows = [{"q": f"Translate to Lingala: water {i}\nLingala:", "a": f" mai {i}"} for i in range(6)]
    (tmp_path / "mt.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (tmp_path / "eng.txt").write_text("good morning\nthank you\n", encoding="utf-8")
    (tmp_path / "lin.txt").write_text("mbote\nmatondi\n", encoding="utf-8")
    recipe = tmp_path / "sft.yaml"
    recipe.write_text(
        f"""\
recipe: sft
base_model: {tiny_model}
model_name: tiny-sft
tasks:
  - {{kind: jsonl, path: mt.jsonl, prompt_field: q, completion_field: a, weight: 1}}
  - {{kind: parallel, source: eng.txt, target: lin.txt, source_language: English,
      target_language: Lingala, weight: 3}}
lora: {{r: 2, alpha: 4, dropout: 0.0}}
training: {{max_steps: 2, save_every: 2, batch_size: 2, seq_length: 64, learning_rate: 0.01}}
""",
        encoding="utf-8",
    )
    return recipe


def test_mixture_by_weight(tmp_path: Path, tiny_model: Path) -> None:
    path = _recipe(tmp_path, tiny_model)
    examples, records = mix_examples(load_recipe(path), path)
    # 8 examples in all: 1/4 of them (2) from the 6 JSONL rows, 3/4 (6) from the 2 pairs, repeated
    assert [r["examples_used"] for r in records] == [2, 6] and len(examples) == 8
    assert sum(e["prompt"].startswith("Translate from English to Lingala.") for e in examples) == 6
    assert {
        "prompt": "Translate from English to Lingala.\nEnglish: thank you\nLingala:",
        "completion": " matondi",
    } in (examples)


def test_loss_on_completions_only_and_checkpoint_registered(tmp_path: Path, tiny_model: Path) -> None:
    path = _recipe(tmp_path, tiny_model)
    recipe = load_recipe(path)
    trainer, callback = build_trainer(recipe, prepare(recipe, path, str(tmp_path / "tiny-sft"), None))
    tokenizer = trainer.processing_class
    checked = 0
    for row in trainer.train_dataset:
        text = tokenizer.decode(row["input_ids"])
        prompt = next(
            e for e in mix_examples(recipe, path)[0] if text.startswith(e["prompt"] + e["completion"])
        )
        n_prompt = len(tokenizer(prompt["prompt"], add_special_tokens=False)["input_ids"])
        labels = row["labels"]
        assert labels[:n_prompt] == [-100] * n_prompt
        assert labels[n_prompt:] == row["input_ids"][n_prompt:]  # the completion and the end-of-text token
        assert row["input_ids"][-1] == tokenizer.eos_token_id
        checked += 1
    assert checked == 8
    trainer.train()
    folder = tmp_path / "tiny-sft" / "checkpoint-2"
    assert callback.saved == [folder] and (folder / "adapter_config.json").is_file()
    registered = {c["source"]: c for c in checkpoints("tiny-sft")}
    assert registered[str(folder)]["kind"] == "peft" and registered[str(folder)]["step"] == 2
    assert registered[str(folder)]["recipe"]["data"][1]["examples_used"] == 6
