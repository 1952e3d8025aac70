"""GAOKAO-Bench's answer extraction and points rules for its objective questions.

Our own code with the results of the official scripts:

- `extract_answers` is `extract_choice_answer` of OpenLMLab/GAOKAO-Bench `Bench/bench_function.py`
  (the same rules ship in OpenLMLab/GAOKAO-Bench-2023 `Bench/bench_function.py`).
- `score_item` is `check_length_equal`, `count_score` and the Physics branch of `obj_score_eval` in
  OpenLMLab/GAOKAO-Bench `Bench/OBJ_score_evaluation.py`. That script gives partial credit by
  *subject*: only in the files it files under Physics (`if key == 'Physics'`) does a multi-answer
  question earn half points for some right letters and no wrong one; everywhere else an answer is
  right or wrong (`count_score`). We key the rule on the subject too (`PARTIAL_CREDIT_SUBJECTS`), so a
  multi-answer question of another subject (2024 Math's) gets no half credit.
- The script hard-codes 6 points for a right Physics answer and 3 for a partial one; every Physics
  record (2010-2022 and 2023) is worth 6, so our `score` and `score / 2` give the same numbers.

What the official script says nothing about, and what we do:

- Update years (2023, 2024, ...): its subject table lists only the 2010-2022 file names (an unknown
  file would fail its lookup). We apply its rules by the file's subject: Physics files of any year
  get the partial-credit rule, all others exact matching.
- The extraction of the update repositories is the same function; we use it for every year.

A record's `answer` is a list with one entry per sub-question (one for `single_choice` and
`multi_choice`, five for `five_out_of_seven`, one per question for `multi_question_choice`); each
entry is worth the record's `score`.
"""

import re
from dataclasses import dataclass

SINGLE_CHOICE = "single_choice"
MULTI_QUESTION_CHOICE = "multi_question_choice"
MULTI_CHOICE = "multi_choice"
FIVE_OUT_OF_SEVEN = "five_out_of_seven"
QUESTION_TYPES = (SINGLE_CHOICE, MULTI_QUESTION_CHOICE, MULTI_CHOICE, FIVE_OUT_OF_SEVEN)
"""The `type` values of the official `Obj_Prompt.json` files."""

ANSWER_LETTERS = {
    SINGLE_CHOICE: "ABCD",
    MULTI_QUESTION_CHOICE: "ABCD",
    MULTI_CHOICE: "ABCD",
    FIVE_OUT_OF_SEVEN: "ABCDEFG",
}
"""The letters a gold answer may use: the options the official prompts offer."""

PARTIAL_CREDIT_SUBJECTS = ("physics",)
"""Subjects whose multi-answer questions earn half points when partly right (`obj_score_eval`'s
Physics branch), as `SourceFile.subject` names them."""

NO_ANSWER = "Z"
"""What `check_length_equal` puts in every slot when the extracted answers do not fit the gold ones."""

_TAGGED = re.compile(r"【答案】\s*[:：]*\s*([A-Z])")


def extract_answers(output: str, question_type: str, answer_length: int) -> list[str]:
    """The answers GAOKAO-Bench reads from a model's output.

    - single_choice: the last of A-D in the output (`【答案】` plays no part); none: no answer.
    - multi_question_choice: the letters after each `【答案】` when there are as many as
      sub-questions; otherwise the first `answer_length` capital letters A-Z anywhere in the output.
    - multi_choice: whitespace removed, every A-D from the first `【答案】` to the end, as one string;
      when `【答案】` is absent (or opens the output) every A-D of the last 10 characters.
    - five_out_of_seven: the first five of A-G in the output.
    """
    if question_type == SINGLE_CHOICE:
        return re.findall(r"[A-D]", output)[-1:]
    if question_type == MULTI_QUESTION_CHOICE:
        tagged = _TAGGED.findall(output)
        if len(tagged) == answer_length:
            return tagged
        return re.findall(r"[A-Z]", output)[:answer_length]
    if question_type == MULTI_CHOICE:
        content = re.sub(r"\s+", "", output)
        start = content.find("【答案】")
        tail = content[start:] if start > 0 else content[-10:]  # `> 0`, as the official code has it
        letters = "".join(re.findall(r"[A-D]", tail))
        return [letters] if letters else []
    if question_type == FIVE_OUT_OF_SEVEN:
        return re.findall(r"[A-G]", output)[:5]
    raise ValueError(f"unknown GAOKAO-Bench question type {question_type!r}")


@dataclass(frozen=True)
class ItemScore:
    """One record scored by GAOKAO-Bench's rules."""

    extracted: list[str]
    """The answers as extracted."""
    graded: list[str]
    """What was graded: `extracted`, or `Z` in every slot when its length differs from the gold's."""
    right: int
    """Sub-questions answered exactly (a partly right multi_choice answer does not count)."""
    sub_questions: int
    points: float
    points_available: float

    @property
    def acc(self) -> float:
        """Fraction of the record's sub-questions answered exactly."""
        return self.right / self.sub_questions


def _partial_points(graded: str, gold: str, score: float) -> float:
    """All of the gold letters and no other: full points; some gold letters and no wrong one: half."""
    if graded == gold:
        return score
    return 0.0 if any(letter not in gold for letter in graded) else score / 2


def score_item(extracted: list[str], gold: list[str], score: float, subject: str) -> ItemScore:
    """Points of one record of a file of `subject`: `score` per sub-question answered exactly (half
    for a partly right one in `PARTIAL_CREDIT_SUBJECTS`), out of `score` times the number of
    sub-questions."""
    graded = list(extracted) if len(extracted) == len(gold) else [NO_ANSWER] * len(gold)
    right = sum(g == a for g, a in zip(graded, gold, strict=True))
    if subject in PARTIAL_CREDIT_SUBJECTS:
        points = sum(_partial_points(g, a, score) for g, a in zip(graded, gold, strict=True))
    else:
        points = right * score
    return ItemScore(list(extracted), graded, right, len(gold), float(points), float(len(gold) * score))
