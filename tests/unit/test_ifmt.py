"""Instruction-following MT: term usage (Dinu et al. 2019), terminology TSV parsing, the IF-MT schema,
the judge's verdict parser, and the judge hook."""

import json
from pathlib import Path
from typing import Any

import pytest
from sacrebleu.metrics import CHRF

from core.errors import HarnessError
from core.records import SampleRecord, TaskOutcome
from tasks import registry
from tasks.base import JudgedFamily, JudgeReplies, JudgeRequest, TaskInfo
from tasks.ifmt import ifmt, judge, terms
from tasks.ifmt.term_usage import corpus_rate, term_used
from tests.conftest import need_shared_data

# Term usage: hand-computed cases.


@pytest.mark.parametrize(
    ("term", "output", "used"),
    [
        ("Interview", "Das sagte er in einem Interview.", True),
        ("Interview", "Das sagte er in einem interview.", False),  # case-sensitive
        ("Handel", "Das Handelsabkommen ist fertig.", False),  # whole words only
        ("Handel", "Handel", True),  # start and end of the output count as boundaries
        ("Lösung", "Eine Lösung, endlich.", True),
        ("Lösung", "Die Lösungen sind da.", False),  # `ö` is a word character
        ("Tokyo Botschaft", "die Tokyo Botschaft", True),
        ("Tokyo Botschaft", "die Tokyo-Botschaft", False),
        ("US", "(US)", True),
        ("C++", "in C++ geschrieben", True),  # regex characters in a term are literal
    ],
)
def test_term_used(term: str, output: str, used: bool) -> None:
    assert term_used(term, output) is used


def test_three_terms_two_used() -> None:
    output = "Im Interview ging es um Handel und die Seite."
    required = ["Interview", "Preisgeld", "Handel"]
    used = [term_used(t, output) for t in required]
    assert used == [True, False, True]
    rate = corpus_rate([sum(used)], [len(required)], resamples=100, seed=1)
    assert rate.value == pytest.approx(200 / 3) and rate.stderr is None


def test_corpus_rate_is_a_micro_average() -> None:
    # One sentence with 1 of 1 term used, one with 0 of 3: 1 of 4 terms, not the mean of 100% and 0%.
    rate = corpus_rate([1, 0], [1, 3], resamples=200, seed=3)
    assert rate.value == 25.0 and (rate.used, rate.total) == (1, 4)
    assert rate.stderr is not None and rate.stderr > 0
    same = corpus_rate([2, 2], [2, 2], resamples=200, seed=3)
    assert same.value == 100.0 and same.stderr == 0.0


# The terminology files.


def _newstest(root: Path) -> tuple[list[str], list[str]]:
    folder = root / "newstest2017_en-de"
    return (
        (folder / "newstest2017.en").read_text(encoding="utf-8").splitlines(),
        (folder / "newstest2017.de").read_text(encoding="utf-8").splitlines(),
    )


@pytest.mark.parametrize(("term_set", "rows"), [("iate", 414), ("wikt", 727)])
def test_terminology_files_real_data(term_set: str, rows: int) -> None:
    root = need_shared_data() / "terminology_en_de"
    docs = terms.load_docs(root, term_set)
    english, german = _newstest(root)
    assert len(docs) == rows and len(english) == len(german) == 3004
    raw = (root / terms.TERM_SETS[term_set]).read_text(encoding="utf-8").splitlines()
    for doc, line in zip(docs, raw, strict=True):
        cells = [c for c in line.split("\t") if c]
        assert doc["line"] == int(cells[1])
        assert doc["source"] == english[doc["line"] - 1] and doc["reference"] == german[doc["line"] - 1]
        pairs = list(zip(cells[2::2], cells[3::2], strict=True))
        assert [(t["source"], t["target"]) for t in doc["terms"]] == pairs
    # These sets were chosen because their target terms occur exactly in the references (Dinu et al.,
    # Table 2): with the right (1-based) line numbers nearly every term is used by its reference.
    pairs = [(t["target"], d["reference"]) for d in docs for t in d["terms"]]
    used = sum(term_used(t, ref) for t, ref in pairs)
    assert used == sum(t in ref for t, ref in pairs)
    assert used / len(pairs) > 0.99
    if term_set == "iate":
        first = docs[0]
        assert (first["line"], first["terms"]) == (21, [{"source": "interview", "target": "Interview"}])
        assert first["prompt"] == (
            'Translate the English sentence into German. Use these German terms: "Interview" for '
            '"interview".\nEnglish: That is what the Hollywood star has made abundantly clear in an '
            "interview.\nGerman:"
        )


def _terminology(root: Path, rows: list[str], english: int = 3, german: int = 3) -> Path:
    (root / "terminology").mkdir(parents=True, exist_ok=True)
    (root / "newstest2017_en-de").mkdir(parents=True, exist_ok=True)
    (root / "newstest2017_en-de" / "newstest2017.en").write_text(
        "".join(f"English {i}.\n" for i in range(english)), encoding="utf-8"
    )
    (root / "newstest2017_en-de" / "newstest2017.de").write_text(
        "".join(f"Deutsch {i}.\n" for i in range(german)), encoding="utf-8"
    )
    path = root / terms.TERM_SETS["iate"]
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_small_terminology_file(tmp_path: Path) -> None:
    _terminology(tmp_path, ["0\t1\ta\tA\t\t", "1\t3\tb\tB\tc\tC\t\t\t\t"])
    docs = terms.load_docs(tmp_path, "iate")
    assert [d["line"] for d in docs] == [1, 3]
    assert [d["reference"] for d in docs] == ["Deutsch 0.", "Deutsch 2."]
    assert docs[1]["terms"] == [{"source": "b", "target": "B"}, {"source": "c", "target": "C"}]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("0\t1\ta\tA\tb", r"3 term cells: source and target terms must come in pairs"),
        ("0\tone\ta\tA", r"index '0' and line number 'one' must be whole numbers"),
        ("0\t0\ta\tA", r"1-based"),
        ("0\t4\ta\tA", r"line number 4 is beyond the 3 lines of .*newstest2017\.en"),
        ("0\t1", r"at least one term pair, got 2 cells"),
        ("0\t1\ta\t\tb\tB", r"empty term inside the row"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = _terminology(tmp_path, ["0\t1\ta\tA", row])
    with pytest.raises(HarnessError, match=rf"{path}:2: .*{message}"):
        terms.load_docs(tmp_path, "iate")


def test_missing_or_misaligned_terminology_data(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"data file missing: .*newstest2017\.en"):
        terms.load_docs(tmp_path, "iate")
    _terminology(tmp_path, ["0\t1\ta\tA"], english=3, german=2)
    with pytest.raises(HarnessError, match=r"has 3 lines but .*newstest2017\.de has 2"):
        terms.load_docs(tmp_path, "iate")


# chrF++ and term usage of collected samples against sacrebleu and hand counts.


def _logged(doc_id: int, doc: dict[str, Any], output: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "doc_hash": f"hash{doc_id}",
        "doc": doc,
        "arguments": [[doc["prompt"], {}]],
        **extra,
    }


def test_terms_collect_against_sacrebleu() -> None:
    name = "ifmt_terms_en-de_iate"
    docs = [
        {"prompt": "p0", "source": "s0", "line": 5, "reference": "Das Interview war lang.", "terms": []},
        {"prompt": "p1", "source": "s1", "line": 9, "reference": "Der Handel mit China wächst.", "terms": []},
    ]
    docs[0]["terms"] = [{"source": "interview", "target": "Interview"}]
    docs[1]["terms"] = [{"source": "trade", "target": "Handel"}, {"source": "China", "target": "China"}]
    outputs = ["Das Interview dauerte lange.", "Die Handelsbilanz mit China steigt."]
    refs = [d["reference"] for d in docs]
    corpus = CHRF(word_order=2).corpus_score(outputs, [refs]).score
    logged = [
        _logged(i, d, o, {"chrf++": [d["reference"], o], "term_usage": [0, 0]})
        for i, (d, o) in enumerate(zip(docs, outputs, strict=True))
    ]
    # Hand count: Interview used; Handel not (only inside Handelsbilanz); China used: 2 of 3.
    output = {
        "samples": {name: logged},
        "results": {name: {"chrf++,none": corpus, "term_usage,none": 200 / 3}},
    }
    outcome = terms.collect(name, output, TaskInfo(name, "ifmt_terms", "v", "h", {}, ""))
    metrics = {m.metric: m for m in outcome.metrics}
    assert metrics["chrf++"].value == pytest.approx(corpus)
    assert metrics["chrf++"].signature == "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0"
    assert metrics["term_usage"].value == pytest.approx(200 / 3) and metrics["term_usage"].n == 2
    for record, hyp, ref in zip(outcome.samples, outputs, refs, strict=True):
        assert record.scores["chrf++"] == pytest.approx(CHRF(word_order=2).sentence_score(hyp, [ref]).score)
        assert (record.output, record.target) == (hyp, ref)
    assert [t["used"] for t in outcome.samples[1].scores["terms"]] == [False, True]
    assert outcome.samples[1].scores["term_usage"] == 50.0
    bad = {"samples": output["samples"], "results": {name: {"chrf++,none": corpus, "term_usage,none": 50.0}}}
    with pytest.raises(HarnessError, match="lm-eval aggregated 50.0"):
        terms.collect(name, bad, TaskInfo(name, "ifmt_terms", "v", "h", {}, ""))


# The judge's verdict parser: hand-written replies.


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"feedback": "All rules kept.", "result": "5"}', 5),
        ('{"feedback": "ok", "result": 6}', 6),
        ('  {"result": "1", "feedback": "none kept"}\n', 1),
        ('```json\n{"feedback": "x", "result": "3"}\n```', 3),
        ('```\n{"feedback": "x", "result": 2}\n```', 2),
        ('{"feedback": "braces { inside } text", "result": " 4 "}', 4),
        ('{"feedback": "规则都遵守了", "result": "6"}', 6),
        ('{"result": 4.0}', 4),  # zsb's int(4.0)
    ],
)
def test_parseable_verdicts(reply: str, score: int) -> None:
    verdict = judge.parse_verdict(reply)
    assert verdict == judge.Verdict(score, "") and verdict.grade == score


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "not a JSON object"),
        ("The translation deserves a 5.", "not a JSON object"),
        ('Verdict: {"result": "5"}', "not a JSON object"),
        ('{"feedback": "good", "result": "5"} I hope this helps.', "text after the JSON object"),
        ('{"feedback": "good", "result": "5"', "cut off"),
        ('{"feedback": "good", "result": "5",}', "invalid JSON"),
        ('{"feedback": "no score"}', "no 'result' field"),
        ('["result", 5]', "not a JSON object"),
        ('{"result": "7"}', "outside 1-6"),
        ('{"result": 0}', "outside 1-6"),
        ('{"result": "4.5"}', "not a whole number"),
        ('{"result": 4.5}', "not a whole number"),
        ('{"result": true}', "not a whole number"),
        ('{"result": "five"}', "not a whole number"),
        ('{"result": "²"}', "not a whole number"),
        ('{"result": null}', "not a whole number"),
    ],
)
def test_unparseable_verdicts(reply: str, reason: str) -> None:
    verdict = judge.parse_verdict(reply)
    assert verdict.score is None and reason in verdict.error
    assert verdict.grade == 1  # zsb: any reply it cannot parse scores the lowest grade
    assert verdict.cut_off == (reason == "cut off")


# Zero-shot Benchmarking's rule (`parse_da_prompt_output`): json.loads, int(result), else 1. The table
# gives what a hand reading of each reply expects: (score or None, grade in the mean, cut off).
VERDICT_TABLE = [
    ('{"feedback": "Both rules kept.", "result": "6"}', 6, 6, False),  # valid JSON
    ('```json\n{"feedback": "One rule broken.", "result": 4}\n```', 4, 4, False),  # JSON in a code fence
    ("The translation follows the rules; I give it 5.", None, 1, False),  # prose with a number
    ('{"feedback": "The rules are kept."}', None, 1, False),  # no score
    ('{"feedback": "Perfect.", "result": 10}', None, 1, False),  # out of 1-6
    ('{"feedback": "The brand name is kept, but the numbers are', None, 1, True),  # cut off
    ('```json\n{"feedback": "The brand name is kept", "res', None, 1, True),  # cut off in a fence
]


@pytest.mark.parametrize(("reply", "score", "grade", "cut_off"), VERDICT_TABLE)
def test_verdict_table(reply: str, score: int | None, grade: int, cut_off: bool) -> None:
    verdict = judge.parse_verdict(reply)
    assert (verdict.score, verdict.grade, verdict.cut_off) == (score, grade, cut_off)
    assert (verdict.error == "") == (score is not None)


def test_judge_prompt_is_versioned_and_holds_both_texts() -> None:
    assert judge.JUDGE_PROMPT_VERSION == "ifmt-judge-v2"
    assert judge.JUDGE_MAX_GEN_TOKS >= 2048 and judge.JUDGE_UNTIL == ()  # end-of-text or the cap
    text = judge.render("Rule: keep $HOME as is. {braces}", "译文 $HOME")
    assert "Rule: keep $HOME as is. {braces}" in text and "译文 $HOME" in text
    assert text.rstrip().endswith('"result": <a whole number, 1-6>}')


# The IF-MT schema.


def _ifmt_file(root: Path, rows: list[dict[str, Any]]) -> Path:
    path = root / ifmt.DATA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ifmt_rows_in_the_documented_fields(tmp_path: Path) -> None:
    marked = (
        'Translate into Chinese.\n<START OF RULES>\n- Keep "Acme".\n- Use digits.\n<END OF RULES>\n'
        "<START OF SOURCE>\nAcme sold 3 phones.\n<END OF SOURCE>\nReturn only the translation."
    )
    _ifmt_file(
        tmp_path,
        [
            {"prompt": marked, "reference": "Acme卖了3部手机。"},
            {"SOURCE": "Hello.", "RULES": ["Be brief.", "End with 。"], "REFERENCE": "你好。"},
            {"prompt": "Translate: Hi", "reference": "嗨", "rules": "- One\n- Two\n", "source": "Hi"},
        ],
    )
    docs = ifmt.load_docs(tmp_path)
    assert docs[0]["prompt"] == marked and docs[0]["source"] == "Acme sold 3 phones."
    assert docs[0]["rules"] == ['Keep "Acme".', "Use digits."]
    assert docs[1]["prompt"] == ifmt.FALLBACK_TEMPLATE.format(
        rules="- Be brief.\n- End with 。", source="Hello."
    )
    assert (docs[1]["reference"], docs[1]["rules"]) == ("你好。", ["Be brief.", "End with 。"])
    assert (docs[2]["prompt"], docs[2]["rules"], docs[2]["source"]) == ("Translate: Hi", ["One", "Two"], "Hi")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"prompt": "Translate: Hi"}, "missing field 'reference'"),
        ({"source": "Hi", "reference": "嗨"}, "missing field 'prompt' .* no 'rules' to build one from"),
        ({"reference": "嗨"}, "missing field 'prompt' .* no 'source' and 'rules'"),
        ({"prompt": "p", "reference": "r", "rules": 3}, "field 'rules' is neither"),
    ],
)
def test_ifmt_missing_fields_name_file_and_line(tmp_path: Path, row: dict[str, Any], message: str) -> None:
    path = _ifmt_file(tmp_path, [{"prompt": "Translate: Hi", "reference": "嗨"}, row])
    with pytest.raises(HarnessError, match=rf"{path}:2: {message}"):
        ifmt.load_docs(tmp_path)


def test_ifmt_data_missing_names_the_fetch(tmp_path: Path) -> None:
    from harness.engine.data import resolve

    with pytest.raises(HarnessError, match=r"ifmt/default/train\.jsonl.*harness data fetch ifmt"):
        resolve("ifmt", tmp_path)


# The judged metrics.


def _outcome(outputs: list[str]) -> TaskOutcome:
    samples = [
        SampleRecord(i, f"h{i}", f"Translate {i}", "参考", out, {"chrf++": 1.0})
        for i, out in enumerate(outputs)
    ]
    return TaskOutcome(ifmt.TASK, ifmt.VERSION, "hash", [], samples)


def test_an_unparseable_verdict_counts_as_the_lowest_grade() -> None:
    outcome = _outcome(["a", "b", "c", "d"])
    family = ifmt.Ifmt()
    assert isinstance(family, JudgedFamily)
    requests = family.judge_requests(ifmt.TASK, outcome)
    assert [r.doc_id for r in requests] == [0, 1, 2, 3]
    assert [r.max_gen_toks for r in requests] == [judge.JUDGE_MAX_GEN_TOKS] * 4
    assert "Translate 1" in requests[1].prompt and "<TRANSLATION>\nb\n</TRANSLATION>" in requests[1].prompt
    texts = {
        0: '{"feedback": "ok", "result": "5"}',
        1: "I cannot judge this.",
        2: '{"result": 3}',
        3: '{"feedback": "The first rule is kept but the sec',
    }
    judged = family.apply_judgements(ifmt.TASK, outcome, JudgeReplies("judge(local)", True, texts))
    metrics = {m.metric: m for m in judged.metrics}
    adherence, unparseable, cut_off = (
        metrics["rule_adherence"],
        metrics["judge_unparseable"],
        metrics["judge_cut_off"],
    )
    # Hand computed: grades 5, 1, 3, 1 -> mean 2.5; deviations 2.5, -1.5, 0.5, -1.5, squares sum 11,
    # sample variance 11/3, standard error sqrt(11/3 / 4).
    assert (adherence.value, adherence.n) == (2.5, 4)
    assert adherence.stderr == pytest.approx((11 / 3 / 4) ** 0.5)
    assert (unparseable.value, unparseable.n, cut_off.value, cut_off.n) == (2.0, 4, 1.0, 4)
    assert "judge:judge(local)" in adherence.signature and "prompt:ifmt-judge-v2" in adherence.signature
    assert "chat_template:yes" in adherence.signature and "unparseable-as-1" in adherence.signature
    assert "max_gen_toks:2048" in adherence.signature
    assert "2 unparseable, graded 1" in adherence.note
    assert (
        unparseable.note
        == "reply is not a JSON object (1); cut off: the reply ends inside its JSON object (1)"
    )
    scores = [s.scores for s in judged.samples]
    assert [s["judge_output"] for s in scores] == [texts[0], texts[1], texts[2], texts[3]]
    assert [s["judge_score"] for s in scores] == [5, None, 3, None]
    assert [s["rule_adherence"] for s in scores] == [5.0, 1.0, 3.0, 1.0]
    assert [s["judge_unparseable"] for s in scores] == [0.0, 1.0, 0.0, 1.0]
    assert [s["judge_cut_off"] for s in scores] == [0.0, 0.0, 0.0, 1.0]


def test_without_a_judge_adherence_is_not_computed() -> None:
    judged = ifmt.Ifmt().apply_judgements(ifmt.TASK, _outcome(["a", "b"]), None)
    (metric,) = judged.metrics
    assert (metric.metric, metric.value, metric.n) == ("rule_adherence", None, 2)
    assert "--judge-model" in metric.note and "judge:none" in metric.signature


class FakeTokenizer:
    def __init__(self, chat_template: str | None) -> None:
        self.chat_template = chat_template


class FakeLM:
    """A backend whose tokens are characters, with a context window of `max_length` of them."""

    def __init__(self, chat_template: str | None = None, max_length: int = 4096) -> None:
        self.tokenizer = FakeTokenizer(chat_template)
        self.requests: list[Any] = []
        self.max_length = max_length

    def tok_encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def apply_chat_template(self, chat: list[dict[str, str]]) -> str:
        return f"<user>{chat[0]['content']}</user><assistant>"

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        self.requests.extend(requests)
        return [f"reply to {r.arguments[0]}" for r in requests]


def test_judge_loads_once_lazily_and_uses_the_chat_template() -> None:
    from harness.engine.models import ModelSpec
    from harness.scorers.judge import Judge

    loaded: list[ModelSpec] = []
    lm = FakeLM(chat_template="{{ messages }}")

    def load(spec: ModelSpec) -> FakeLM:
        loaded.append(spec)
        return lm

    spec = ModelSpec("judge", "local", "/judge", "/judge")
    judge_model = Judge(spec, load)
    assert loaded == []  # nothing loaded until a judged task needs it
    requests = [JudgeRequest(7, "rate this", 384, ())]
    replies = judge_model.generate("ifmt_en-zh", requests)
    judge_model.generate("ifmt_en-zh", requests)
    assert loaded == [spec]
    assert replies.texts == {7: "reply to <user>rate this</user><assistant>"}
    assert (replies.judge, replies.chat_template) == ("judge(local)", True)
    instance = lm.requests[0]
    assert instance.request_type == "generate_until"
    assert instance.arguments[1] == {"until": [], "max_gen_toks": 384, "do_sample": False}
    reused = Judge(spec, load, same_as_evaluated=FakeLM())
    assert reused.generate("t", requests).texts == {7: "reply to rate this"} and len(loaded) == 1


def test_judge_budget_fits_the_context_window() -> None:
    from harness.engine.models import ModelSpec
    from harness.scorers.judge import Judge

    spec = ModelSpec("judge", "local", "/judge", "/judge")
    # 100-token window, 9-token prompt, one token kept for a BOS: room for 90 new tokens.
    lm = FakeLM(max_length=100)
    Judge(spec, lambda s: lm).generate(
        "t", [JudgeRequest(0, "rate this", 2048, ()), JudgeRequest(1, "rate", 50, ())]
    )
    assert [r.arguments[1]["max_gen_toks"] for r in lm.requests] == [90, 50]
    with pytest.raises(HarnessError, match="prompt of document 3 does not fit its context window of 100"):
        Judge(spec, lambda s: FakeLM(max_length=100)).generate("t", [JudgeRequest(3, "x" * 99, 2048, ())])


# Registry and task metadata.


def test_registry_names_and_groups() -> None:
    def expand(names: list[str]) -> list[str]:
        return [name for name, _ in registry.expand(names, lambda data_set: Path("/unused"))]

    assert expand(["ifmt"]) == ["ifmt_en-zh"]
    assert expand(["ifmt_terms_en-de"]) == ["ifmt_terms_en-de_iate", "ifmt_terms_en-de_wikt"]
    assert expand(["ifmt_terms_en-de_wikt", "ifmt_en-zh"]) == ["ifmt_terms_en-de_wikt", "ifmt_en-zh"]
    assert registry.family_of_name("ifmt_terms_en-de_iate") is registry.family("ifmt_terms")
    with pytest.raises(HarnessError, match="did you mean"):
        expand(["ifmt_terms_en-de_iat"])


def test_task_meta() -> None:
    from tasks.registry import family

    ifmt = family("ifmt").meta("ifmt_en-zh")
    terms = family("ifmt_terms").meta("ifmt_terms_en-de_iate")
    assert (ifmt.family, ifmt.language, ifmt.primary_metric) == ("ifmt", "zho_Hans", "chrf++")
    # The terminology tasks exist to check the terms: their primary metric is the term-usage rate.
    assert (terms.family, terms.language, terms.primary_metric) == ("ifmt_terms", "deu_Latn", "term_usage")
    assert terms.sample_metric == "terms_used/terms_total"


def test_task_hash_covers_the_judge_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.base import TaskOptions

    _ifmt_file(tmp_path, [{"prompt": "Translate: Hi", "reference": "嗨"}])
    family = ifmt.Ifmt()
    before = family.task_info(ifmt.TASK, tmp_path, TaskOptions())
    monkeypatch.setattr(judge.JUDGE_PROMPT, "template", judge.JUDGE_PROMPT.template + " ")
    after = family.task_info(ifmt.TASK, tmp_path, TaskOptions())
    assert before.task_hash != after.task_hash and len(before.task_hash) == 64
    assert before.data_files == {"default/train.jsonl": after.data_files["default/train.jsonl"]}
    assert "ifmt-judge-v2" in before.prompt_template


def test_a_judge_that_cannot_load_is_a_clear_error() -> None:
    from harness.engine.models import ModelSpec
    from harness.scorers.judge import Judge

    def load(spec: ModelSpec) -> FakeLM:
        raise OSError("no such model on the hub")

    judge_model = Judge(ModelSpec("org/judge", "hub", "org/judge", "org/judge"), load)
    with pytest.raises(HarnessError, match="--judge-model org/judge: could not load it .no such model"):
        judge_model.generate("ifmt_en-zh", [JudgeRequest(0, "rate", 8, ())])
