"""`harness adapt` checks the recipe's training text against its eval_tasks before training and
records the result in every checkpoint's manifest, from where `harness results` flags the scores."""

import hashlib
import json
from pathlib import Path

from adapters.contamination import adapt_record, training_files
from adapters.recipes import load_recipe
from core.lineage import MANIFEST
from tests.adapters.helpers import checkpoints
from tests.conftest import need_shared_data, run_harness

TASK = "flores_eng_Latn-lin_Latn"


def test_adapt_records_contamination_in_the_manifest(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    devtest = (data / "flores200" / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    dev = (data / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8").splitlines()
    # FLORES-200's Lingala dev line 738 is devtest line 211 (doc 210); devtest doc 5 is planted.
    text = tmp_path / "lin.txt"
    text.write_text("\n".join(dev[:400] + [devtest[5]] + dev[400:]) + "\n", encoding="utf-8")
    recipe = tmp_path / "cpt.yaml"
    recipe.write_text(
        f"recipe: cpt\nbase_model: {tiny_model}\n"
        "data: [{kind: text, paths: [lin.txt], weight: 1}]\n"
        "training: {max_steps: 2, save_every: 2, batch_size: 2, seq_length: 32}\n"
        f"eval_every: 2\neval_tasks: [{TASK}]\neval_limit: 1\neval_batch_size: 1\neval_data_dir: {data}\n",
        encoding="utf-8",
    )
    out = tmp_path / "tiny-leaky"
    result = run_harness("adapt", str(recipe), "--output", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"contaminated {TASK}: 2 of 1012 devtest documents" in " ".join(result.stderr.split())

    manifest = json.loads((out / "checkpoint-2" / MANIFEST).read_text(encoding="utf-8"))
    record = manifest["recipe"]["contamination"]
    assert record["contaminated"] is True and record["ngram"] == 13
    assert record["sources"] == [{"path": str(text), "sha256": hashlib.sha256(text.read_bytes()).hexdigest()}]
    assert record["tasks"][TASK] | {"no_ngrams": None} == {
        "split": "devtest",
        "documents": 1012,
        "hit": 2,
        "share": 2 / 1012,
        "doc_ids": [5, 210],
        "no_ngrams": None,
    }
    (registered,) = [c for c in checkpoints("tiny-leaky") if c["source"] == str(out / "checkpoint-2")]
    assert registered["recipe"]["contamination"] == record and registered["runs"] == ["complete"]
    rows = json.loads(run_harness("results", "--model", "tiny-leaky", "--format", "json", check=True).stdout)
    assert rows["results"] and {(r["contaminated"], r["contamination"]) for r in rows["results"]} == {
        (True, "yes (2/1012)")
    }


def test_no_record_without_eval_tasks(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    recipe = tmp_path / "sft.yaml"
    recipe.write_text(
        f"recipe: vocab\nbase_model: {tiny_model}\nvocab: {{vocab_size: 100, texts: [b.txt, a.txt]}}\n"
        "data: [{kind: text, paths: [a.txt], weight: 1}, "
        "{kind: parallel, source: a.txt, target: c.txt, source_language: E, target_language: L, weight: 1}]\n"
        "training: {max_steps: 1, save_every: 1}\n",
        encoding="utf-8",
    )
    parsed = load_recipe(recipe)
    assert [(f.path.name, f.label.rsplit(": ", 1)[1]) for f in training_files(parsed, recipe)] == [
        ("a.txt", "data[0].paths[0]"),
        ("c.txt", "data[1].target"),
        ("b.txt", "vocab.texts[0]"),
    ]
    assert adapt_record(parsed, recipe) is None


def test_default_bpb_check_is_checked_on_its_dev_split(tiny_model: Path, tmp_path: Path) -> None:
    """A recipe with eval_every and no eval_tasks gets the default check (bpb on FLORES dev); training
    on FLORES dev Lingala then contaminates exactly bpb_lin_Latn's dev documents, and the record says so."""
    data = need_shared_data()
    dev = (data / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8").splitlines()
    (tmp_path / "lin.txt").write_text("\n".join(dev[:30]) + "\n", encoding="utf-8")
    recipe = tmp_path / "cpt.yaml"
    recipe.write_text(
        f"recipe: cpt\nbase_model: {tiny_model}\ntarget_languages: [lin_Latn]\n"
        "data: [{kind: text, paths: [lin.txt], weight: 1}]\n"
        "training: {max_steps: 2, save_every: 2, batch_size: 2, seq_length: 32}\n"
        f"eval_every: 2\neval_data_dir: {data}\n",
        encoding="utf-8",
    )
    record = adapt_record(load_recipe(recipe), recipe)
    assert record is not None
    tasks = record["tasks"]
    assert tasks["bpb_lin_Latn"]["split"] == "dev"
    assert tasks["bpb_lin_Latn"]["documents"] == 997  # every FLORES-200 dev sentence is scanned, not the cap
    hits = set(tasks["bpb_lin_Latn"]["doc_ids"])  # the 30 trained-on sentences, less any too short
    assert hits <= set(range(30)) and len(hits) >= 25, sorted(hits)
    assert all(task["hit"] == 0 for name, task in tasks.items() if name != "bpb_lin_Latn")
