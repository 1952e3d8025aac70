"""Task metadata for the app: each stored task's family and language, and each language's name,
script and resource level.

Languages are FLORES-200 codes (ISO 639-3 + ISO 15924 script, `lin_Latn`) whatever the family,
so that one language lines up across families: XNLI's `sw` and AfriXNLI's `swa` are `swh_Latn`,
as in FLORES. A code the table does not know is kept as given (script from its `_Xxxx` suffix,
when it has one; resource level unknown).

Resource levels (high, medium, low) are an approximation made for this table, not an official
list. Source: the language taxonomy of Joshi et al. (2020), "The State and Fate of Linguistic
Diversity and Inclusion in the NLP World" (ACL), classes 4-5 as `high` and class 3 as `medium`,
applied as best known to the FLORES-200 codes; every other FLORES-200 language is `low`, which
agrees with NLLB's (2022) low-resource classification (fewer than 1M publicly available
parallel sentences with any language) for the languages that taxonomy leaves out. Change the
two sets below to reclassify: the app reads them at query time, nothing is stored.
"""

from dataclasses import dataclass

from tasks.flores.languages import FLORES_LANGUAGES

FAMILIES = ("flores", "afrixnli", "xnli", "kobest", "ceval", "agieval", "gaokao", "ifmt_terms", "ifmt")
"""Registry families, longest prefix first where one is a prefix of another."""

HIGH = frozenset(
    [
        "arb_Arab",
        "deu_Latn",
        "eng_Latn",
        "fra_Latn",
        "jpn_Jpan",
        "spa_Latn",
        "zho_Hans",
        "zho_Hant",
        "rus_Cyrl",
        "kor_Hang",
        "ita_Latn",
        "por_Latn",
        "nld_Latn",
        "ces_Latn",
        "pol_Latn",
        "tur_Latn",
        "vie_Latn",
        "pes_Arab",
        "hin_Deva",
        "fin_Latn",
        "swe_Latn",
        "hun_Latn",
        "cat_Latn",
    ]
)
MEDIUM = frozenset(
    [
        "ind_Latn",
        "ukr_Cyrl",
        "ron_Latn",
        "bul_Cyrl",
        "ell_Grek",
        "dan_Latn",
        "nob_Latn",
        "slk_Latn",
        "slv_Latn",
        "hrv_Latn",
        "srp_Cyrl",
        "bos_Latn",
        "ben_Beng",
        "tam_Taml",
        "urd_Arab",
        "tha_Thai",
        "zsm_Latn",
        "lit_Latn",
        "lvs_Latn",
        "est_Latn",
        "afr_Latn",
        "tgl_Latn",
        "heb_Hebr",
        "kat_Geor",
        "eus_Latn",
        "glg_Latn",
        "als_Latn",
        "hye_Armn",
        "kaz_Cyrl",
        "azj_Latn",
        "uzn_Latn",
        "mar_Deva",
        "tel_Telu",
        "mal_Mlym",
        "kan_Knda",
        "guj_Gujr",
        "pan_Guru",
        "npi_Deva",
        "sin_Sinh",
        "mkd_Cyrl",
        "bel_Cyrl",
        "isl_Latn",
        "swh_Latn",
        "arz_Arab",
        "ary_Arab",
        "apc_Arab",
        "yue_Hant",
    ]
)

ISO_639_1 = {
    "ar": "arb_Arab",
    "bg": "bul_Cyrl",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "hi": "hin_Deva",
    "ko": "kor_Hang",
    "ru": "rus_Cyrl",
    "sw": "swh_Latn",
    "th": "tha_Thai",
    "tr": "tur_Latn",
    "ur": "urd_Arab",
    "vi": "vie_Latn",
    "zh": "zho_Hans",
}
"""XNLI's language suffixes."""

ISO_639_3 = {
    "amh": "amh_Ethi",
    "eng": "eng_Latn",
    "ewe": "ewe_Latn",
    "fra": "fra_Latn",
    "hau": "hau_Latn",
    "ibo": "ibo_Latn",
    "kin": "kin_Latn",
    "lin": "lin_Latn",
    "lug": "lug_Latn",
    "orm": "gaz_Latn",
    "sna": "sna_Latn",
    "sot": "sot_Latn",
    "swa": "swh_Latn",
    "twi": "twi_Latn",
    "wol": "wol_Latn",
    "xho": "xho_Latn",
    "yor": "yor_Latn",
    "zul": "zul_Latn",
}
"""AfriXNLI's language folders."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str
    resource: str
    """high, medium or low."""


def _resource(code: str) -> str:
    return "high" if code in HIGH else "medium" if code in MEDIUM else "low"


LANGUAGES: dict[str, Language] = {
    code: Language(code, name, code.split("_", 1)[1], _resource(code))
    for code, name in FLORES_LANGUAGES.items()
}


def language_info(code: str) -> Language:
    """The table's entry, or what the code itself says (script from its suffix)."""
    if code in LANGUAGES:
        return LANGUAGES[code]
    script = code.split("_", 1)[1] if "_" in code else "unknown"
    return Language(code, code, script, "unknown")


def task_family(task: str) -> str:
    for family in FAMILIES:
        if task.startswith(family + "_") or task == family:
            return family
    return task.split("_", 1)[0]


def task_language(task: str) -> str | None:
    """The language a task evaluates: FLORES's non-English side, XNLI's and AfriXNLI's suffix,
    Korean for KoBEST, Chinese for C-Eval, AGIEval Gaokao, GAOKAO-Bench (English for its English
    sections) and IF-MT, German for the terminology tasks; None when unknown."""
    family = task_family(task)
    rest = task[len(family) + 1 :]
    if family == "flores":
        src, _, tgt = rest.partition("-")
        if not tgt:
            return None
        return tgt if src == "eng_Latn" else src
    if family == "xnli":
        return ISO_639_1.get(rest, rest or None)
    if family == "afrixnli":
        return ISO_639_3.get(rest, rest or None)
    if family == "kobest":
        return "kor_Hang"
    if family == "agieval" and rest == "gaokao_english":  # English questions of the Chinese exam
        return "eng_Latn"
    if family == "ceval" or (family == "agieval" and rest.startswith("gaokao")):
        return "zho_Hans"
    if family == "gaokao":  # GAOKAO-Bench: Chinese exams, whose English sections are in English
        return "eng_Latn" if "_english_" in task else "zho_Hans"
    if family == "ifmt":
        return "zho_Hans"
    if family == "ifmt_terms":
        return "deu_Latn"
    return None


def task_meta(task: str) -> tuple[str, str | None]:
    """(family, language) stored with each task result."""
    return task_family(task), task_language(task)
