"""FLORES+ language codes and their FLORES-200 counterparts.

FLORES+ (openlanguagedata/flores, CHANGELOG.md) relabelled some FLORES-200 data:
- 2.0-rc.1: `zho_Hans` -> `cmn_Hans`, `zho_Hant` -> `cmn_Hant` (confirmed Standard Beijing and
  Taiwanese Mandarin), `tgl_Latn` -> `fil_Latn`, `tzm_Tfng` -> `zgh_Tfng` (the data is Standard
  Moroccan Tamazight);
- 2.0-rc.2: the macrolanguage codes `est_Latn` -> `ekk_Latn`, `grn_Latn` -> `gug_Latn`,
  `kon_Latn` -> `ktu_Latn`; `ajp_Arab` -> `apc_Arab_sout3123` and `apc_Arab` -> `apc_Arab_nort3139`;
  `aka_Latn` -> `twi_Latn_asan1239` and `twi_Latn` -> `twi_Latn_akua1239` (a Glottocode added where
  one ISO code now holds two varieties).
A few languages are new in FLORES+ (N'Ko came with FLORES-200 already; Goan Konkani, Bodo, Dogri,
Meitei in Meitei script, Sindhi in Devanagari, Meadow Mari and Chuvash were added, most `dev` only).

Results are stored under the FLORES-200 code (`TaskMeta.language`), so that a language's FLORES-200
and FLORES+ rows meet in language views, and the language identifier (trained on FLORES-200 labels)
checks the right label. A relabelling that corrected what the language is (`zgh_Tfng`, `cmn_Hans`)
is still the same FLORES sentence set; the code map says which FLORES-200 file it replaced.
"""

from core.languages import FLORES_LANGUAGES

TO_FLORES200 = {
    "cmn_Hans": "zho_Hans",
    "cmn_Hant": "zho_Hant",
    "fil_Latn": "tgl_Latn",
    "zgh_Tfng": "tzm_Tfng",
    "ekk_Latn": "est_Latn",
    "gug_Latn": "grn_Latn",
    "ktu_Latn": "kon_Latn",
    "apc_Arab_sout3123": "ajp_Arab",
    "apc_Arab_nort3139": "apc_Arab",
    "twi_Latn_asan1239": "aka_Latn",
    "twi_Latn_akua1239": "twi_Latn",
}
"""FLORES+ code -> the FLORES-200 code of the same sentences (before FLORES+'s corrections)."""

FROM_FLORES200 = {v: k for k, v in TO_FLORES200.items()}

NEW_NAMES = {
    "gom_Deva": "Goan Konkani",
    "brx_Deva": "Bodo",
    "dgo_Deva": "Dogri",
    "mni_Mtei": "Meitei (Meitei script)",
    "snd_Deva": "Sindhi (Devanagari script)",
    "mhr_Cyrl": "Meadow Mari",
    "chv_Cyrl": "Chuvash",
}
"""Prompt names of FLORES+ languages that FLORES-200 lacks (names from FLORES+'s README)."""


def flores200_code(code: str) -> str:
    """The FLORES-200 code of a FLORES+ code (itself where unchanged or new)."""
    return TO_FLORES200.get(code, code)


def language_name(code: str) -> str | None:
    """The English name the prompt uses for a FLORES+ code (FLORES-200's name for the same
    language), None when unknown."""
    return FLORES_LANGUAGES.get(flores200_code(code)) or NEW_NAMES.get(code)
