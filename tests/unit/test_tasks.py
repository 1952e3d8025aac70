"""FLORES task registry: names, groups, prompts, data checks."""

from pathlib import Path

import pytest

from core.errors import HarnessError
from core.languages import FLORES_LANGUAGES
from tasks import registry
from tasks.flores import task as flores
from tests.conftest import SHARED_DATA, need_shared_data


def test_every_flores_language_has_both_directions() -> None:
    assert len(FLORES_LANGUAGES) == 205  # 204 languages + nqo_Nkoo, as in the official release
    directions = flores.all_directions()
    assert len(directions) == 2 * 204
    assert "flores_eng_Latn-lin_Latn" in directions and "flores_lin_Latn-eng_Latn" in directions


def test_language_codes_match_the_data_files() -> None:
    dev = need_shared_data() / "flores200" / "dev"
    assert {p.name.removesuffix(".dev") for p in dev.glob("*.dev")} == set(FLORES_LANGUAGES)


def expand(names: list[str]) -> list[str]:
    from harness.engine.data import resolve

    return [name for name, _ in registry.expand(names, lambda data_set: resolve(data_set, SHARED_DATA))]


def test_groups_by_iso_code() -> None:
    assert expand(["flores_lin"]) == ["flores_eng_Latn-lin_Latn", "flores_lin_Latn-eng_Latn"]
    # A language written in two scripts gets all four directions.
    assert len(expand(["flores_ace"])) == 4
    assert len(expand(["flores"])) == 408
    # Repeats are dropped, order kept.
    assert expand(["flores_eng_Latn-lin_Latn", "flores_lin"]) == expand(["flores_lin"])


def test_unknown_task_suggests_close_names() -> None:
    with pytest.raises(HarnessError, match="did you mean.*flores_lin"):
        expand(["flores_lni"])
    with pytest.raises(HarnessError, match="did you mean.*xnli"):
        expand(["xnlli"])


def test_prompt_is_the_versioned_template() -> None:
    assert flores.prompt_template("eng_Latn", "lin_Latn") == "English: {{src}}\nLingala:"
    assert flores.PROMPT_VERSION == "flores-prompt-v1"


def _write(root: Path, lang: str, split: str, lines: list[str]) -> None:
    path = flores.split_path(root, lang, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_misaligned_files_name_both_files(tmp_path: Path) -> None:
    for split in flores.SPLITS:
        _write(tmp_path, "eng_Latn", split, ["a", "b", "c"])
        _write(tmp_path, "lin_Latn", split, ["a", "b"])
    with pytest.raises(HarnessError, match=r"eng_Latn\.dev has 3 lines but .*lin_Latn\.dev has 2"):
        flores.load_pair(str(tmp_path), "eng_Latn", "lin_Latn")


def test_empty_line_names_file_and_line(tmp_path: Path) -> None:
    for split in flores.SPLITS:
        _write(tmp_path, "eng_Latn", split, ["a", "", "c"])
        _write(tmp_path, "lin_Latn", split, ["a", "b", "c"])
    with pytest.raises(HarnessError, match=r"eng_Latn\.dev:2: empty sentence"):
        flores.load_pair(str(tmp_path), "eng_Latn", "lin_Latn")


def test_pair_rows_are_aligned_real_data() -> None:
    root = need_shared_data() / "flores200"
    dataset = flores.load_pair(str(root), "eng_Latn", "lin_Latn")
    assert len(dataset["dev"]) == 997 and len(dataset["devtest"]) == 1012
    eng = (root / "devtest" / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    lin = (root / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines()
    assert dataset["devtest"][500] == {"id": 500, "src": eng[500], "tgt": lin[500]}


def test_task_hash_follows_the_data(tmp_path: Path) -> None:
    for split in flores.SPLITS:
        _write(tmp_path, "eng_Latn", split, ["a", "b"])
        _write(tmp_path, "lin_Latn", split, ["c", "d"])
    first, files = flores.task_hash("eng_Latn", "lin_Latn", tmp_path)
    assert set(files) == {
        "dev/eng_Latn.dev",
        "dev/lin_Latn.dev",
        "devtest/eng_Latn.devtest",
        "devtest/lin_Latn.devtest",
    }
    _write(tmp_path, "lin_Latn", "devtest", ["c", "e"])
    second, _ = flores.task_hash("eng_Latn", "lin_Latn", tmp_path)
    assert first != second


def test_lm_eval_config_drops_spbleu_without_its_model(tmp_path: Path) -> None:
    root = need_shared_data() / "flores200"
    without = flores.lm_eval_config("flores_eng_Latn-lin_Latn", root, with_spbleu=False)
    assert [m["metric"] for m in without["metric_list"]] == ["chrf++", "bleu"]
    assert without["generation_kwargs"] == {"until": ["\n"], "do_sample": False, "max_gen_toks": 256}
    assert without["test_split"] == "devtest" and without["fewshot_split"] == "dev"
    with_sp = flores.lm_eval_config("flores_eng_Latn-lin_Latn", root, with_spbleu=True)
    assert [m["metric"] for m in with_sp["metric_list"]] == ["chrf++", "bleu", "spbleu"]
