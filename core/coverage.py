"""Which languages a neural metric's encoder was trained on, and the flag a score carries when the
metric reads a language outside them.

The COMET family (COMET, CometKiwi, xCOMET) encodes text with XLM-R (`xlm-roberta-large`,
`facebook/xlm-roberta-xl`) or InfoXLM (`microsoft/infoxlm-large`, CometKiwi 2022: XLM-R continued
on the same CC-100 data plus parallel text), so its coverage is XLM-R's 100 pre-training languages.
Source: Conneau et al. (2020), "Unsupervised Cross-lingual Representation Learning at Scale" (ACL),
Appendix A, Table 6 (the CC-100 languages XLM-R was trained on, by ISO 639-1 code; `*_rom` are
romanized text, `my_zaw` Burmese in the Zawgyi encoding). COMET's own documentation warns that
scores for languages outside them are unreliable.

Each listed language maps to the FLORES-200 code of the variety FLORES uses for it (`ar` Arabic ->
`arb_Arab`, `fa` Persian -> `pes_Arab`, `no` Norwegian -> `nob_Latn`, `ku` Kurdish (Kurmanji) ->
`kmr_Latn`, `zh` Chinese (Simplified) / (Traditional) -> `zho_Hans` / `zho_Hant`). Varieties the table
does not name (Arabic dialects, Dari, South Azerbaijani, Nynorsk, ...) count as outside: the flag
is conservative. Breton, Western Frisian, Latin and the romanized and Zawgyi entries have no
FLORES-200 code.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

XLMR_LANGUAGES: dict[str, tuple[str, str | None]] = {
    "af": ("Afrikaans", "afr_Latn"),
    "am": ("Amharic", "amh_Ethi"),
    "ar": ("Arabic", "arb_Arab"),
    "as": ("Assamese", "asm_Beng"),
    "az": ("Azerbaijani", "azj_Latn"),
    "be": ("Belarusian", "bel_Cyrl"),
    "bg": ("Bulgarian", "bul_Cyrl"),
    "bn": ("Bengali", "ben_Beng"),
    "bn_rom": ("Bengali Romanized", None),
    "br": ("Breton", None),
    "bs": ("Bosnian", "bos_Latn"),
    "ca": ("Catalan", "cat_Latn"),
    "cs": ("Czech", "ces_Latn"),
    "cy": ("Welsh", "cym_Latn"),
    "da": ("Danish", "dan_Latn"),
    "de": ("German", "deu_Latn"),
    "el": ("Greek", "ell_Grek"),
    "en": ("English", "eng_Latn"),
    "eo": ("Esperanto", "epo_Latn"),
    "es": ("Spanish", "spa_Latn"),
    "et": ("Estonian", "est_Latn"),
    "eu": ("Basque", "eus_Latn"),
    "fa": ("Persian", "pes_Arab"),
    "fi": ("Finnish", "fin_Latn"),
    "fr": ("French", "fra_Latn"),
    "fy": ("Western Frisian", None),
    "ga": ("Irish", "gle_Latn"),
    "gd": ("Scottish Gaelic", "gla_Latn"),
    "gl": ("Galician", "glg_Latn"),
    "gu": ("Gujarati", "guj_Gujr"),
    "ha": ("Hausa", "hau_Latn"),
    "he": ("Hebrew", "heb_Hebr"),
    "hi": ("Hindi", "hin_Deva"),
    "hi_rom": ("Hindi Romanized", None),
    "hr": ("Croatian", "hrv_Latn"),
    "hu": ("Hungarian", "hun_Latn"),
    "hy": ("Armenian", "hye_Armn"),
    "id": ("Indonesian", "ind_Latn"),
    "is": ("Icelandic", "isl_Latn"),
    "it": ("Italian", "ita_Latn"),
    "ja": ("Japanese", "jpn_Jpan"),
    "jv": ("Javanese", "jav_Latn"),
    "ka": ("Georgian", "kat_Geor"),
    "kk": ("Kazakh", "kaz_Cyrl"),
    "km": ("Khmer", "khm_Khmr"),
    "kn": ("Kannada", "kan_Knda"),
    "ko": ("Korean", "kor_Hang"),
    "ku": ("Kurdish (Kurmanji)", "kmr_Latn"),
    "ky": ("Kyrgyz", "kir_Cyrl"),
    "la": ("Latin", None),
    "lo": ("Lao", "lao_Laoo"),
    "lt": ("Lithuanian", "lit_Latn"),
    "lv": ("Latvian", "lvs_Latn"),
    "mg": ("Malagasy", "plt_Latn"),
    "mk": ("Macedonian", "mkd_Cyrl"),
    "ml": ("Malayalam", "mal_Mlym"),
    "mn": ("Mongolian", "khk_Cyrl"),
    "mr": ("Marathi", "mar_Deva"),
    "ms": ("Malay", "zsm_Latn"),
    "my": ("Burmese", "mya_Mymr"),
    "my_zaw": ("Burmese (Zawgyi)", None),
    "ne": ("Nepali", "npi_Deva"),
    "nl": ("Dutch", "nld_Latn"),
    "no": ("Norwegian", "nob_Latn"),
    "om": ("Oromo", "gaz_Latn"),
    "or": ("Oriya", "ory_Orya"),
    "pa": ("Punjabi", "pan_Guru"),
    "pl": ("Polish", "pol_Latn"),
    "ps": ("Pashto", "pbt_Arab"),
    "pt": ("Portuguese", "por_Latn"),
    "ro": ("Romanian", "ron_Latn"),
    "ru": ("Russian", "rus_Cyrl"),
    "sa": ("Sanskrit", "san_Deva"),
    "sd": ("Sindhi", "snd_Arab"),
    "si": ("Sinhala", "sin_Sinh"),
    "sk": ("Slovak", "slk_Latn"),
    "sl": ("Slovenian", "slv_Latn"),
    "so": ("Somali", "som_Latn"),
    "sq": ("Albanian", "als_Latn"),
    "sr": ("Serbian", "srp_Cyrl"),
    "su": ("Sundanese", "sun_Latn"),
    "sv": ("Swedish", "swe_Latn"),
    "sw": ("Swahili", "swh_Latn"),
    "ta": ("Tamil", "tam_Taml"),
    "ta_rom": ("Tamil Romanized", None),
    "te": ("Telugu", "tel_Telu"),
    "te_rom": ("Telugu Romanized", None),
    "th": ("Thai", "tha_Thai"),
    "tl": ("Filipino", "tgl_Latn"),
    "tr": ("Turkish", "tur_Latn"),
    "ug": ("Uyghur", "uig_Arab"),
    "uk": ("Ukrainian", "ukr_Cyrl"),
    "ur": ("Urdu", "urd_Arab"),
    "ur_rom": ("Urdu Romanized", None),
    "uz": ("Uzbek", "uzn_Latn"),
    "vi": ("Vietnamese", "vie_Latn"),
    "xh": ("Xhosa", "xho_Latn"),
    "yi": ("Yiddish", "ydd_Hebr"),
    "zh": ("Chinese (Simplified)", "zho_Hans"),
    "zh_tw": ("Chinese (Traditional)", "zho_Hant"),
}
"""XLM-R's 100 languages (Conneau et al. 2020, Table 6): code -> (name, FLORES-200 code or None)."""


@dataclass(frozen=True)
class Coverage:
    """The languages a metric's encoder was trained on."""

    name: str
    """As a note or fingerprint names it (`XLM-R 100`)."""
    source: str
    """Where the list comes from."""
    languages: frozenset[str]
    """FLORES-200 codes."""

    def fingerprint(self) -> dict[str, object]:
        return {"name": self.name, "source": self.source, "flores_languages": len(self.languages)}


XLMR = Coverage(
    "XLM-R 100",
    "Conneau et al. 2020, Table 6",
    frozenset(code for _, code in XLMR_LANGUAGES.values() if code is not None),
)

FLAG = "outside encoder coverage"
"""How a note starts the flag; `coverage_flag` finds it in a stored note."""
_FLAGGED = re.compile(FLAG + r": ([A-Za-z]{3}_[A-Za-z]{4}(?:, [A-Za-z]{3}_[A-Za-z]{4})*)")


def outside(coverage: Coverage, languages: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (side, FLORES-200 code) pairs of `languages` that `coverage` does not hold."""
    return [(side, code) for side, code in languages if code not in coverage.languages]


def coverage_note(coverage: Coverage, languages: Sequence[tuple[str, str]]) -> str:
    """The flag for a score that reads `languages` ((side, code): ("source", "eng_Latn"), ...), or ""
    when the encoder was trained on all of them."""
    missing = outside(coverage, languages)
    if not missing:
        return ""
    codes = ", ".join(dict.fromkeys(code for _, code in missing))
    sides = ", ".join(f"{side} {code}" for side, code in missing)
    return (
        f"{FLAG}: {codes} ({sides}) not among the {coverage.name} training languages "
        f"({coverage.source}); the score is less reliable there"
    )


def coverage_flag(note: str | None) -> str | None:
    """The languages a stored note flags as outside the metric's coverage (`lin_Latn`, or
    `lin_Latn, kin_Latn`), or None when it flags none."""
    found = _FLAGGED.search(note or "")
    return found.group(1) if found else None
