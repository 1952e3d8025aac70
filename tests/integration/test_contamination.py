"""`harness contamination` on real recipes and FLORES-200 text, checked against lm-eval's own
janitor functions and against lines planted by hand; the flag in `harness results`."""

import json
import shutil
from pathlib import Path

import pytest

from core.lineage import MANIFEST
from core.ngrams import group_chars, word_ngrams
from tests.conftest import ROOT, need_shared_data, run_harness

EXAMPLE = ROOT / "adapters" / "examples" / "layra-lingala-cpu.yaml"
FLORES_LIN = ("flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn")


def _lines(data: Path, split: str, lang: str) -> list[str]:
    return (data / "flores200" / split / f"{lang}.{split}").read_text(encoding="utf-8").splitlines()


def _janitor_hits(train_lines: list[str], doc_texts: list[list[str]]) -> list[int]:
    """Documents sharing a 13-gram with a training line, by lm-eval's janitor functions alone."""
    from lm_eval.decontamination.janitor import Janitor
    from lm_eval.decontamination.janitor import word_ngrams as janitor_ngrams

    janitor = Janitor()
    train = {g for line in train_lines for g in janitor_ngrams(janitor.normalize_string(line), 13)}
    return [
        i
        for i, texts in enumerate(doc_texts)
        if any(g in train for t in texts for g in janitor_ngrams(janitor.normalize_string(t), 13))
    ]


def _check(*args: str) -> tuple[int, dict]:
    result = run_harness("contamination", *args, "--json")
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return result.returncode, json.loads(result.stdout)


def test_lingala_example_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example trains on FLORES dev and is scored on devtest. Dev and devtest are different
    sentences, but FLORES-200's Lingala dev line 738 is the Lingala of devtest line 211 (its English
    dev line is another sentence): that one document is reported in both directions, nothing else."""
    data = need_shared_data()
    monkeypatch.setenv("HARNESS_DATA_DIR", str(data))
    code, report = _check("--recipe", str(EXAMPLE))
    eng_dev, lin_dev = _lines(data, "dev", "eng_Latn"), _lines(data, "dev", "lin_Latn")
    eng, lin = _lines(data, "devtest", "eng_Latn"), _lines(data, "devtest", "lin_Latn")
    assert lin_dev[737] == lin[210] and eng_dev[737] != eng[210]
    expected = _janitor_hits(eng_dev + lin_dev, [[e, t] for e, t in zip(eng, lin, strict=True)])
    assert expected == [210]
    assert code == 1 and report["contaminated"] is True
    tasks = report["tasks"]
    assert list(tasks) == [*FLORES_LIN, "afrixnli_lin"]
    for name in FLORES_LIN:
        assert (tasks[name]["split"], tasks[name]["documents"], tasks[name]["doc_ids"]) == (
            "devtest",
            1012,
            expected,
        )
        assert tasks[name]["hits"][0]["line"] == 738
        assert tasks[name]["hits"][0]["path"].endswith("flores200/dev/lin_Latn.dev")
    assert (tasks["afrixnli_lin"]["documents"], tasks["afrixnli_lin"]["hit"]) == (600, 0)
    assert tasks["afrixnli_lin"]["template_ngrams"] == 14  # the instruction of lm-eval's prompt 1
    assert [Path(s["path"]).name for s in report["sources"]] == ["lin_Latn.dev", "eng_Latn.dev"]


def _planted_recipe(tmp_path: Path, data: Path) -> tuple[Path, dict[int, int]]:
    """A recipe training on FLORES dev (English and Lingala, the lines also found in devtest left
    out) with four devtest sentences planted: devtest doc id -> line number in the file."""
    devtest = set(_lines(data, "devtest", "lin_Latn")) | set(_lines(data, "devtest", "eng_Latn"))
    mix = [
        line for lang in ("eng_Latn", "lin_Latn") for line in _lines(data, "dev", lang) if line not in devtest
    ]
    planted = {5: ("lin_Latn", 17), 42: ("eng_Latn", 400), 100: ("lin_Latn", 1000), 700: ("lin_Latn", 1500)}
    lines: dict[int, int] = {}
    for doc_id, (lang, position) in sorted(planted.items(), key=lambda item: item[1][1]):
        sentence = _lines(data, "devtest", lang)[doc_id]
        assert len(list(word_ngrams(sentence, 13))) > 0, (lang, doc_id)
        mix.insert(position, sentence)
        lines[doc_id] = position + 1
    (tmp_path / "mix.txt").write_text("\n".join(mix) + "\n", encoding="utf-8")
    recipe = tmp_path / "planted.yaml"
    recipe.write_text(
        "recipe: cpt\nbase_model: smollm2-135m\n"
        "data: [{kind: text, paths: [mix.txt], weight: 1}]\n"
        "training: {max_steps: 2, save_every: 2}\n"
        f"eval_every: 2\neval_tasks: [flores_lin, afrixnli_lin]\neval_data_dir: {data}\n",
        encoding="utf-8",
    )
    return recipe, lines


def test_planted_devtest_lines_are_caught_by_document(tmp_path: Path) -> None:
    data = need_shared_data()
    recipe, lines = _planted_recipe(tmp_path, data)
    code, report = _check("--recipe", str(recipe))
    assert code == 1
    for name in FLORES_LIN:
        task = report["tasks"][name]
        assert task["doc_ids"] == [5, 42, 100, 700] and task["hit"] == 4
        assert task["share"] == 4 / 1012
        assert {h["doc_id"]: h["line"] for h in task["hits"]} == lines
    assert report["tasks"]["afrixnli_lin"]["hit"] == 0
    # The table names the documents and where they were found; --tasks replaces eval_tasks.
    table = run_harness("contamination", "--recipe", str(recipe), "--tasks", "flores_eng_Latn-lin_Latn")
    assert table.returncode == 1
    assert "5, 42, 100, 700" in table.stdout and f"mix.txt:{lines[42]}" in table.stdout
    assert "afrixnli_lin" not in table.stdout


def test_unspaced_scripts_by_character_windows(tmp_path: Path) -> None:
    """Chinese and Thai FLORES dev as the training text, with parts of three devtest sentences
    planted inside other text: exactly those documents are hit."""
    data = need_shared_data()
    zho, tha = _lines(data, "devtest", "zho_Hans"), _lines(data, "devtest", "tha_Thai")
    text = _lines(data, "dev", "zho_Hans") + _lines(data, "dev", "tha_Thai")
    parts = [zho[3][2:24], zho[300][-28:], tha[8][:75]]  # 20 and 21 Han characters, 54 Thai ones
    assert [len("".join(group_chars(p).values())) for p in parts] == [20, 21, 54]
    text += [f"前言 {parts[0]} 后记", f"xx {parts[1]}", f"คำนำ {parts[2]}"]
    source = tmp_path / "asia.txt"
    source.write_text("\n".join(text), encoding="utf-8")
    tasks = "flores_eng_Latn-zho_Hans,flores_zho_Hans-eng_Latn,flores_eng_Latn-tha_Thai"
    code, report = _check("--text", str(source), "--tasks", tasks, "--data-dir", str(data))
    assert code == 1
    assert {name: t["doc_ids"] for name, t in report["tasks"].items()} == {
        "flores_eng_Latn-zho_Hans": [3, 300],
        "flores_zho_Hans-eng_Latn": [3, 300],
        "flores_eng_Latn-tha_Thai": [8],
    }
    assert report["char_ngram"] == {"han_kana": 20, "brahmic": 52}


def test_clean_text_exits_0_and_bad_input_exits_2(tmp_path: Path) -> None:
    data = need_shared_data()
    dev = data / "flores200" / "dev" / "eng_Latn.dev"
    code, report = _check("--text", str(dev), "--tasks", "flores_eng_Latn-lin_Latn", "--data-dir", str(data))
    assert code == 0 and report["contaminated"] is False
    assert report["sources"][0]["path"] == str(dev.resolve())  # recorded resolved
    bad = {
        ("--text", str(dev)): "--tasks: name the tasks",
        ("--text", str(tmp_path / "nope.txt"), "--tasks", "flores_lin"): "nope.txt does not exist",
        ("--text", str(dev), "--recipe", str(EXAMPLE), "--tasks", "flores_lin"): "exactly one of --recipe",
        ("--text", str(dev), "--tasks", "flores_xyz"): "unknown task 'flores_xyz'",
        ("--recipe", str(tmp_path / "missing.yaml")): "cannot read the recipe",
    }
    for args, message in bad.items():
        result = run_harness("contamination", *args, "--data-dir", str(data))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    merge = tmp_path / "merge.yaml"
    merge.write_text("recipe: merge\nbase_model: a\nadapted: b\ninstruct: c\n")
    result = run_harness("contamination", "--recipe", str(merge), "--tasks", "flores_lin")
    assert result.returncode == 2 and "trains on no text files" in result.stderr


def test_results_flag_a_checkpoint_trained_on_contaminated_text(tiny_model: Path, tmp_path: Path) -> None:
    """A checkpoint folder whose manifest carries the planted recipe's record, evaluated with
    `harness eval`: its results say contaminated; the base model's say nothing."""
    data = need_shared_data()
    recipe, _ = _planted_recipe(tmp_path, data)
    _, report = _check("--recipe", str(recipe))
    record = {k: v for k, v in report.items() if k != "seconds"}
    folder = tmp_path / "planted-cpt" / "checkpoint-2"
    shutil.copytree(tiny_model, folder)
    manifest = {"model_name": "planted-cpt", "step": 2, "recipe": {"name": "cpt", "contamination": record}}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for model in (folder, tiny_model):
        run_harness(
            "eval", "--model", str(model), "--tasks", "flores_lin", "--limit", "1", "--data-dir", str(data),
            check=True,
        )  # fmt: skip
    rows = json.loads(run_harness("results", "--format", "json", check=True).stdout)["results"]
    flags = {(r["model"], r["task"], r["contaminated"], r["contamination"]) for r in rows}
    assert flags == {
        ("planted-cpt", "flores_eng_Latn-lin_Latn", True, "yes (4/1012)"),
        ("planted-cpt", "flores_lin_Latn-eng_Latn", True, "yes (4/1012)"),
        ("tiny-llama", "flores_eng_Latn-lin_Latn", None, None),
        ("tiny-llama", "flores_lin_Latn-eng_Latn", None, None),
    }
    assert {tuple(r["contaminated_tasks"]) for r in rows if r["model"] == "planted-cpt"} == {FLORES_LIN}
    table = run_harness("results", "--model", "planted-cpt", check=True).stdout
    assert "contamination" in table and "yes (4/1012)" in table
