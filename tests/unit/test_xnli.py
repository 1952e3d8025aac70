"""XNLI and AfriXNLI task definitions: names, discovery from the data, bad rows."""

import json
from pathlib import Path

import pytest

from core.errors import HarnessError
from tasks.base import TaskOptions
from tasks.xnli.task import XNLI_WORDS, AfriXnli, Xnli, load_nli
from tests.conftest import need_shared_data


def test_xnli_has_fifteen_languages_and_korean() -> None:
    assert Xnli().groups(None)["xnli"] == [f"xnli_{lang}" for lang in XNLI_WORDS]
    assert len(XNLI_WORDS) == 16 and "ko" in XNLI_WORDS


def test_xnli_prompt_is_lm_evals() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    for lang in ("en", "zh", "sw"):
        theirs = load_yaml(Path(lm_eval.__file__).parent / "tasks" / "xnli" / f"xnli_{lang}.yaml")
        ours = Xnli().lm_eval_config(f"xnli_{lang}", Path("/unused"), TaskOptions())
        assert (ours["doc_to_text"], ours["doc_to_choice"]) == (
            theirs["doc_to_text"],
            theirs["doc_to_choice"],
        )


def test_afrixnli_languages_come_from_the_data(tmp_path: Path) -> None:
    real = AfriXnli().groups(need_shared_data() / "afrixnli")["afrixnli"]
    assert "afrixnli_lin" in real and len(real) == 15
    (tmp_path / "xyz").mkdir()
    (tmp_path / "xyz" / "test.jsonl").write_text("")
    assert AfriXnli().groups(tmp_path) == {"afrixnli": ["afrixnli_xyz"]}


def test_default_split_is_test_and_validation_is_offered() -> None:
    root = need_shared_data() / "xnli"
    assert Xnli().lm_eval_config("xnli_en", root, TaskOptions())["test_split"] == "test"
    assert (
        Xnli().lm_eval_config("xnli_en", root, TaskOptions(split="validation"))["test_split"] == "validation"
    )
    with pytest.raises(HarnessError, match="--split"):
        Xnli().lm_eval_config("xnli_en", root, TaskOptions(split="train"))
    a = Xnli().task_info("xnli_en", root, TaskOptions()).task_hash
    b = Xnli().task_info("xnli_en", root, TaskOptions(split="validation")).task_hash
    assert a != b


def _rows(tmp_path: Path, rows: list[str]) -> Path:
    for split in ("validation", "test"):
        (tmp_path / "en").mkdir(exist_ok=True)
        (tmp_path / "en" / f"{split}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"premise": "a", "hypothesis": "b", "label": 0})
    bad = json.dumps({"premise": "a", "hypothesis": "b", "label": 3})
    with pytest.raises(HarnessError, match=r"en/validation\.jsonl:2: unknown label 3"):
        load_nli(str(_rows(tmp_path, [good, bad])), "en")


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"validation\.jsonl:1: not valid JSON"):
        load_nli(str(_rows(tmp_path, ["{premise"])), "en")
    with pytest.raises(HarnessError, match=r"validation\.jsonl:1: field 'hypothesis' missing"):
        load_nli(str(_rows(tmp_path, [json.dumps({"premise": "a", "label": 1})])), "en")
