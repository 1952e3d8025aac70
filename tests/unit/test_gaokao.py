"""GAOKAO-Bench objective questions: the official extraction and points rules on hand-computed cases,
tasks discovered from the data (a new year without code changes), bad data, lm-eval configs, and the
harness's scoring of logged samples.

Expected answers and points below are worked out by hand from OpenLMLab/GAOKAO-Bench
`Bench/bench_function.py` (`extract_choice_answer`) and `Bench/OBJ_score_evaluation.py`
(`check_length_equal`, `count_score`, the Physics branch), not produced by the code under test.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import HarnessError
from harness.engine.data import resolve
from tasks import registry
from tasks.base import TaskInfo, TaskOptions
from tasks.gaokao import task as gaokao
from tasks.gaokao.data import discover, read_prompts, read_records
from tasks.gaokao.scoring import extract_answers, score_item
from tasks.gaokao.task import Gaokao, build_docs, load_file
from tests.conftest import need_shared_data

# Extraction: (output, question type, number of gold answers, what GAOKAO-Bench extracts).
EXTRACTION = [
    # single_choice: the last of A-D in the whole output (the reversed output's first), whatever
    # 【答案】 says; capital letters after D and lower case do not count; none: no answer.
    ("【解析】 B 不对，D 也不对 <eoe>\n【答案】 C <eoa>", "single_choice", 1, ["C"]),
    ("答案是A，不是B", "single_choice", 1, ["B"]),
    ("不知道", "single_choice", 1, []),
    ("", "single_choice", 1, []),
    ("【答案】 A <eoa>\n【解析】 因为 D 项错误", "single_choice", 1, ["D"]),  # after 【答案】 too
    ("【答案】 B <eoa>\nThe End", "single_choice", 1, ["B"]),  # E, T: not A-D
    ("the answer is b", "single_choice", 1, []),  # lower case
    ("ABCD", "single_choice", 1, ["D"]),
    ("选C。", "single_choice", 1, ["C"]),
    ("【答案】 E <eoa>", "single_choice", 1, []),
    # multi_question_choice: one letter per 【答案】 when the count fits ...
    (
        "（1）【答案】 B <eoa>\n（2）【答案】: A <eoa>\n（3）【答案】：D <eoa>",
        "multi_question_choice",
        3,
        ["B", "A", "D"],
    ),
    ("【答案】 D <eoa>\n【答案】 C <eoa>\n【答案】 A <eoa>", "multi_question_choice", 3, ["D", "C", "A"]),
    # ... else the first capital letters anywhere, as many as there are sub-questions (or fewer).
    ("The answers: C D A B", "multi_question_choice", 3, ["T", "C", "D"]),
    ("（1）【答案】 B <eoa>\n（2）【答案】 A <eoa>", "multi_question_choice", 3, ["B", "A"]),
    ("（1）【答案】 B <eoa>\n（2）【答案】 A <eoa>\n（3）【答案】 C", "multi_question_choice", 2, ["B", "A"]),
    ("", "multi_question_choice", 2, []),
    # multi_choice: all A-D from 【答案】 on, whitespace removed, as one string ...
    ("【解析】A对，B错<eoe>\n【答案】 A B <eoa>", "multi_choice", 1, ["AB"]),
    ("【解析】……<eoe>\n【答案】 AC <eoa>\n另：D 不选", "multi_choice", 1, ["ACD"]),
    # ... or, when 【答案】 is absent or opens the output, all A-D of its last 10 characters.
    ("我认为选 B 和 D", "multi_choice", 1, ["BD"]),
    ("【答案】 B <eoa> 因为D是错的所以不选", "multi_choice", 1, ["D"]),
    ("不知道", "multi_choice", 1, []),
    # five_out_of_seven: the first five of A-G.
    ("【答案】 A C G E F <eoa>", "five_out_of_seven", 5, ["A", "C", "G", "E", "F"]),
    ("ABDFGC", "five_out_of_seven", 5, ["A", "B", "D", "F", "G"]),
    ("答案：A B C", "five_out_of_seven", 5, ["A", "B", "C"]),
    ("Hello", "five_out_of_seven", 5, []),
]


@pytest.mark.parametrize(("output", "question_type", "length", "expected"), EXTRACTION)
def test_extraction_follows_gaokao_bench(
    output: str, question_type: str, length: int, expected: list[str]
) -> None:
    assert extract_answers(output, question_type, length) == expected


# Points: (extracted, gold, score per answer, the file's subject, points earned, points available,
# exact answers). OBJ_score_evaluation.py: `count_score` (the record's score per exact answer) for
# every subject but Physics; Physics: 6 exact, 3 for some gold letters and no wrong one, else 0.
POINTS = [
    # single choice: the record's score or nothing.
    (["B"], ["B"], 5, "math", 5.0, 5.0, 1),
    (["C"], ["B"], 5, "math", 0.0, 5.0, 0),
    ([], ["B"], 5, "biology", 0.0, 5.0, 0),  # nothing extracted: graded Z
    # 7-choose-5 worth 2 per blank: blanks 1, 2 and 5 right of 5 -> 6 of 10.
    (["A", "G", "B", "E", "C"], ["A", "G", "E", "B", "C"], 2, "english", 6.0, 10.0, 3),
    (["A", "G", "E", "B", "C"], ["A", "G", "E", "B", "C"], 2.5, "english", 12.5, 12.5, 5),
    # Four letters for five blanks: the length check blanks them all -> 0 of 10.
    (["A", "G", "E", "B"], ["A", "G", "E", "B", "C"], 2, "english", 0.0, 10.0, 0),
    # A reading record of four questions worth 2 each, one right -> 2 of 8.
    (["B", "A", "A", "A"], ["B", "C", "D", "B"], 2, "english", 2.0, 8.0, 1),
    # Geography, three questions worth 4 each, two right -> 8 of 12.
    (["B", "A", "A"], ["B", "A", "D"], 4, "geography", 8.0, 12.0, 2),
    # Fill-in-blanks, 20 blanks worth 1.5 each, 13 right -> 19.5 of 30.
    (
        list("ABCDABCDABCDA") + list("DDDDDDD"),
        list("ABCDABCDABCDA") + list("ABCABCA"),
        1.5,
        "english",
        19.5,
        30.0,
        13,
    ),
    # Too few answers for the sub-questions: nothing -> 0 of 6.
    (["B"], ["B", "C"], 3, "chinese", 0.0, 6.0, 0),
    # Physics multi-answer worth 6: all of the gold and nothing else 6, part of it and nothing wrong 3.
    (["AC"], ["AC"], 6, "physics", 6.0, 6.0, 1),
    (["A"], ["AC"], 6, "physics", 3.0, 6.0, 0),
    (["CA"], ["AC"], 6, "physics", 3.0, 6.0, 0),  # the official string comparison: order matters
    (["AB"], ["AC"], 6, "physics", 0.0, 6.0, 0),
    (["ACD"], ["AC"], 6, "physics", 0.0, 6.0, 0),
    (["B"], ["B"], 6, "physics", 6.0, 6.0, 1),
    (["A"], ["B"], 6, "physics", 0.0, 6.0, 0),
    ([], ["B"], 6, "physics", 0.0, 6.0, 0),  # Z is not in the gold: 0
    # A multi-answer Math item (as 2024's): no partial credit outside Physics, right or wrong.
    (["A"], ["AC"], 5, "math", 0.0, 5.0, 0),
    (["AC"], ["AC"], 5, "math", 5.0, 5.0, 1),
    (["CA"], ["AC"], 6, "math", 0.0, 6.0, 0),
]


@pytest.mark.parametrize(("extracted", "gold", "score", "subject", "points", "available", "right"), POINTS)
def test_points_follow_gaokao_bench(
    extracted: list[str],
    gold: list[str],
    score: float,
    subject: str,
    points: float,
    available: float,
    right: int,
) -> None:
    item = score_item(extracted, gold, score, subject)
    assert (item.points, item.points_available, item.right) == (points, available, right)
    assert item.acc == right / len(gold) and item.sub_questions == len(gold)


def test_length_check_grades_z() -> None:
    item = score_item(["A", "B"], ["A", "B", "C"], 2, "english")
    assert item.extracted == ["A", "B"] and item.graded == ["Z", "Z", "Z"]


# Fabricated data in the official layout.

PREFIXES = {
    "single_choice": "请你做一道选择题\n题目如下：",
    "multi_question_choice": "请你做一道阅读题，其中包含两个小题。\n",
    "five_out_of_seven": "请回答下面的问题。\n",
    "multi_choice": "请你做一道物理选择题。\n",
}


def record(
    answer: list[str], score: float = 2, question: str = " 1. 问题？\nA. a\nB. b\nC. c\nD. d \n"
) -> dict[str, Any]:
    return {
        "year": "2031",
        "category": "全国卷",
        "question": question,
        "answer": answer,
        "analysis": "",
        "index": 0,
        "score": score,
    }


def write_file(folder: Path, keyword: str, records: list[Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{keyword}.json"
    path.write_text(
        json.dumps({"keywords": keyword, "example": records}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def write_prompts(path: Path, entries: dict[str, str], prefixes: dict[str, str] = PREFIXES) -> None:
    examples = [{"type": t, "keyword": k, "prefix_prompt": prefixes[t]} for k, t in entries.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"examples": examples}, ensure_ascii=False), encoding="utf-8")


def fabricated(tmp_path: Path, with_update: bool = True) -> Path:
    """A data root with two base files, model outputs to ignore, and (optionally) a 2031 update."""
    base = tmp_path / "gaokao_bench"
    write_file(base / "Objective_Questions", "2010-2022_Biology_MCQs", [record(["B"], 6), record(["D"], 6)])
    write_file(base / "Objective_Questions", "2012-2022_English_Reading_Comp", [record(["A", "C"])])
    write_file(base / "Objective_Questions", "gemini-pro_2010-2022_Biology_MCQs", [record(["B"])])
    (base / "Objective_Questions" / "notes.txt").write_text("not a question file", encoding="utf-8")
    write_prompts(
        base / "Obj_Prompt.json",
        {
            "2010-2022_Biology_MCQs": "single_choice",
            "2012-2022_English_Reading_Comp": "multi_question_choice",
        },
    )
    if with_update:
        updates = tmp_path / "gaokao_bench_updates"
        write_file(updates / "GAOKAO-Bench-2031", "2031_English_Cloze_Test", [record(list("AGEBC"), 2.5)])
        write_file(updates / "GAOKAO-Bench-2031", "2031_Political_Science_MCQs", [record(["C"], 4)])
        write_file(updates / "misc", "2031_Math_MCQs", [record(["A"])])  # not a GAOKAO-Bench-<year> folder
        write_prompts(
            updates / "2031_Obj_Prompt.json",
            {"2031_English_Cloze_Test": "five_out_of_seven", "2031_Political_Science_MCQs": "single_choice"},
        )
    return base


def test_a_new_year_folder_becomes_tasks_without_code_changes(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    groups = Gaokao().groups(root)
    base = ["gaokao_2010-2022_biology_mcqs", "gaokao_2012-2022_english_reading_comp"]
    new = ["gaokao_2031_english_cloze_test", "gaokao_2031_political_science_mcqs"]
    ll_bio, ll_pol = "gaokao_ll_2010-2022_biology_mcqs", "gaokao_ll_2031_political_science_mcqs"
    assert (
        groups
        == {
            "gaokao": base,  # the 2010-2022 paper set only
            "gaokao_2010-2022": base,
            "gaokao_2031": new,
            "gaokao_biology": base[:1],
            "gaokao_english": [base[1], new[0]],
            "gaokao_politics": new[1:],
            # The loglikelihood twins: single choice by loglikelihood, the other files the same tasks.
            "gaokao_ll": [ll_bio, base[1]],
            "gaokao_ll_2010-2022": [ll_bio, base[1]],
            "gaokao_ll_2031": [new[0], ll_pol],
            "gaokao_ll_biology": [ll_bio],
            "gaokao_ll_english": [base[1], new[0]],
            "gaokao_ll_politics": [ll_pol],
        }
    )
    files = {f.task: f for f in discover(root)}
    assert files[new[0]].prompt_file == tmp_path / "gaokao_bench_updates" / "2031_Obj_Prompt.json"
    fam = Gaokao()
    assert fam.owns(new[0], root) and not fam.owns("gaokao_2031_math_mcqs", root)
    assert fam.owns(ll_pol, root) and not fam.owns("gaokao_ll_2031_english_cloze_test", root)
    assert {n: fam.group_rule(n) for n in groups} == dict.fromkeys(groups, "points_sum")
    info = fam.task_info(new[0], root, TaskOptions())
    assert info.data_files.keys() == {
        "gaokao_bench_updates/GAOKAO-Bench-2031/2031_English_Cloze_Test.json",
        "gaokao_bench_updates/2031_Obj_Prompt.json",
    }
    config = fam.lm_eval_config(new[0], root, TaskOptions())
    assert config["output_type"] == "generate_until"
    dataset = config["custom_dataset"]()
    assert dataset["test"][0]["query"] == "1. 问题？\nA. a\nB. b\nC. c\nD. d\n"
    assert dataset["test"][0]["prefix"] == "请回答下面的问题。\n" and config["description"] == "prefix"
    assert dataset["test"][0]["answer"] == list("AGEBC") and dataset["test"][0]["score"] == 2.5

    # Without the updates folder, the base release alone.
    other = fabricated(tmp_path / "alone", with_update=False)
    assert Gaokao().groups(other)["gaokao"] == base
    assert "gaokao_2031" not in Gaokao().groups(other)


def test_registry_routes_gaokao_names_and_leaves_agieval_alone(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    assert registry.family_of_name("gaokao_2031_english_cloze_test") is registry.family("gaokao")
    assert registry.family_of_name("agieval_gaokao_physics") is registry.family("agieval")
    assert registry.family("gaokao").discovered and registry.family("gaokao").data_set == "gaokao_bench"
    expanded = registry.expand(["gaokao_english", "gaokao_2010-2022_biology_mcqs"], lambda _: root)
    assert [n for n, _ in expanded] == [
        "gaokao_2012-2022_english_reading_comp",
        "gaokao_2031_english_cloze_test",
        "gaokao_2010-2022_biology_mcqs",
    ]
    with pytest.raises(HarnessError, match="did you mean.*gaokao_2012-2022_english_reading_comp"):
        registry.expand(["gaokao_2012-2022_english_reading"], lambda _: root)
    expanded = registry.expand(["gaokao_ll_2031"], lambda _: root)
    assert [n for n, _ in expanded] == [
        "gaokao_2031_english_cloze_test",
        "gaokao_ll_2031_political_science_mcqs",
    ]


def test_data_source_is_the_official_repositories(tmp_path: Path) -> None:
    [source] = Gaokao().sources
    repos = [(d.repo, d.optional) for d in source.downloads]
    assert repos == [
        ("OpenLMLab/GAOKAO-Bench", False),
        ("OpenLMLab/GAOKAO-Bench-2023", True),
        ("OpenLMLab/GAOKAO-Bench-Updates", True),  # the 2024 update, pinned from SHA256SUMS.unseen
    ]
    with pytest.raises(HarnessError, match=r"gaokao_bench/Obj_Prompt\.json.*harness data fetch gaokao_bench"):
        resolve("gaokao_bench", tmp_path)


def test_default_single_choice_generates_with_the_prefix_as_description(tmp_path: Path) -> None:
    """bench_function.py `choice_test`: the prefix prompt as the system message (or before the
    question without a chat template), `question.strip() + '\\n'` as the user message; generated."""
    root = fabricated(tmp_path)
    config = Gaokao().lm_eval_config("gaokao_2010-2022_biology_mcqs", root, TaskOptions())
    assert config["output_type"] == "generate_until" and config["description"] == "prefix"
    assert config["generation_kwargs"]["max_gen_toks"] == 1024 and config["generation_kwargs"]["until"] == []
    docs = list(config["custom_dataset"]()["test"])
    assert docs[0]["query"] == "1. 问题？\nA. a\nB. b\nC. c\nD. d\n"
    assert docs[0]["prefix"] == "请你做一道选择题\n题目如下："
    # Scored by extraction: the last of A-D; document 0's gold is B.
    assert gaokao.process_results_generation(docs[0], ["【答案】 A <eoa> 不对，是B"])["points"] == 6.0
    assert gaokao.process_results_generation(docs[0], ["【答案】 B <eoa> 不是D"])["points"] == 0.0


def test_lm_eval_places_the_prefix_as_system_turn_or_before_the_question(tmp_path: Path) -> None:
    """lm-eval's own prompt building (`ConfigurableTask.fewshot_context`) on our config."""
    from lm_eval.api.task import ConfigurableTask

    root = fabricated(tmp_path)
    config = Gaokao().lm_eval_config("gaokao_2010-2022_biology_mcqs", root, TaskOptions())
    task = ConfigurableTask(config={**config, "num_fewshot": 0})
    doc = task.test_docs()[0]
    plain = task.fewshot_context(doc, 0)
    assert plain == "请你做一道选择题\n题目如下：1. 问题？\nA. a\nB. b\nC. c\nD. d\n"
    seen: list[Any] = []

    def template(messages: list[dict[str, str]], **_: Any) -> str:
        seen.append(messages)
        return "x"

    task.fewshot_context(doc, 0, apply_chat_template=True, chat_template=template)
    assert seen == [
        [
            {"role": "system", "content": "请你做一道选择题\n题目如下："},
            {"role": "user", "content": "1. 问题？\nA. a\nB. b\nC. c\nD. d\n"},
        ]
    ]


def test_prompt_is_the_official_prefix_question_and_answer_slot(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    fam = Gaokao()
    config = fam.lm_eval_config("gaokao_ll_2010-2022_biology_mcqs", root, TaskOptions())
    assert "description" not in config
    assert (config["output_type"], config["doc_to_choice"], config["doc_to_target"]) == (
        "multiple_choice",
        "{{choices}}",
        "{{gold}}",
    )
    docs = list(config["custom_dataset"]()["test"])
    assert docs[0]["query"] == "请你做一道选择题\n题目如下：1. 问题？\nA. a\nB. b\nC. c\nD. d\n【答案】"
    assert [d["gold"] for d in docs] == [1, 3] and docs[0]["choices"] == ["A", "B", "C", "D"]
    generation = fam.lm_eval_config("gaokao_2012-2022_english_reading_comp", root, TaskOptions())
    assert generation["generation_kwargs"] == {
        "until": [],
        "max_gen_toks": 1024,
        "do_sample": False,
        "temperature": 0.0,
    }
    assert [m["metric"] for m in generation["metric_list"]] == ["acc", "points", "points_available"]


def test_task_hash_follows_data_and_prompt(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    fam = Gaokao()
    name = "gaokao_ll_2010-2022_biology_mcqs"
    first = fam.task_info(name, root, TaskOptions())
    default = fam.task_info("gaokao_2010-2022_biology_mcqs", root, TaskOptions())
    assert default.task_hash != first.task_hash
    assert default.prompt_template == "请你做一道选择题\n题目如下：{question}\n"
    assert (
        first.version == gaokao.VERSION
        and first.task_hash == fam.task_info(name, root, TaskOptions()).task_hash
    )
    assert first.prompt_template.endswith("题目如下：{question}\n【答案】 {A|B|C|D}")
    write_file(root / "Objective_Questions", "2010-2022_Biology_MCQs", [record(["C"], 6)])
    second = fam.task_info(name, root, TaskOptions())
    assert second.task_hash != first.task_hash
    write_prompts(
        root / "Obj_Prompt.json",
        {
            "2010-2022_Biology_MCQs": "single_choice",
            "2012-2022_English_Reading_Comp": "multi_question_choice",
        },
        {**PREFIXES, "single_choice": "请你做一道生物选择题\n题目如下："},
    )
    assert fam.task_info(name, root, TaskOptions()).task_hash != second.task_hash


BAD_RECORDS = [
    ("single_choice", "not a record", "not a JSON object"),
    ("single_choice", {**record(["B"]), "question": "  "}, "field 'question' missing or empty"),
    ("single_choice", {**record(["B"]), "answer": "B"}, "field 'answer' is not a non-empty list"),
    ("single_choice", record([]), "field 'answer' is not a non-empty list"),
    ("single_choice", record(["E"]), r"unknown answer label 'E' \(one of A, B, C, D\)"),
    ("single_choice", record(["b"]), "unknown answer label 'b'"),
    ("single_choice", record(["A", "B"]), "a single_choice record has one answer, found 2"),
    ("single_choice", record(["B"], 0), r"field 'score' is not a positive number \(0\)"),
    ("single_choice", {**record(["B"]), "score": "6"}, "field 'score' is not a positive number"),
    ("multi_question_choice", record(["A", "AB"]), "unknown answer label 'AB'"),
    ("multi_choice", record(["AE"]), r"unknown answer label 'AE' \(distinct letters of A, B, C, D\)"),
    ("multi_choice", record(["AA"]), "unknown answer label 'AA'"),
    ("five_out_of_seven", record(list("ABCDH")), r"unknown answer label 'H' \(one of A, B, C, D, E, F, G\)"),
    ("five_out_of_seven", record(list("ABCD")), "a five_out_of_seven record has five answers, found 4"),
    ("five_out_of_seven", record(list("ABCDA")), r"answer \[.A., .B., .C., .D., .A.\] repeats a letter"),
]


@pytest.mark.parametrize(("question_type", "bad", "message"), BAD_RECORDS)
def test_bad_records_name_file_and_index(tmp_path: Path, question_type: str, bad: Any, message: str) -> None:
    good = record(list("ABCDE") if question_type == "five_out_of_seven" else ["A"])
    path = write_file(tmp_path, "2031_Test_MCQs", [good, good, bad])
    with pytest.raises(HarnessError, match=rf"2031_Test_MCQs\.json: example\[2\]: {message}"):
        read_records(path, question_type)


def test_bad_files_and_prompts_name_the_file(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    fam = Gaokao()
    name = "gaokao_2010-2022_biology_mcqs"
    path = root / "Objective_Questions" / "2010-2022_Biology_MCQs.json"
    path.write_text('{"example": [', encoding="utf-8")
    with pytest.raises(HarnessError, match=r"2010-2022_Biology_MCQs\.json: not valid JSON"):
        fam.task_info(name, root, TaskOptions())
    path.write_text('{"examples": []}', encoding="utf-8")
    with pytest.raises(HarnessError, match=r"2010-2022_Biology_MCQs\.json: no 'example' list"):
        fam.task_info(name, root, TaskOptions())
    path.write_text('{"example": []}', encoding="utf-8")
    with pytest.raises(HarnessError, match=r"2010-2022_Biology_MCQs\.json: 'example' is empty"):
        fam.task_info(name, root, TaskOptions())
    write_file(path.parent, path.stem, [record(["B"]), record(["F"])])
    with pytest.raises(
        HarnessError, match=r"2010-2022_Biology_MCQs\.json: example\[1\]: unknown answer label 'F'"
    ):
        fam.task_info(name, root, TaskOptions())  # before any model is loaded
    path.unlink()  # gone after discovery
    with pytest.raises(HarnessError, match=r"data file missing: .*2010-2022_Biology_MCQs\.json"):
        load_file(str(path), str(root / "Obj_Prompt.json"), path.stem, "biology", False)
    write_file(path.parent, path.stem, [record(["B"])])

    prompts = root / "Obj_Prompt.json"
    write_prompts(prompts, {"2012-2022_English_Reading_Comp": "multi_question_choice"})
    with pytest.raises(
        HarnessError, match=r"Obj_Prompt\.json: no entry with keyword '2010-2022_Biology_MCQs'"
    ):
        fam.task_info(name, root, TaskOptions())
    prompts.write_text(
        json.dumps({"examples": [{"type": "cloze", "keyword": "x", "prefix_prompt": ""}]}), "utf-8"
    )
    with pytest.raises(HarnessError, match=r"Obj_Prompt\.json: examples\[0\]: type 'cloze' is none of"):
        read_prompts(prompts)
    prompts.unlink()
    with pytest.raises(HarnessError, match=r"prompt file missing: .*gaokao_bench/Obj_Prompt\.json"):
        fam.task_info(name, root, TaskOptions())
    with pytest.raises(HarnessError, match="no objective question files"):
        discover(tmp_path / "empty" / "gaokao_bench")


def test_same_task_from_two_collections_is_an_error(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    write_file(
        tmp_path / "gaokao_bench_updates" / "GAOKAO-Bench-2032", "2031_English_Cloze_Test", [record(["A"])]
    )
    with pytest.raises(HarnessError, match="both make the task gaokao_2031_english_cloze_test"):
        discover(root)


# The harness's scoring of lm-eval's logged samples.


def info(name: str) -> TaskInfo:
    return TaskInfo(name, "gaokao", gaokao.VERSION, "h", {}, "")


def logged(name: str, docs: list[dict[str, Any]], responses: list[Any]) -> dict[str, Any]:
    """lm-eval's output for `docs`: per-choice loglikelihoods or a generation per document, with
    lm-eval's per-sample metrics from the task's own process_results."""
    samples: list[dict[str, Any]] = []
    for i, (doc, resp) in enumerate(zip(docs, responses, strict=True)):
        if doc["loglikelihood"]:
            metrics = gaokao.process_results_choice(doc, [(v, False) for v in resp])
            extra = {
                "arguments": [(doc["query"], " " + c) for c in doc["choices"]],
                "resps": [[(v, False)] for v in resp],
            }
        else:
            metrics = gaokao.process_results_generation(doc, [resp])
            extra = {"arguments": [(doc["query"], {})], "resps": [[resp]], "filtered_resps": [resp]}
        samples.append({"doc_id": i, "doc_hash": f"h{i}", "doc": doc, **extra, **metrics})
    results = {
        "acc,none": sum(s["acc"] for s in samples) / len(samples),
        "points,none": sum(s["points"] for s in samples),
        "points_available,none": sum(s["points_available"] for s in samples),
    }
    return {"samples": {name: samples}, "results": {name: results}}


def test_collect_single_choice_points(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    name = "gaokao_ll_2010-2022_biology_mcqs"
    docs = build_docs(
        root / "Objective_Questions" / "2010-2022_Biology_MCQs.json",
        read_prompts(root / "Obj_Prompt.json")["2010-2022_Biology_MCQs"],
        "biology",
        True,
    )
    # Document 0 (gold B): B is the top letter, 6 of 6. Document 1 (gold D): A, 0 of 6.
    output = logged(name, docs, [[-3.0, -1.0, -2.0, -5.0], [-1.0, -2.0, -3.0, -1.5]])
    outcome = Gaokao().collect(name, output, info(name))
    metrics = {m.metric: m.value for m in outcome.metrics}
    assert metrics == {"acc": 0.5, "points": 6.0, "points_available": 12.0, "points_rate": 0.5}
    first, second = outcome.samples
    assert (first.output, first.target, first.scores["extracted"], first.scores["gold"]) == (
        "B",
        "B",
        ["B"],
        ["B"],
    )
    assert (second.scores["points"], second.scores["points_available"]) == (0.0, 6.0)
    assert second.scores["loglikelihoods"] == [-1.0, -2.0, -3.0, -1.5]

    output["samples"][name][1]["points"] = 6.0
    with pytest.raises(HarnessError, match="document 1: lm-eval points 6.0 but harness 0.0"):
        Gaokao().collect(name, output, info(name))


def test_collect_generated_single_choice_and_physics_half_credit(tmp_path: Path) -> None:
    root = fabricated(tmp_path)
    name = "gaokao_2010-2022_biology_mcqs"
    entry = read_prompts(root / "Obj_Prompt.json")["2010-2022_Biology_MCQs"]
    docs = build_docs(root / "Objective_Questions" / "2010-2022_Biology_MCQs.json", entry, "biology", False)
    # Gold B then D: "...B <eoa>" -> B, 6; "C 还是 D？我选A" -> A (the last of A-D), 0.
    output = logged(name, docs, ["【答案】 B <eoa>", "C 还是 D？我选A"])
    outcome = Gaokao().collect(name, output, info(name))
    metrics = {m.metric: m for m in outcome.metrics}
    assert (metrics["points"].value, metrics["points_available"].value) == (6.0, 12.0)
    assert metrics["acc"].signature.endswith("greedy-generation|gaokao-bench-extraction:single_choice")
    assert [s.scores["extracted"] for s in outcome.samples] == [["B"], ["A"]]

    physics = [
        {**docs[0], "type": "multi_choice", "subject": "physics", "answer": ["AC"], "target": "AC"},
        {**docs[0], "type": "multi_choice", "subject": "physics", "answer": ["BD"], "target": "BD"},
    ]
    # 【答案】 A: some gold letters, none wrong: 3 of 6; "...【答案】 B D" -> BD: 6 of 6.
    output = logged(
        "gaokao_2031_physics_mcqs", physics, ["【解析】…<eoe>\n【答案】 A <eoa>", "x【答案】 B D"]
    )
    outcome = Gaokao().collect("gaokao_2031_physics_mcqs", output, info("gaokao_2031_physics_mcqs"))
    metrics = {m.metric: m for m in outcome.metrics}
    assert (metrics["points"].value, metrics["points_available"].value) == (9.0, 12.0)
    assert "half-credit-partly-right" in metrics["points"].signature


def test_meta_names_the_protocol() -> None:
    fam = Gaokao()
    default, ll = fam.meta("gaokao_2010-2022_biology_mcqs"), fam.meta("gaokao_ll_2010-2022_biology_mcqs")
    assert default.protocol.startswith("GAOKAO-Bench official") and "generation" in default.protocol
    assert ll.protocol.startswith("OpenCompass") and "not GAOKAO-Bench" in ll.protocol
    assert (default.primary_metric, default.sample_metric) == ("points_rate", "points/points_available")
    assert fam.meta("gaokao_ll_2010-2013_english_mcqs").language == "eng_Latn"
    assert default.language == "zho_Hans" and default.family == "gaokao"


def test_collect_generation_points_per_sub_question() -> None:
    name = "gaokao_2031_english_reading_comp"
    docs = [
        {
            "index": 0,
            "year": "2031",
            "type": "multi_question_choice",
            "subject": "english",
            "loglikelihood": False,
            "answer": ["B", "C", "A", "D"],
            "target": "B C A D",
            "score": 2.5,
            "query": "q0",
        },
        {
            "index": 1,
            "year": "2031",
            "type": "multi_question_choice",
            "subject": "english",
            "loglikelihood": False,
            "answer": ["A", "B"],
            "target": "A B",
            "score": 2.0,
            "query": "q1",
        },
    ]
    outputs = [
        "（1）【答案】 B <eoa>\n（2）【答案】 A <eoa>\n（3）【答案】 A <eoa>\n（4）【答案】 C <eoa>",
        "不会",
    ]
    output = logged(name, docs, outputs)
    outcome = Gaokao().collect(name, output, info(name))
    metrics = {m.metric: m for m in outcome.metrics}
    # Record 0: questions 1 and 3 right, 5 of 10; record 1: no capital letter, 0 of 4.
    assert metrics["points"].value == 5.0 and metrics["points_available"].value == 14.0
    assert metrics["points_rate"].value == pytest.approx(5 / 14)
    assert metrics["acc"].value == pytest.approx((2 / 4 + 0) / 2) and metrics["acc"].n == 2
    assert "sub-questions-exact" in metrics["acc"].signature
    first = outcome.samples[0]
    assert first.scores["extracted"] == ["B", "A", "A", "C"] and first.scores["right"] == 2
    assert first.target == "B C A D" and first.output == outputs[0]
    assert outcome.samples[1].scores["graded"] == ["Z", "Z"]

    output["results"][name]["points,none"] = 7.5
    with pytest.raises(HarnessError, match="points: lm-eval aggregated 7.5, harness 5.0"):
        Gaokao().collect(name, output, info(name))


# The real data.

BASE = [
    "2010-2013_English_MCQs",
    "2010-2022_Biology_MCQs",
    "2010-2022_Chemistry_MCQs",
    "2010-2022_Chinese_Lang_and_Usage_MCQs",
    "2010-2022_Chinese_Modern_Lit",
    "2010-2022_English_Fill_in_Blanks",
    "2010-2022_English_Reading_Comp",
    "2010-2022_Geography_MCQs",
    "2010-2022_History_MCQs",
    "2010-2022_Math_II_MCQs",
    "2010-2022_Math_I_MCQs",
    "2010-2022_Physics_MCQs",
    "2010-2022_Political_Science_MCQs",
    "2012-2022_English_Cloze_Test",
]
UPDATE_2023 = {
    # GAOKAO-Bench-2023's README: type and number of (sub-)questions per file.
    "2023_Math_MCQs": ("single_choice", 49),
    "2023_History_MCQs": ("single_choice", 33),
    "2023_Biology_MCQs": ("single_choice", 15),
    "2023_Political_Science_MCQs": ("single_choice", 29),
    "2023_Physics_MCQs": ("multi_choice", 11),
    "2023_Chemistry_MCQs": ("single_choice", 9),
    "2023_Chinese_Modern_Lit": ("multi_question_choice", 12),
    "2023_English_Fill_in_Blanks": ("multi_question_choice", 70),
    "2023_English_Cloze_Test": ("five_out_of_seven", 20),
    "2023_Geography_MCQs": ("multi_question_choice", 17),
    "2023_English_Reading_Comp": ("multi_question_choice", 60),
    "2023_Chinese_Lang_and_Usage_MCQs": ("multi_question_choice", 4),
}


OPENCOMPASS_POINTS = {
    # open-compass/opencompass `opencompass/configs/summarizers/groups/GaokaoBench.py`: the weight of
    # each 2010-2022 file in its GaokaoBench score, its full marks.
    "2010-2022_Math_II_MCQs": 1090,
    "2010-2022_Math_I_MCQs": 1070,
    "2010-2022_History_MCQs": 1148,
    "2010-2022_Biology_MCQs": 900,
    "2010-2022_Political_Science_MCQs": 1280,
    "2010-2022_Physics_MCQs": 384,
    "2010-2022_Chemistry_MCQs": 744,
    "2010-2013_English_MCQs": 105,
    "2010-2022_Chinese_Modern_Lit": 261,
    "2010-2022_English_Fill_in_Blanks": 900,
    "2012-2022_English_Cloze_Test": 260,
    "2010-2022_Geography_MCQs": 380,
    "2010-2022_English_Reading_Comp": 940,
    "2010-2022_Chinese_Lang_and_Usage_MCQs": 240,
}


def test_real_data_full_marks_are_opencompass_weights() -> None:
    root = need_shared_data() / "gaokao_bench"
    prompts = read_prompts(root / "Obj_Prompt.json")
    full = {}
    for keyword in OPENCOMPASS_POINTS:
        entry = prompts[keyword]
        subject = keyword.split("_")[1].lower()
        docs = build_docs(root / "Objective_Questions" / f"{keyword}.json", entry, subject, False)
        items = [score_item(d["answer"], d["answer"], d["score"], d["subject"]) for d in docs]
        assert all(i.points == i.points_available for i in items)  # the gold answers earn every point
        full[keyword] = sum(i.points_available for i in items)
    assert full == OPENCOMPASS_POINTS


def test_real_data_lists_all_14_and_12_files() -> None:
    root = need_shared_data() / "gaokao_bench"
    files = discover(root)
    assert [f.keyword for f in files] == BASE + sorted(UPDATE_2023)
    assert len(files) == 26
    groups = Gaokao().groups(root)
    # `gaokao` is the paper's 2010-2022 set; the 2023 update is a group of its own.
    assert groups["gaokao"] == [f"gaokao_{k.lower()}" for k in BASE]
    assert groups["gaokao_2010-2022"] == groups["gaokao"]
    assert groups["gaokao_2023"] == [f"gaokao_{k.lower()}" for k in sorted(UPDATE_2023)]
    single = [k for k in BASE if k != "2010-2022_Physics_MCQs" and k.endswith("_MCQs")]
    single = [k for k in single if "Geography" not in k and "Chinese" not in k]
    assert len(single) == 7  # the seven single_choice files of Obj_Prompt.json
    assert sorted(groups["gaokao_ll"]) == sorted(
        [f"gaokao_ll_{k.lower()}" for k in single] + [f"gaokao_{k.lower()}" for k in BASE if k not in single]
    )
    assert len(groups["gaokao_ll_2023"]) == 12
    assert sum(t.startswith("gaokao_ll_") for t in groups["gaokao_ll_2023"]) == 5
    assert groups["gaokao_english"] == [
        "gaokao_2010-2013_english_mcqs",
        "gaokao_2010-2022_english_fill_in_blanks",
        "gaokao_2010-2022_english_reading_comp",
        "gaokao_2012-2022_english_cloze_test",
        "gaokao_2023_english_cloze_test",
        "gaokao_2023_english_fill_in_blanks",
        "gaokao_2023_english_reading_comp",
    ]
    subjects = {g for g in groups if not g[len("gaokao_") :][:1].isdigit() and "_ll" not in g} - {"gaokao"}
    assert subjects == {
        f"gaokao_{s}"
        for s in (
            "biology",
            "chemistry",
            "chinese",
            "english",
            "geography",
            "history",
            "math",
            "physics",
            "politics",
        )
    }
    records = 0
    for f in files:
        entry = read_prompts(f.prompt_file)[f.keyword]
        rows = read_records(f.path, entry.question_type)
        if f.collection == "2023":
            question_type, sub_questions = UPDATE_2023[f.keyword]
            assert entry.question_type == question_type
            assert sum(len(r["answer"]) for r in rows) == sub_questions, f.keyword
        else:
            records += len(rows)
        if entry.question_type == "multi_choice":  # the official 6 and 3 points are score and half of it
            assert {r["score"] for r in rows} == {6}
    assert records == 1781  # GAOKAO-Bench's 1781 objective questions, 2010-2022
