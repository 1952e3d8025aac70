"""AGIEval Gaokao: names, the hub rows rebuilt from the official files, lm-eval's config and scoring
functions, bad rows, and the harness's own scoring of logged samples."""

import importlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from core.errors import HarnessError
from harness.engine.data import resolve
from tasks import registry
from tasks.agieval import task as agieval
from tasks.agieval.task import SUBJECTS, Agieval, load_docs, load_subject
from tasks.base import TaskInfo, TaskOptions
from tests.conftest import need_shared_data

NAMES = [f"agieval_gaokao_{s}" for s in SUBJECTS]


def lm_eval_dir() -> Path:
    import lm_eval

    return Path(lm_eval.__file__).parent / "tasks" / "agieval"


def lm_eval_yaml(subject: str) -> dict[str, Any]:
    from lm_eval.tasks._yaml_loader import load_yaml

    return load_yaml(lm_eval_dir() / f"gaokao-{subject}.yaml")


def lm_eval_utils() -> Any:
    return importlib.import_module("lm_eval.tasks.agieval.utils")


def test_names_and_groups() -> None:
    assert SUBJECTS == (
        "chinese",
        "english",
        "geography",
        "history",
        "biology",
        "chemistry",
        "physics",
        "mathqa",
        "mathcloze",
    )
    assert Agieval().groups(None) == {"agieval": NAMES, "agieval_gaokao": NAMES}
    assert registry.family_of_name("agieval_gaokao_physics") is registry.family("agieval")
    assert [n for n, _ in registry.expand(["agieval_gaokao"], lambda _: Path("/unused"))] == NAMES
    assert Agieval().owns("agieval_gaokao_mathqa", None) and not Agieval().owns("agieval_lsat_ar", None)
    with pytest.raises(HarnessError, match="did you mean.*agieval_gaokao_physics"):
        registry.expand(["agieval_gaokao_physic"], lambda _: Path("/unused"))
    # lm-eval's own tasks of these names, and they are all its Gaokao tasks.
    shipped = {p.name.removesuffix(".yaml") for p in lm_eval_dir().glob("gaokao-*.yaml")}
    assert shipped == {f"gaokao-{s}" for s in SUBJECTS}
    assert [lm_eval_yaml(s)["task"] for s in SUBJECTS] == NAMES


def test_data_source_is_the_official_repository(tmp_path: Path) -> None:
    [source] = Agieval().sources
    assert [(d.kind, d.repo) for d in source.downloads] == [("github", "ruixiangcui/AGIEval")]
    assert {f"v1/gaokao-{s}.jsonl" for s in SUBJECTS} <= set(source.layout.required)
    with pytest.raises(HarnessError, match=r"agieval/v1/.*harness data fetch agieval"):
        resolve("agieval", tmp_path)
    assert resolve("agieval", need_shared_data()) == need_shared_data() / "agieval"


@pytest.mark.parametrize("subject", SUBJECTS)
def test_config_is_lm_evals(subject: str) -> None:
    """Same template strings, output type, split, generation settings and metrics as lm-eval's YAML."""
    theirs = lm_eval_yaml(subject)
    ours = Agieval().lm_eval_config(f"agieval_gaokao_{subject}", Path("/unused"), TaskOptions())
    for key in ("output_type", "test_split", "doc_to_text", "doc_to_target", "doc_to_choice"):
        assert ours.get(key) == theirs.get(key), key
    assert theirs["training_split"] is None and theirs["validation_split"] is None
    assert ours.get("generation_kwargs") == theirs.get("generation_kwargs")
    assert [m["metric"] for m in ours["metric_list"]] == [m["metric"] for m in theirs["metric_list"]]
    assert callable(ours["process_results"]) and callable(theirs["process_results"])


def test_multiple_choice_rows_on_real_data() -> None:
    root = need_shared_data() / "agieval"
    physics = load_docs(str(root), "physics")
    assert len(physics) == 200
    # Row 0 of hails/agieval-gaokao-physics (the same as dmayhem93's), as its dataset viewer shows it.
    assert physics[0] == {
        "query": (
            "问题：20 世纪 60 年代, 我国以国防为主的尖端科技取得了突破性的发展。1964 年, 我国第一颗原子弹"
            "试爆成 功； 1967 年, 我国第一颗氢弹试爆成功。关于原子弹和氢弹, 下列说法正确的是（ ） "
            "选项：(A)原子弹和氢弹都是根据核裂变原理研制的 (B)原子弹和氢弹都是根据核聚变原理研制的 "
            "(C)原子弹是根据核裂变原理研制的，氢弹是根据核聚变原理研制的 "
            "(D)原子弹是根据核聚变原理研制的，氢弹是根据核裂变原理研制的\n答案：从A到D, 我们应选择"
        ),
        "choices": [
            "(A)原子弹和氢弹都是根据核裂变原理研制的",
            "(B)原子弹和氢弹都是根据核聚变原理研制的",
            "(C)原子弹是根据核裂变原理研制的，氢弹是根据核聚变原理研制的",
            "(D)原子弹是根据核聚变原理研制的，氢弹是根据核裂变原理研制的",
        ],
        "gold": [2],
    }
    rows = [json.loads(line) for line in (root / "v1" / "gaokao-physics.jsonl").open(encoding="utf-8")]
    assert rows[3]["label"] == ["A", "D"] and physics[3]["gold"] == [0, 3]
    assert sum(len(d["gold"]) > 1 for d in physics) == 35

    english = load_docs(str(root), "english")
    first = json.loads((root / "v1" / "gaokao-english.jsonl").open(encoding="utf-8").readline())
    assert english[0]["query"] == (
        first["passage"]
        + "Q: "
        + first["question"]
        + " Answer Choices: "
        + " ".join(first["options"])
        + "\nA: Among A through D, the answer is"
    )
    assert english[0]["choices"] == first["options"] and english[0]["choices"][0].startswith("(A)")
    assert english[0]["gold"] == ["ABCD".index(first["label"])]

    chinese = load_docs(str(root), "chinese")  # a passage runs straight into 问题：
    row = json.loads((root / "v1" / "gaokao-chinese.jsonl").open(encoding="utf-8").readline())
    assert chinese[0]["query"].startswith(row["passage"] + "问题：" + row["question"] + " 选项：(A)")
    assert chinese[0]["query"].endswith("\n答案：从A到D, 我们应选择")
    counts = {s: len(load_docs(str(root), s)) for s in SUBJECTS}
    assert counts["english"] == 306 and counts["chinese"] == 246 and counts["mathqa"] == 351


def test_cloze_rows_on_real_data() -> None:
    root = need_shared_data() / "agieval"
    docs = load_docs(str(root), "mathcloze")
    assert len(docs) == 118
    assert docs[1]["query"] == (
        "问题：已知多项式 $(x-1)^{3}+(x+1)^{4}=x^{4}+a_{1} x^{3}+a_{2} x^{2}+a_{3} x+a_{4}$, "
        "则 $a_{1}=(\\quad)$, $a_{2}+a_{3}+a_{4}=(\\quad)$\n答案："
    )
    assert docs[1]["answer"] == "$5$;$10$"
    dataset = load_subject(str(root), "mathcloze")
    assert list(dataset) == ["test"] and dataset["test"].column_names == ["query", "answer"]


def math_strings() -> list[str]:
    """Reference answers of the real cloze set, and outputs made to hit each branch of the
    extraction and normalisation (and their failures)."""
    answers = [d["answer"] for d in load_docs(str(need_shared_data() / "agieval"), "mathcloze")]
    made = [
        "",
        "3",
        "The answer is 3.",
        "x = 3",
        "y=\\frac12",
        "$\\frac{1}{2}$",
        "$0.5$",
        "1/2",
        " 1/2",
        "\\boxed{\\dfrac{3}{4}}",
        "so \\boxed{x=5} then",
        "\\boxed{2",
        "\\fbox{2}",
        "$\\sqrt3$",
        "$\\sqrt$",
        "$\\frac$",
        "$\\frac1$",
        "$3 \\text{ cm}$",
        "$3 \\text{ cm} \\text{ m}$",
        "$.5$",
        "$50\\%$",
        "$90^{\\circ}$",
        "$\\left(1,2\\right)$",
        "a=1\\nb=2",
        "no digits here",
        "$$",
        "$k=2$ and $m=4$",
        "3.14 and 2.71",
    ]
    return answers + made


def test_math_equivalence_is_lm_evals() -> None:
    utils = lm_eval_utils()
    strings = math_strings()
    rng = random.Random(0)
    pairs = [(a, a) for a in strings] + [(rng.choice(strings), rng.choice(strings)) for _ in range(3000)]
    pairs += [(a, b) for a in strings[-28:] for b in strings[-28:]]
    for output, reference in pairs:
        assert agieval.parse_math_answer(output) == utils.parse_math_answer(output), output
        assert agieval.is_equiv(output, reference) == utils.is_equiv(output, reference), (output, reference)
        doc = {"answer": reference}
        assert agieval.process_results(doc, [output]) == utils.process_results(doc, [output])
    assert agieval.is_equiv(None, None) and not agieval.is_equiv("1", None)


def test_mcqa_scoring_is_lm_evals() -> None:
    utils = lm_eval_utils()
    rng = random.Random(1)
    for _ in range(500):
        choices = ["(" + "ABCD"[i] + ")" + "x" * rng.randint(0, 30) for i in range(4)]
        gold = sorted(rng.sample(range(4), rng.randint(1, 3)))
        results = [(rng.uniform(-80, -1), False) for _ in range(4)]
        doc = {"choices": choices, "gold": gold}
        assert agieval.process_results_mcqa(doc, results) == utils.process_results_mcqa(doc, results)


def write_rows(root: Path, subject: str, lines: list[str]) -> None:
    path = root / "v1" / f"gaokao-{subject}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


GOOD = {"passage": None, "question": "q?", "options": ["(A)a", "(B)b", "(C)c", "(D)d"], "label": "B"}


@pytest.mark.parametrize(
    ("subject", "bad", "message"),
    [
        ("physics", "{not json", r"gaokao-physics\.jsonl:2: not valid JSON"),
        ("physics", json.dumps({**GOOD, "question": " "}), r"gaokao-physics\.jsonl:2: field 'question'"),
        (
            "physics",
            json.dumps({**GOOD, "label": "E"}),
            r"gaokao-physics\.jsonl:2: label 'E' is not a letter",
        ),
        ("physics", json.dumps({**GOOD, "label": ["A", "Z"]}), r":2: label \['A', 'Z'\] is not a letter"),
        ("physics", json.dumps({**GOOD, "label": []}), r":2: label \[\] is not a letter"),
        ("physics", json.dumps({**GOOD, "label": "A,B"}), r":2: label .A,B. is not a letter"),
        ("physics", json.dumps({**GOOD, "label": 1}), r":2: label 1 is not a letter"),
        ("physics", json.dumps({**GOOD, "label": ["A", "A"]}), r":2: label \['A', 'A'\] repeats a letter"),
        ("english", json.dumps({**GOOD, "options": None}), r"gaokao-english\.jsonl:2: field 'options'"),
        ("english", json.dumps({**GOOD, "options": ["(A)a", ""]}), r":2: field 'options' has an empty"),
        ("english", json.dumps({**GOOD, "passage": 3}), r":2: field 'passage' is neither"),
        (
            "english",
            json.dumps({k: v for k, v in GOOD.items() if k != "label"}),
            r":2: field 'label' missing",
        ),
        ("mathcloze", json.dumps({**GOOD, "answer": None}), r"gaokao-mathcloze\.jsonl:2: field 'answer'"),
        ("mathcloze", "[1, 2]", r"gaokao-mathcloze\.jsonl:2: not a JSON object"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, subject: str, bad: str, message: str) -> None:
    good = {**GOOD, "answer": "1"} if subject == "mathcloze" else GOOD
    write_rows(tmp_path, subject, [json.dumps(good), bad])
    with pytest.raises(HarnessError, match=message):
        load_subject(str(tmp_path), subject)


def test_task_hash_follows_the_data(tmp_path: Path) -> None:
    write_rows(tmp_path, "physics", [json.dumps(GOOD)])
    fam = Agieval()
    first = fam.task_info("agieval_gaokao_physics", tmp_path, TaskOptions())
    assert list(first.data_files) == ["v1/gaokao-physics.jsonl"] and first.version == agieval.VERSION
    write_rows(tmp_path, "physics", [json.dumps({**GOOD, "label": "C"})])
    second = fam.task_info("agieval_gaokao_physics", tmp_path, TaskOptions())
    assert first.task_hash != second.task_hash
    assert "我们应选择" in first.prompt_template and "Among A through" in first.prompt_template
    with pytest.raises(HarnessError, match="data file missing"):
        fam.task_info("agieval_gaokao_english", tmp_path, TaskOptions())


def info(name: str) -> TaskInfo:
    return TaskInfo(name, "agieval", agieval.VERSION, "h", {}, "")


def mc_output(name: str, docs: list[dict[str, Any]], lls: list[list[float]]) -> dict[str, Any]:
    samples = []
    for i, (doc, values) in enumerate(zip(docs, lls, strict=True)):
        scores = agieval.process_results_mcqa(doc, [(v, False) for v in values])
        samples.append(
            {
                "doc_id": i,
                "doc_hash": f"h{i}",
                "doc": doc,
                "target": doc["gold"],
                "arguments": [(doc["query"], " " + c) for c in doc["choices"]],
                "resps": [[(v, False)] for v in values],
                **scores,
            }
        )
    results = {f"{m},none": sum(s[m] for s in samples) / len(samples) for m in ("acc", "acc_norm")}
    return {"samples": {name: samples}, "results": {name: results}}


def test_collect_multiple_choice_scores_any_gold_and_per_character() -> None:
    name = "agieval_gaokao_physics"
    docs = [
        {"query": "q1", "choices": ["(A)aaaaaaaaaa", "(B)b", "(C)c", "(D)d"], "gold": [1, 3]},
        {"query": "q2", "choices": ["(A)a", "(B)b", "(C)c", "(D)d"], "gold": [0]},
    ]
    # Document 0: raw argmax is B (gold); per character, A (not gold). Document 1: D, not gold.
    lls = [[-6.0, -5.0, -9.0, -9.0], [-4.0, -4.0, -4.0, -3.0]]
    output = mc_output(name, docs, lls)
    outcome = Agieval().collect(name, output, info(name))
    metrics = {m.metric: m for m in outcome.metrics}
    assert metrics["acc"].value == 0.5 and metrics["acc_norm"].value == 0.0 and metrics["acc"].n == 2
    first = outcome.samples[0]
    assert first.scores["gold"] == [1, 3] and first.scores["pred"] == 1.0 and first.scores["pred_norm"] == 0.0
    assert first.scores["choice_lengths"] == [13.0, 4.0, 4.0, 4.0]
    assert first.target == "(B)b\n(D)d" and first.output == "(B)b"

    output["samples"][name][1]["acc_norm"] = 1.0
    with pytest.raises(HarnessError, match="document 1: lm-eval acc_norm 1.0 but harness 0.0"):
        Agieval().collect(name, output, info(name))
    output = mc_output(name, docs, lls)
    output["results"][name]["acc_norm,none"] = 0.5
    with pytest.raises(HarnessError, match="acc_norm: lm-eval aggregated 0.5, harness 0.0"):
        Agieval().collect(name, output, info(name))


def test_collect_cloze_uses_math_equivalence() -> None:
    name = "agieval_gaokao_mathcloze"
    pairs = [("所以 $a=2$", "2"), ("\\boxed{\\dfrac{1}{2}}", "$\\frac{1}{2}$"), ("7", "$5$;$10$")]
    samples = [
        {
            "doc_id": i,
            "doc_hash": f"h{i}",
            "doc": {"query": f"问题：{i}\n答案：", "answer": reference},
            "arguments": [(f"问题：{i}\n答案：", {"until": ["Q:"]})],
            "resps": [[generated]],
            "filtered_resps": [generated],
            **agieval.process_results({"answer": reference}, [generated]),
        }
        for i, (generated, reference) in enumerate(pairs)
    ]
    output = {"samples": {name: samples}, "results": {name: {"acc,none": 2 / 3}}}
    outcome = Agieval().collect(name, output, info(name))
    assert [m.metric for m in outcome.metrics] == ["acc"] and outcome.metrics[0].value == pytest.approx(2 / 3)
    assert [r.scores["acc"] for r in outcome.samples] == [1.0, 1.0, 0.0]
    assert outcome.samples[0].scores["extracted_output"] == "2" and outcome.samples[2].target == "$5$;$10$"
    samples[2]["acc"] = 1
    with pytest.raises(HarnessError, match="document 2: lm-eval acc 1 but harness 0.0"):
        Agieval().collect(name, output, info(name))


def test_mathqa_label_strings_with_several_letters_are_multi_answer() -> None:
    root = need_shared_data() / "agieval"
    docs = load_docs(str(root), "mathqa")
    rows = [json.loads(line) for line in (root / "v1" / "gaokao-mathqa.jsonl").open(encoding="utf-8")]
    multi = {i: d["gold"] for i, d in enumerate(docs) if len(d["gold"]) > 1}
    assert multi == {
        148: [0, 3],
        149: [0, 2, 3],
        245: [0, 1, 3],
        246: [0, 2],
        247: [1, 2, 3],
        285: [2, 3],
        286: [0, 2],
    }
    assert rows[245]["label"] == "A B D" and rows[148]["label"] == "AD"
