"""N-gram keys against lm-eval's janitor and by hand; overlap, templates and the training-file scan
by hand; the stored record read back from SQLite and PostgreSQL."""

import hashlib
import json
from pathlib import Path

import pytest

from core.errors import HarnessError
from core.lineage import Lineage
from core.ngrams import NgramStream, char_lengths, char_ngrams, group_chars, ngrams, normalize, word_ngrams
from db import store
from db.contamination import by_checkpoint, by_run, parse
from db.session import make_engine, make_session_factory
from harness.analysis.contamination import TrainingFile, index_task, scan, task_hits
from tests.conftest import need_shared_data
from tests.pg import new_database, postgres_url  # noqa: F401  (postgres_url: the server fixture)

SCRIPTS = (
    "eng_Latn",
    "lin_Latn",
    "fra_Latn",
    "vie_Latn",
    "rus_Cyrl",
    "ell_Grek",
    "arb_Arab",
    "hin_Deva",
    "kor_Hang",
    "amh_Ethi",
    "zho_Hans",
    "tha_Thai",
)


def _devtest(lang: str) -> list[str]:
    path = need_shared_data() / "flores200" / "devtest" / f"{lang}.devtest"
    return path.read_text(encoding="utf-8").splitlines()


def test_word_ngrams_equal_lm_evals_janitor_on_flores_in_twelve_scripts() -> None:
    from lm_eval.decontamination.janitor import Janitor
    from lm_eval.decontamination.janitor import word_ngrams as janitor_ngrams

    janitor = Janitor()
    compared = 0
    for lang in SCRIPTS:
        for line in _devtest(lang)[:100]:
            assert normalize(line) == janitor.normalize_string(line), (lang, line)
            ours = list(word_ngrams(line, 13))
            assert ours == list(janitor_ngrams(janitor.normalize_string(line), 13)), (lang, line)
            compared += len(ours)
    assert compared > 10_000  # Chinese and Thai give almost none: most come from the spaced scripts


def test_normalisation_and_word_ngrams_by_hand() -> None:
    # ASCII letters lowercased and ASCII punctuation deleted, nothing else (as lm-eval's janitor).
    assert normalize("Hello, World! ÉCOLE «Ça» 你好。") == "hello world École «Ça» 你好。"
    assert list(word_ngrams("The cat, the HAT!", 2)) == ["the cat", "cat the", "the hat"]
    assert list(word_ngrams("a b", 3)) == []
    assert list(word_ngrams("don't  stop\nme now", 3)) == ["dont stop me", "stop me now"]


def test_character_ngrams_by_hand() -> None:
    assert char_lengths(13) == {"han_kana": 20, "brahmic": 52}
    assert char_lengths(2) == {"han_kana": 3, "brahmic": 8}
    text = "我爱北京, ok 天安门。ไทย"
    assert group_chars(text) == {"han_kana": "我爱北京天安门", "brahmic": "ไทย"}
    assert list(char_ngrams(text, 2)) == ["我爱北", "爱北京", "北京天", "京天安", "天安门"]  # ไทย: 3 < 8
    assert ngrams(text, 2) == {
        "我爱北京 ok",
        "ok 天安门。ไทย",
        "我爱北",
        "爱北京",
        "北京天",
        "京天安",
        "天安门",
    }


@pytest.mark.parametrize("lang", ["eng_Latn", "zho_Hans", "tha_Thai", "jpn_Jpan"])
def test_stream_gives_the_keys_of_the_joined_text(lang: str) -> None:
    lines = _devtest(lang)[:40]
    stream = NgramStream(13)
    streamed = [key for line in lines for key in stream.feed(line + "\n")]
    whole = ngrams("\n".join(lines), 13)
    assert whole and set(streamed) == whole
    stream.end_document()
    assert list(stream.feed(lines[0][:5])) == []


def test_overlap_by_hand(tmp_path: Path) -> None:
    docs = [
        ["one two three four", "five six"],  # 3-grams: one two three, two three four
        ["seven eight nine"],
        ["ten eleven"],  # no 3-gram
        ["Template words here: alpha beta gamma"],
        ["template words here: delta epsilon"],
    ]
    index, keys = index_task("t", "test", docs, 3)
    assert index.template == set()  # "template words here" is in 2 of 5 documents: not the template
    docs[2] = ["template words here"]
    index, keys = index_task("t", "test", docs, 3)
    assert index.template == {"template words here"}  # now in 3 of 5: the template's, left out
    assert "template words here" not in keys and "words here alpha" in keys
    train = tmp_path / "train.txt"
    train.write_text("nothing here\nzero ONE two\nthree, template words here\nHere delta epsilon\n")
    found, sources = scan([TrainingFile(train, "test")], keys, 3)
    # "one two three" crosses lines 2-3 (a file is one text); the template's n-gram on line 3 is no key.
    assert {key: (hit.line, order) for key, (order, hit) in found.items()} == {
        "one two three": (3, 0),
        "here delta epsilon": (4, 1),
    }
    assert sources == [{"path": str(train), "sha256": hashlib.sha256(train.read_bytes()).hexdigest()}]
    result = task_hits(index, found, 3)
    assert result.doc_ids == [0, 4]
    assert result.no_ngrams == 1  # document 2: only the template's n-gram
    assert (result.documents, result.template_ngrams) == (5, 1)
    assert result.record() == {
        "split": "test",
        "documents": 5,
        "hit": 2,
        "share": 0.4,
        "doc_ids": [0, 4],
        "no_ngrams": 1,
    }
    assert [(h.line, h.ngram) for h in result.hits] == [(3, "one two three"), (4, "here delta epsilon")]


def test_jsonl_rows_are_their_fields_each_one_text(tmp_path: Path) -> None:
    rows = tmp_path / "sft.jsonl"
    rows.write_text(
        json.dumps({"prompt": "a b", "completion": "c d", "other": "x y z"})
        + "\n\n"
        + json.dumps({"prompt": "e f", "completion": "g"})
        + "\n"
    )
    keys = {"a b c", "b c d", "d e f", "x y z", "e f g"}
    found, _ = scan([TrainingFile(rows, "test", ("prompt", "completion"))], keys, 3)
    assert sorted(found) == ["a b c", "b c d", "e f g"]  # no window across rows; "other" not read
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a"}\n')
    with pytest.raises(
        HarnessError, match=r"bad.jsonl:1: not a JSON object with the fields prompt, completion"
    ):
        scan([TrainingFile(bad, "test", ("prompt", "completion"))], keys, 3)
    with pytest.raises(HarnessError, match="missing.txt does not exist"):
        scan([TrainingFile(tmp_path / "missing.txt", "--text")], keys, 3)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok\nécole\n".encode("latin-1"))
    with pytest.raises(HarnessError, match=r"latin1.txt:2: not UTF-8"):
        scan([TrainingFile(latin1, "--text")], keys, 3)


RECORD = {
    "ngram": 13,
    "contaminated": True,
    "checked_at": "2026-12-01T00:00:00+00:00",
    "sources": [{"path": "/data/lin.txt", "sha256": "0" * 64}],
    "tasks": {
        "flores_eng_Latn-lin_Latn": {"documents": 1012, "hit": 2, "share": 2 / 1012, "doc_ids": [5, 7]},
        "afrixnli_lin": {"documents": 600, "hit": 0, "share": 0.0, "doc_ids": []},
    },
}


def test_parse_and_flags() -> None:
    record = parse(RECORD)
    assert record is not None and record.tasks_hit == ["flores_eng_Latn-lin_Latn"]
    assert record.flag("flores_eng_Latn-lin_Latn") == "yes (2/1012)"
    assert record.flag("afrixnli_lin") == "yes (other tasks)"
    clean = parse(
        RECORD | {"contaminated": False, "tasks": {"afrixnli_lin": RECORD["tasks"]["afrixnli_lin"]}}
    )
    assert clean is not None and clean.flag("afrixnli_lin") == "no" and clean.flag("xnli_en") == "unchecked"
    assert parse(None) is None and parse({"ngram": 13}) is None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def test_records_read_back_by_checkpoint_and_run(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    recipe = {"name": "layra", "config": {"seed": 0}, "contamination": RECORD}
    flagged = store.register_checkpoint(
        factory, Lineage("m", step=20, recipe=recipe), "/runs/m/checkpoint-20", "local"
    )
    plain = store.register_checkpoint(
        factory, Lineage("m", step=40, recipe={"name": "layra"}), "/runs/m/c-40", "local"
    )
    store.register_checkpoint(factory, Lineage("base"), "/models/base", "local")
    records = by_checkpoint(engine)
    assert list(records) == [flagged]
    assert records[flagged].tasks["flores_eng_Latn-lin_Latn"].doc_ids == [5, 7]
    assert by_checkpoint(engine, [plain]) == {}
    run_flagged = store.start_run(
        factory, Lineage("m", step=20, recipe=recipe), "/runs/m/checkpoint-20", "local", {}
    )
    run_plain = store.start_run(factory, Lineage("base"), "/models/base", "local", {})
    runs = by_run(engine, [run_flagged, run_plain])
    assert list(runs) == [run_flagged] and runs[run_flagged].contaminated is True
