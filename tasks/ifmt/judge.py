"""The IF-MT rule-adherence judge: a versioned prompt and a strict parser for its verdict.

The scale follows the rule-adherence judge of Zero-shot Benchmarking (Pombal et al., 2025,
arXiv:2504.01001, github.com/deep-spin/zsb, task `translation_w_hard_rules_re`), the framework the
IF-MT data set card cites: the judge sees the instruction the translated model received (rules and
source) and the translation, rates on 1-6 how well the translation follows the rules regardless of
its quality, and answers with a JSON object `{"feedback": ..., "result": ...}`. The wording below
is ours (version `ifmt-judge-v2`); any change to it, its parsing or its budget needs a new version.

Verdict format (strict): the reply, after surrounding whitespace and an optional Markdown code
fence (```json ... ```), must be exactly one JSON object whose `result` is a whole number 1-6 (an
integer, an integral float `5.0`, or a string holding an integer, `"5"`). Anything else is
unparseable and scores the lowest grade, 1, as Zero-shot Benchmarking's `parse_da_prompt_output`
scores any reply `json.loads` or `int(result)` rejects; unparseable verdicts are also counted and
reported with their reasons. A reply that ends inside its JSON object is "cut off" (the generation
budget ran out, or the judge stopped), counted on its own. Ours differs from zsb's on two points,
both stated in the signature: a code fence around the JSON is accepted, and a result outside 1-6
is unparseable (zsb keeps `int(result)` unchecked).
"""

import json
import re
from dataclasses import dataclass
from string import Template
from typing import Any

JUDGE_PROMPT_VERSION = "ifmt-judge-v2"
SCALE = (1, 6)
LOWEST = SCALE[0]
"""The grade an unparseable verdict gets."""
JUDGE_MAX_GEN_TOKS = 2048
"""A cap far above a verdict's length (zsb gives its judge 8192); the runner lowers it only where the
judge's context window has less room left after the prompt."""
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
_OPEN_FENCE = re.compile(r"\A```(?:json)?\s*\n")


def render(instruction: str, translation: str) -> str:
    """The judge's user message for one document."""
    return JUDGE_PROMPT.substitute(instruction=instruction, translation=translation)


@dataclass(frozen=True)
class Verdict:
    score: int | None
    """1-6, or None when the reply could not be parsed."""
    error: str = ""
    """Why the reply is unparseable ("" when it parsed)."""
    cut_off: bool = False
    """The reply ends inside its JSON object (a cut-off verdict, also unparseable)."""

    @property
    def grade(self) -> int:
        """The score that counts in the mean: the parsed score, or the lowest grade."""
        return LOWEST if self.score is None else self.score


def _whole_number(value: Any) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def parse_verdict(reply: str) -> Verdict:
    """The score in a judge reply, or an unparseable verdict saying why (see the module docstring)."""
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    elif opened := _OPEN_FENCE.match(text):  # a fence that never closes: the verdict may be cut off
        text = text[opened.end() :].strip()
    if not text.startswith("{"):
        return Verdict(None, "reply is not a JSON object")
    try:
        parsed, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text) or exc.msg.startswith("Unterminated string"):
            return Verdict(None, "cut off: the reply ends inside its JSON object", cut_off=True)
        return Verdict(None, f"invalid JSON ({exc.msg})")
    if text[end:].strip():
        return Verdict(None, "text after the JSON object")
    if not isinstance(parsed, dict) or "result" not in parsed:
        return Verdict(None, "no 'result' field")
    result = _whole_number(parsed["result"])
    if result is None:
        return Verdict(None, f"result {parsed['result']!r} is not a whole number")
    if not SCALE[0] <= result <= SCALE[1]:
        return Verdict(None, f"result {result} is outside {SCALE[0]}-{SCALE[1]}")
    return Verdict(result)
