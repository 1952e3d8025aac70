"""The IF-MT rule-adherence judge: a versioned prompt and a strict parser for its verdict.

The scale follows the rule-adherence judge of Zero-shot Benchmarking (Pombal et al., 2025,
arXiv:2504.01001, github.com/deep-spin/zsb, task `translation_w_hard_rules_re`), the framework the
IF-MT data set card cites: the judge sees the instruction the translated model received (rules and
source) and the translation, rates on 1-6 how well the translation follows the rules regardless of
its quality, and answers with a JSON object `{"feedback": ..., "result": ...}`. The wording below
is ours (version `ifmt-judge-v1`); any change to it needs a new version.

Verdict format (strict): the reply, after surrounding whitespace and an optional Markdown code
fence (```json ... ```), must be exactly one JSON object whose `result` is an integer 1-6, or a
string holding one (`"5"`). Anything else is unparseable: counted and reported, never replaced by
a default score.
"""

import json
import re
from dataclasses import dataclass
from string import Template

JUDGE_PROMPT_VERSION = "ifmt-judge-v1"
SCALE = (1, 6)
JUDGE_MAX_GEN_TOKS = 384
"""Room for a few sentences of feedback and the score."""
JUDGE_UNTIL: tuple[str, ...] = ()
"""No stop sequence besides the end-of-text token: the JSON object spans lines."""

JUDGE_PROMPT = Template(
    """You judge whether a translation follows the rules it was asked to follow.

You receive the instruction a translation model was given (it states the rules and holds the source
text) and the translation the model produced. Rate how well the translation follows every rule and
instruction stated there, whatever its overall translation quality:

6 - every rule and instruction followed exactly
5 - all rules followed, with at most trivial slips
4 - the important rules followed, a few minor violations
3 - some rules followed, several clearly violated
2 - most rules violated
1 - the rules ignored

<INSTRUCTION>
$instruction
</INSTRUCTION>

<TRANSLATION>
$translation
</TRANSLATION>

Reply with one JSON object and nothing else, in this form:
{"feedback": "<up to three sentences on the rules followed or broken>", "result": <a whole number, 1-6>}"""
)

_FENCE = re.compile(r"\A```(?:json)?\s*\n(.*?)\n?```\Z", re.DOTALL)


def render(instruction: str, translation: str) -> str:
    """The judge's user message for one document."""
    return JUDGE_PROMPT.substitute(instruction=instruction, translation=translation)


@dataclass(frozen=True)
class Verdict:
    score: int | None
    """1-6, or None when the reply could not be parsed."""
    error: str = ""
    """Why the reply is unparseable ("" when it parsed)."""


def parse_verdict(reply: str) -> Verdict:
    """The score in a judge reply, or an unparseable verdict saying why (see the module docstring)."""
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        return Verdict(None, "reply is not a JSON object")
    try:
        parsed, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        return Verdict(None, f"invalid JSON ({exc.msg})")
    if text[end:].strip():
        return Verdict(None, "text after the JSON object")
    if not isinstance(parsed, dict) or "result" not in parsed:
        return Verdict(None, "no 'result' field")
    result = parsed["result"]
    if isinstance(result, str) and re.fullmatch(r"\s*[0-9]+\s*", result):
        result = int(result)
    if isinstance(result, bool) or not isinstance(result, int):
        return Verdict(None, f"result {parsed['result']!r} is not a whole number")
    if not SCALE[0] <= result <= SCALE[1]:
        return Verdict(None, f"result {result} is outside {SCALE[0]}-{SCALE[1]}")
    return Verdict(result)
