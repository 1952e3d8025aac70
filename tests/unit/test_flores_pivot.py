"""FLORES names: pivot groups resolved by name, the stored language of a direction (its target), where
language views place it, the FLORES+ code map, and the cut-off rule over generated tokens."""

from pathlib import Path

import pytest

from core.languages import FLORES_LANGUAGES, placed_language
from harness.engine.backends.greedy import budget_spent
from tasks.flores import names
from tasks.flores.codes import TO_FLORES200, flores200_code, language_name
from tasks.flores.plus import FloresPlus
from tasks.flores.task import Flores
from tasks.registry import expand_with_groups


def _no_data(name: str) -> Path:
    raise AssertionError(f"FLORES-200 names need no data ({name})")


def test_pivot_group_holds_both_directions_of_every_script_pair() -> None:
    tasks, groups = expand_with_groups(["flores_lin@fra", "flores_kor@zho", "flores_ace@fra"], _no_data)
    assert groups["flores_lin@fra"].members == ["flores_fra_Latn-lin_Latn", "flores_lin_Latn-fra_Latn"]
    # Chinese has two scripts in FLORES-200: both pairs, both directions.
    assert sorted(groups["flores_kor@zho"].members) == sorted(
        [
            "flores_zho_Hans-kor_Hang",
            "flores_zho_Hant-kor_Hang",
            "flores_kor_Hang-zho_Hans",
            "flores_kor_Hang-zho_Hant",
        ]
    )
    # As `flores_ace` does for English: every script of the language.
    assert sorted(groups["flores_ace@fra"].members) == sorted(
        [
            "flores_fra_Latn-ace_Arab",
            "flores_fra_Latn-ace_Latn",
            "flores_ace_Arab-fra_Latn",
            "flores_ace_Latn-fra_Latn",
        ]
    )
    assert len(tasks) == 2 + 4 + 4 and all(fam.name == "flores" for _, fam in tasks)
    assert {g.rule for g in groups.values()} == {"macro"}


def test_pivot_groups_are_not_listed_but_resolve() -> None:
    listed = Flores().groups(None)
    assert not any("@" in g for g in listed)  # 204 x 203 pairs are not enumerated
    assert len(listed) == 1 + len({names.iso(c) for c in FLORES_LANGUAGES if c != "eng_Latn"})
    assert "flores_lin@fra" in listed and listed["flores_lin@fra"] == [
        "flores_fra_Latn-lin_Latn",
        "flores_lin_Latn-fra_Latn",
    ]
    # English as the pivot gives the English-centric group's directions.
    assert sorted(listed["flores_lin@eng"]) == sorted(listed["flores_lin"])
    for bad in ("flores_lin@xyz", "flores_lin@lin", "flores_xyz@fra", "flores_lin@fra@eng"):
        assert bad not in listed
        with pytest.raises(KeyError):
            listed[bad]


def test_unknown_pivot_is_an_error() -> None:
    from core.errors import HarnessError

    with pytest.raises(HarnessError, match="FLORES-200 has no language with ISO 639-3 code 'xyz'"):
        expand_with_groups(["flores_lin@xyz"], _no_data)
    with pytest.raises(HarnessError, match="two different ISO 639-3 codes"):
        expand_with_groups(["flores_lin@lin"], _no_data)


@pytest.mark.parametrize(
    ("task", "language", "source", "placed"),
    [
        ("flores_eng_Latn-lin_Latn", "lin_Latn", "eng_Latn", "lin_Latn"),
        ("flores_lin_Latn-eng_Latn", "eng_Latn", "lin_Latn", "lin_Latn"),  # into English: its source
        ("flores_fra_Latn-lin_Latn", "lin_Latn", "fra_Latn", "lin_Latn"),
        ("flores_lin_Latn-fra_Latn", "fra_Latn", "lin_Latn", "fra_Latn"),  # any other pivot: its target
        ("flores_kor_Hang-zho_Hant", "zho_Hant", "kor_Hang", "zho_Hant"),
    ],
)
def test_stored_language_is_the_target(task: str, language: str, source: str, placed: str) -> None:
    meta = Flores().meta(task)
    assert (meta.language, meta.source_language) == (language, source)
    assert placed_language(meta.language, meta.source_language) == placed
    assert Flores().translation_languages(task) == (source, language)


def test_placed_language_of_tasks_without_a_source() -> None:
    assert placed_language("eng_Latn", None) == "eng_Latn"  # an English benchmark stays English
    assert placed_language(None, None) is None


def test_flores_plus_code_map() -> None:
    # FLORES+ CHANGELOG 2.0-rc.1 and 2.0-rc.2 relabellings, each to a FLORES-200 code.
    expected = {
        "cmn_Hans": "zho_Hans",
        "cmn_Hant": "zho_Hant",
        "ekk_Latn": "est_Latn",
        "zgh_Tfng": "tzm_Tfng",
        "fil_Latn": "tgl_Latn",
        "gug_Latn": "grn_Latn",
        "ktu_Latn": "kon_Latn",
        "apc_Arab_nort3139": "apc_Arab",
        "apc_Arab_sout3123": "ajp_Arab",
        "twi_Latn_asan1239": "aka_Latn",
        "twi_Latn_akua1239": "twi_Latn",
    }
    assert expected == TO_FLORES200
    assert all(code in FLORES_LANGUAGES for code in TO_FLORES200.values())
    assert flores200_code("lin_Latn") == "lin_Latn"
    assert language_name("cmn_Hans") == FLORES_LANGUAGES["zho_Hans"]
    assert language_name("gom_Deva") == "Goan Konkani" and language_name("xyz_Latn") is None


def test_flores_plus_tasks_come_from_the_data(tmp_path: Path) -> None:
    for split in ("dev", "devtest"):
        (tmp_path / split).mkdir()
        for code in ("eng_Latn", "cmn_Hans", "fra_Latn"):
            (tmp_path / split / f"{code}.{split}").write_text("a\n", encoding="utf-8")
    (tmp_path / "dev" / "brx_Deva.dev").write_text("a\n", encoding="utf-8")  # dev only: no task
    fam = FloresPlus()
    groups = fam.groups(tmp_path)
    assert sorted(groups["flores+"]) == sorted(
        [
            "flores+_eng_Latn-cmn_Hans",
            "flores+_eng_Latn-fra_Latn",
            "flores+_cmn_Hans-eng_Latn",
            "flores+_fra_Latn-eng_Latn",
        ]
    )
    assert groups["flores+_cmn@fra"] == ["flores+_fra_Latn-cmn_Hans", "flores+_cmn_Hans-fra_Latn"]
    assert "flores+_brx" not in groups and not fam.owns("flores+_eng_Latn-brx_Deva", tmp_path)
    meta = fam.meta("flores+_eng_Latn-cmn_Hans")
    assert (meta.family, meta.language, meta.source_language) == ("flores+", "zho_Hans", "eng_Latn")
    assert fam.translation_languages("flores+_cmn_Hans-fra_Latn") == ("zho_Hans", "fra_Latn")


def _ids(text: str) -> list[int]:
    return [ord(c) for c in text]


def _text(ids: list[int]) -> str:
    return "".join(chr(i) for i in ids if i >= 32 or i == 10)


# (generated tokens after the context, padded as `generate` pads finished rows; cut off?)
BUDGET_TABLE = [
    (_ids("abcd"), True),  # four tokens, no stop, no EOS: the budget ended it
    (_ids("ab\nc"), False),  # a newline: lm-eval cuts the answer there
    (_ids("abc\n"), False),  # the stop string completed by the last allowed token
    (_ids("ab") + [2, 0], False),  # EOS (2), then padding (0)
    (_ids("abc") + [2], False),  # EOS as the last allowed token
    (_ids("ab") + [0, 0], False),  # padded: the row finished early
    (_ids("abc"), False),  # the whole batch stopped before the budget (a shorter tensor)
]


def test_budget_spent_table() -> None:
    rows = [row for row, _ in BUDGET_TABLE]
    flags = budget_spent(rows, 4, ["\n"], _text, eos={2}, pad_id=0)
    assert flags == [cut for _, cut in BUDGET_TABLE]
