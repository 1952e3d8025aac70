"""Language labels of output language identification: ISO 639-3 + ISO 15924 codes as fastText
LID models name them (GlotLID, OpenLID, FLORES-200), their FLORES-200 code, and the two ways
`off_target` and `off_target_macro` compare them with a task's target (`harness.scorers.lid`)."""

import re

LABEL_PREFIX = "__label__"
_LABEL = re.compile(r"^([a-z]{3})_([A-Z][a-z]{3})$")

# ISO 639-3 macrolanguages (SIL's iso-639-3-macrolanguages table) of the FLORES-200 languages that
# belong to one, with the other members a GlotLID model may name (e.g. `cmn` for Mandarin).
_MACRO_MEMBERS = {
    "ara": "aao abh abv acm acq acw acx acy adf aeb aec afb ajp apc apd arb arq ars ary arz auz avl "
    "ayh ayl ayn ayp bbz pga shu ssh",
    "zho": "cdo cjy cmn cnp cpx csp czh czo gan hak hnm hsn luh lzh mnp nan sjc wuu yue",
    "msa": "bjn btj bve bvu coa dup hji ind jak jax kvb kvr kxd lce lcf liw max meo mfa mfb min mly "
    "mqg msi mui orn ors pel pse tmw urk vkk vkt xmm zlm zmi zsm",
    "fas": "pes prs",
    "sqi": "aae aat aln als",
    "aze": "azb azj",
    "est": "ekk vro",
    "lav": "ltg lvs",
    "mon": "khk mvf",
    "pus": "pbt pbu pst",
    "uzb": "uzn uzs",
    "kur": "ckb kmr sdh",
    "aka": "fat twi",
    "nor": "nno nob",
    "swa": "swc swh",
    "ori": "ory spv",
    "mlg": "bhr bmm bzc msh plt skg tdx tkg txy xmv xmw",
    "yid": "ydd yih",
    "kau": "kby knc krt",
    "tmh": "taq thv thz ttq",
    "ful": "ffm fub fuc fue fuf fuh fui fuq fuv",
    "din": "dib dik dip diw dks",
    "que": "quy quz qvc qxu",  # the Quechuas GlotLID names most (ISO lists 44)
    "hbs": "bos hrv srp",
    "aym": "ayc ayr",
    "orm": "gax gaz hae orc",
    "nep": "dty npi",
    "grn": "gnw gug gui gun nhd",
    "srd": "sdc sdn src sro",
    "kon": "kng kwy ldi",
}
MACROLANGUAGE = {member: macro for macro, members in _MACRO_MEMBERS.items() for member in members.split()}
"""ISO 639-3 individual language -> its macrolanguage (a code maps to itself when absent)."""


def parse_label(label: str) -> tuple[str, str] | None:
    """(ISO 639-3 code, ISO 15924 script) of a fastText label (`__label__eng_Latn` or `eng_Latn`)."""
    match = _LABEL.match(label.removeprefix(LABEL_PREFIX))
    return (match.group(1), match.group(2)) if match else None


def language_key(code: str) -> str:
    """What two language codes must share to count as the same language: the ISO 639-3 part of a
    `xxx_Scrp` code, folded into its macrolanguage."""
    parsed = parse_label(code)
    iso = parsed[0] if parsed else code.split("_", 1)[0]
    return MACROLANGUAGE.get(iso, iso)


def same_language(a: str, b: str) -> bool:
    """Folded comparison (`off_target_macro`): same ISO 639-3 macrolanguage, any script."""
    return language_key(a) == language_key(b)


def same_code(label: str, target: str) -> bool:
    """Strict comparison (`off_target`): the label names the target's FLORES-200 code, language and
    script (directly, or as the one FLORES-200 code of its language and script)."""
    code = label.removeprefix(LABEL_PREFIX)
    return code == target or to_flores(code) == target


def to_flores(label: str) -> str | None:
    """The FLORES-200 code a label names: itself when it is one, else the one FLORES-200 code of the
    same language and script (GlotLID's `swa_Latn` -> `swh_Latn`); None when there is none or more
    than one (`cmn_Hani`: neither script matches; `ara_Arab`: nine Arabic varieties)."""
    from core.languages import FLORES_LANGUAGES

    code = label.removeprefix(LABEL_PREFIX)
    if code in FLORES_LANGUAGES:
        return code
    parsed = parse_label(code)
    if parsed is None:
        return None
    matches = [
        c for c in FLORES_LANGUAGES if c.endswith(f"_{parsed[1]}") and language_key(c) == language_key(code)
    ]
    return matches[0] if len(matches) == 1 else None
