"""C-Eval task definitions: subjects and groups from the data, lm-eval's prompt, bad CSV rows with
file:line, task hash, C-Eval's macro average."""

import json
import shutil
from pathlib import Path

import pytest

from core.errors import HarnessError
from tasks import registry
from tasks.base import TaskOptions
from tasks.ceval.task import (
    CATEGORY_GROUPS,
    SUBJECTS_BY_CATEGORY,
    Ceval,
    ceval_macro_average,
    load_subject,
    read_csv,
    read_mapping,
)
from tests.conftest import SHARED_DATA, need_shared_data

HEADER = "id,question,A,B,C,D,answer"


def lm_eval_dir() -> Path:
    import lm_eval

    return Path(lm_eval.__file__).parent / "tasks" / "ceval"


def test_subjects_and_groups_come_from_the_mapping() -> None:
    groups = Ceval().groups(need_shared_data() / "ceval")
    assert len(groups["ceval"]) == 52 and "ceval_computer_network" in groups["ceval"]
    assert {g: len(m) for g, m in groups.items() if g != "ceval"} == {
        "ceval_stem": 20,
        "ceval_social_science": 10,
        "ceval_humanities": 11,
        "ceval_other": 11,
    }
    assert sorted(sum((groups[g] for g in CATEGORY_GROUPS.values()), [])) == sorted(groups["ceval"])
    assert Ceval().groups(None) == {}


def test_names_expand_through_the_registry() -> None:
    from harness.engine.data import resolve

    def expand(names: list[str]) -> list[str]:
        return [n for n, _ in registry.expand(names, lambda data_set: resolve(data_set, SHARED_DATA))]

    need_shared_data()
    assert len(expand(["ceval"])) == 52
    assert expand(["ceval_humanities"])[:2] == [
        "ceval_modern_chinese_history",
        "ceval_ideological_and_moral_cultivation",
    ]
    assert expand(["ceval_law", "ceval_humanities"])[0] == "ceval_law"
    with pytest.raises(HarnessError, match="did you mean.*ceval_law"):
        expand(["ceval_laww"])


def test_static_categories_match_the_data() -> None:
    mapping = read_mapping(need_shared_data() / "ceval")
    assert {
        c: tuple(s for s, v in mapping.items() if v[2] == c) for c in CATEGORY_GROUPS
    } == SUBJECTS_BY_CATEGORY


def test_lm_eval_has_the_same_subjects() -> None:
    import yaml

    group = yaml.safe_load((lm_eval_dir() / "_ceval-valid.yaml").read_text(encoding="utf-8"))
    ours = Ceval().groups(need_shared_data() / "ceval")["ceval"]
    assert [t.removeprefix("ceval-valid_") for t in group["task"]] == [t.removeprefix("ceval_") for t in ours]


def test_prompt_is_lm_evals_for_every_subject() -> None:
    from lm_eval.tasks._yaml_loader import load_yaml

    root = need_shared_data() / "ceval"
    for task in Ceval().groups(root)["ceval"]:
        subject = task.removeprefix("ceval_")
        theirs = load_yaml(lm_eval_dir() / f"ceval-valid_{subject}.yaml")
        ours = Ceval().lm_eval_config(task, root, TaskOptions())
        for key in (
            "description",
            "doc_to_text",
            "doc_to_choice",
            "doc_to_target",
            "validation_split",
            "fewshot_split",
            "fewshot_config",
            "output_type",
        ):
            assert ours[key] == theirs[key], (subject, key)
        assert "test_split" not in ours and "test_split" not in theirs  # val is scored
    assert ours["num_fewshot"] == 5  # ours; lm-eval's default is 0
    assert [m["metric"] for m in ours["metric_list"]] == ["acc"]


def test_real_rows_are_typed_like_the_csv_loader() -> None:
    rows = read_csv(need_shared_data() / "ceval" / "val" / "computer_network_val.csv")
    assert len(rows) == 19
    assert rows[0] == {
        "id": 0,
        "question": "使用位填充方法，以01111110为位首flag，"
        "数据为011011111111111111110010，求问传送时要添加几个0____",
        "A": "1",
        "B": "2",
        "C": "3",
        "D": "4",
        "answer": "C",
    }
    total = sum(len(read_csv(p)) for p in (SHARED_DATA / "ceval").glob("*/*.csv"))
    assert total == 1346 + 260
    dataset = load_subject(str(SHARED_DATA / "ceval"), "computer_network")
    assert {s: len(dataset[s]) for s in dataset} == {"val": 19, "dev": 5}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_answer_outside_a_to_d_names_file_and_line(tmp_path: Path) -> None:
    # Line 2 holds a value that spans two lines, so the bad row starts on line 4.
    text = f'{HEADER}\n0,"two\nlines",a,b,c,d,A\n1,q,a,b,c,d,E\n'
    path = _write(tmp_path / "val" / "law_val.csv", text)
    with pytest.raises(HarnessError, match=r"law_val\.csv:4: answer 'E' is not one of A, B, C, D"):
        read_csv(path)


def test_missing_column_or_value_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "id,question,A,B,C,D\n0,q,a,b,c,d\n")
    with pytest.raises(HarnessError, match=r"a\.csv:1: header has no column 'answer'"):
        read_csv(path)
    path = _write(tmp_path / "b.csv", f"{HEADER}\n0,q,a,b,c,d,A\n\n2,q,a,b,c,A\n")
    with pytest.raises(HarnessError, match=r"b\.csv:4: 6 values, the header has 7"):
        read_csv(path)
    path = _write(tmp_path / "c.csv", f"{HEADER}\n0,q,a,,c,d,A\n")
    with pytest.raises(HarnessError, match=r"c\.csv:2: column 'B' is empty"):
        read_csv(path)
    path = _write(tmp_path / "d.csv", f"{HEADER}\nx,q,a,b,c,d,A\n")
    with pytest.raises(HarnessError, match=r"d\.csv:2: id 'x' is not an integer"):
        read_csv(path)
    with pytest.raises(HarnessError, match=r"e\.csv:1: empty file"):
        read_csv(_write(tmp_path / "e.csv", ""))


def test_bad_mapping_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "subject_mapping.json", json.dumps({"law": ["Law", "法学", "Science"]}))
    with pytest.raises(HarnessError, match=r"subject_mapping\.json: subject 'law': category 'Science'"):
        Ceval().groups(tmp_path)
    _write(tmp_path / "subject_mapping.json", "{")
    with pytest.raises(HarnessError, match=r"subject_mapping\.json:1: not valid JSON"):
        Ceval().groups(tmp_path)
    with pytest.raises(HarnessError, match="data file missing"):
        Ceval().groups(tmp_path / "nowhere")


def _copy_subject(tmp_path: Path, subject: str) -> Path:
    real = need_shared_data() / "ceval"
    shutil.copy(real / "subject_mapping.json", tmp_path / "subject_mapping.json")
    for split in ("val", "dev"):
        (tmp_path / split).mkdir(exist_ok=True)
        shutil.copy(real / split / f"{subject}_{split}.csv", tmp_path / split)
    return tmp_path


def test_task_hash_follows_the_data(tmp_path: Path) -> None:
    root = _copy_subject(tmp_path, "law")
    first = Ceval().task_info("ceval_law", root, TaskOptions())
    assert set(first.data_files) == {"val/law_val.csv", "dev/law_dev.csv"}
    assert (
        first.task_hash
        == Ceval().task_info("ceval_law", need_shared_data() / "ceval", TaskOptions()).task_hash
    )
    assert "法学" in first.prompt_template
    with (root / "dev" / "law_dev.csv").open("a", encoding="utf-8") as handle:
        handle.write("5,q,a,b,c,d,A,why\n")
    assert Ceval().task_info("ceval_law", root, TaskOptions()).task_hash != first.task_hash
    with pytest.raises(HarnessError, match=r"data file missing: .*val/logic_val\.csv"):
        Ceval().task_info("ceval_logic", root, TaskOptions())
    with pytest.raises(HarnessError, match="unknown C-Eval subject 'poetry'"):
        Ceval().task_info("ceval_poetry", root, TaskOptions())


def test_macro_average_is_unweighted_over_subjects() -> None:
    results = {
        "ceval_computer_network": 0.5,  # STEM
        "ceval_college_physics": 1.0,  # STEM
        "ceval_law": 0.25,  # Humanities
        "xnli_en": 0.9,  # not C-Eval: ignored
        "ceval_stem": 0.1,  # a group name: ignored
    }
    assert ceval_macro_average(results) == {
        "ceval": pytest.approx((0.5 + 1.0 + 0.25) / 3),
        "ceval_stem": 0.75,
        "ceval_humanities": 0.25,
    }
    assert ceval_macro_average({}) == {}
    with pytest.raises(HarnessError, match="ceval_poetry"):
        ceval_macro_average({"ceval_poetry": 1.0})


def test_data_source_entry(tmp_path: Path) -> None:
    from harness.engine.data import resolve

    assert resolve("ceval", need_shared_data()) == SHARED_DATA / "ceval"
    with pytest.raises(HarnessError, match="ceval data not found: expected .*subject_mapping.json"):
        resolve("ceval", tmp_path)
    with pytest.raises(HarnessError, match="harness data fetch ceval"):
        resolve("ceval", tmp_path)
