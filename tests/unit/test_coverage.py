"""The COMET family's language coverage (`core.coverage`): XLM-R's 100 languages as Conneau et al.
(2020, Table 6) list them, mapped to FLORES-200 codes, and the flag a note carries."""

from core.coverage import XLMR, XLMR_LANGUAGES, coverage_flag, coverage_note, outside
from core.languages import FLORES_LANGUAGES


def test_the_list_is_xlmr_100_mapped_to_flores_codes() -> None:
    assert len(XLMR_LANGUAGES) == 100
    codes = [code for _, code in XLMR_LANGUAGES.values() if code is not None]
    assert len(codes) == len(set(codes)) == len(XLMR.languages) == 91
    assert not [c for c in codes if c not in FLORES_LANGUAGES]
    # No FLORES-200 code: Breton, Western Frisian, Latin, the five romanized sets, Burmese in Zawgyi.
    assert sorted(k for k, (_, code) in XLMR_LANGUAGES.items() if code is None) == [
        "bn_rom", "br", "fy", "hi_rom", "la", "my_zaw", "ta_rom", "te_rom", "ur_rom",
    ]  # fmt: skip


def test_african_languages_in_and_out() -> None:
    # In Table 6: Afrikaans, Amharic, Hausa, Malagasy, Oromo, Somali, Swahili, Xhosa.
    for code in (
        "afr_Latn",
        "amh_Ethi",
        "hau_Latn",
        "plt_Latn",
        "gaz_Latn",
        "som_Latn",
        "swh_Latn",
        "xho_Latn",
    ):
        assert code in XLMR.languages, code
    # Not in it (CC-100 has Lingala, Yoruba, Zulu ... but XLM-R was not trained on them).
    for code in ("lin_Latn", "yor_Latn", "zul_Latn", "kin_Latn", "ibo_Latn", "wol_Latn", "lug_Latn"):
        assert code not in XLMR.languages, code


def test_note_and_flag() -> None:
    assert coverage_note(XLMR, [("source", "eng_Latn"), ("target", "fra_Latn")]) == ""
    assert outside(XLMR, [("source", "lin_Latn"), ("target", "eng_Latn")]) == [("source", "lin_Latn")]
    note = coverage_note(XLMR, [("source", "kin_Latn"), ("target", "lin_Latn")])
    assert note.startswith("outside encoder coverage: kin_Latn, lin_Latn (source kin_Latn, target lin_Latn)")
    assert "XLM-R 100" in note and "Conneau et al. 2020, Table 6" in note
    assert coverage_flag("COMET's own scale; " + note) == "kin_Latn, lin_Latn"
    assert coverage_flag("COMET's own scale") is None and coverage_flag(None) is None
