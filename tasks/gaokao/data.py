"""GAOKAO-Bench's objective-question files: tasks discovered from the file names, and checked reading
of the prompt files and the records.

Layout (the official repositories'):

- `<data root>/gaokao_bench/`: OpenLMLab/GAOKAO-Bench, the 2010-2022 release:
  `Objective_Questions/<years>_<Section>.json` and `Obj_Prompt.json`.
- `<data root>/gaokao_bench_updates/` (optional, beside it): the yearly updates, one folder
  `GAOKAO-Bench-<year>/<year>_<Section>.json` per year (OpenLMLab/GAOKAO-Bench-2023's `Data/`) with
  its prompts in `<year>_Obj_Prompt.json`.

Each file `<years>_<Section>.json` is one task, `gaokao_<years>_<section>` in lower case
(`2010-2022_Biology_MCQs.json` -> `gaokao_2010-2022_biology_mcqs`); other files (the model outputs the
official repository keeps beside the questions, `gemini-pro_*.json`) are ignored. A file's entry in
its prompt file (`keyword` = the file name without `.json`) gives its question type and prompt.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from tasks.gaokao.scoring import (
    ANSWER_LETTERS,
    FIVE_OUT_OF_SEVEN,
    MULTI_CHOICE,
    QUESTION_TYPES,
    SINGLE_CHOICE,
)

PREFIX = "gaokao"
BASE_FOLDER = "Objective_Questions"
BASE_PROMPTS = "Obj_Prompt.json"
UPDATES = "gaokao_bench_updates"
"""The updates' folder, a sibling of the data set folder `gaokao_bench`."""
UPDATE_FOLDER = re.compile(r"GAOKAO-Bench-(\d{4})")
FILE_NAME = re.compile(r"(\d{4})(?:-(\d{4}))?_([A-Za-z][A-Za-z0-9_]*)")
SUBJECT_NAMES = {"political": "politics"}
"""First words of section names that OBJ_score_evaluation.py's subjects name differently."""


@dataclass(frozen=True)
class SourceFile:
    """One objective-question file: one task."""

    task: str
    keyword: str
    """The file name without `.json`: the key of its entry in the prompt file."""
    path: Path
    prompt_file: Path
    collection: str
    """`2010-2022` (the years the base release's files span) or the update's year."""
    subject: str
    """The section's first word in lower case (`english`, `math`, `politics`)."""

    def relative(self, path: Path) -> str:
        """A path as stored with results: relative to the data root (`gaokao_bench/...`)."""
        return path.relative_to(self.path.parents[2]).as_posix()


def _subject(section: str) -> str:
    first = section.split("_", 1)[0].lower()
    return SUBJECT_NAMES.get(first, first)


def _question_files(folder: Path) -> list[tuple[Path, re.Match[str]]]:
    out = []
    for path in sorted(folder.glob("*.json")):
        match = FILE_NAME.fullmatch(path.stem)
        if match and path.is_file():
            out.append((path, match))
    return out


def discover(root: Path) -> list[SourceFile]:
    """Every objective-question file of the base release (`root`) and of the updates beside it."""
    folder = root / BASE_FOLDER
    base = _question_files(folder)
    if not base:
        raise HarnessError(f"no objective question files (<years>_<Section>.json) in {folder}")
    first = min(int(m.group(1)) for _, m in base)
    last = max(int(m.group(2) or m.group(1)) for _, m in base)
    collections = [(f"{first}-{last}", base, root / BASE_PROMPTS)]
    updates = root.parent / UPDATES
    if updates.is_dir():
        for sub in sorted(updates.iterdir()):
            year = UPDATE_FOLDER.fullmatch(sub.name)
            if year and sub.is_dir():
                files = _question_files(sub)
                collections.append((year.group(1), files, updates / f"{year.group(1)}_Obj_Prompt.json"))
    out: dict[str, SourceFile] = {}
    for collection, files, prompts in collections:
        for path, match in files:
            name = f"{PREFIX}_{path.stem.lower()}"
            if name in out:
                raise HarnessError(f"{path} and {out[name].path} both make the task {name}")
            out[name] = SourceFile(name, path.stem, path, prompts, collection, _subject(match.group(3)))
    return list(out.values())


def _load_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise HarnessError(f"{what} missing: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    except UnicodeDecodeError as exc:
        raise HarnessError(f"{path}: not UTF-8 text ({exc.reason})") from exc


@dataclass(frozen=True)
class PromptEntry:
    """One entry of an `Obj_Prompt.json` file."""

    keyword: str
    question_type: str
    prefix_prompt: str


def _prompt_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    if not isinstance(entry.get("keyword"), str) or not entry["keyword"]:
        return "field 'keyword' missing or empty"
    if entry.get("type") not in QUESTION_TYPES:
        return f"type {entry.get('type')!r} is none of {', '.join(QUESTION_TYPES)}"
    if not isinstance(entry.get("prefix_prompt"), str):
        return "field 'prefix_prompt' is not a string"
    return None


def read_prompts(path: Path) -> dict[str, PromptEntry]:
    """A prompt file's entries by keyword; a malformed one is an error naming the file and index."""
    data = _load_json(path, "prompt file")
    entries = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise HarnessError(f"{path}: no 'examples' list")
    out: dict[str, PromptEntry] = {}
    for index, entry in enumerate(entries):
        problem = _prompt_problem(entry)
        if problem is None and entry["keyword"] in out:
            problem = f"keyword {entry['keyword']!r} repeats an earlier entry"
        if problem:
            raise HarnessError(f"{path}: examples[{index}]: {problem}")
        out[entry["keyword"]] = PromptEntry(entry["keyword"], entry["type"], entry["prefix_prompt"])
    return out


def prompt_entry(prompt_file: Path, keyword: str, path: Path) -> PromptEntry:
    """The entry of question file `path` (named `keyword`) in its prompt file."""
    entries = read_prompts(prompt_file)
    if keyword not in entries:
        raise HarnessError(f"{prompt_file}: no entry with keyword {keyword!r} (for {path})")
    return entries[keyword]


def _answer_problem(answer: list[str], question_type: str) -> str | None:
    letters = ANSWER_LETTERS[question_type]
    allowed = ", ".join(letters)
    if question_type in (SINGLE_CHOICE, MULTI_CHOICE) and len(answer) != 1:
        return f"a {question_type} record has one answer, found {len(answer)}"
    if question_type == FIVE_OUT_OF_SEVEN and len(answer) != 5:
        return f"a {question_type} record has five answers, found {len(answer)}"
    for label in answer:
        if question_type == MULTI_CHOICE:
            valid = bool(label) and all(c in letters for c in label) and len(set(label)) == len(label)
            if not valid:
                return f"unknown answer label {label!r} (distinct letters of {allowed})"
        elif len(label) != 1 or label not in letters:
            return f"unknown answer label {label!r} (one of {allowed})"
    if question_type == FIVE_OUT_OF_SEVEN and len(set(answer)) != len(answer):
        return f"answer {answer!r} repeats a letter"
    return None


def _record_problem(record: Any, question_type: str) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    if not isinstance(record.get("question"), str) or not record["question"].strip():
        return "field 'question' missing or empty"
    answer = record.get("answer")
    if not isinstance(answer, list) or not answer or not all(isinstance(a, str) for a in answer):
        return "field 'answer' is not a non-empty list of strings"
    score = record.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not score > 0:
        return f"field 'score' is not a positive number ({score!r})"
    return _answer_problem(answer, question_type)


def read_records(path: Path, question_type: str) -> list[dict[str, Any]]:
    """The checked records of a question file; a malformed one is an error naming the file and its
    position in `example`."""
    data = _load_json(path, "data file")
    records = data.get("example") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise HarnessError(f"{path}: no 'example' list")
    if not records:
        raise HarnessError(f"{path}: 'example' is empty")
    for index, record in enumerate(records):
        problem = _record_problem(record, question_type)
        if problem:
            raise HarnessError(f"{path}: example[{index}]: {problem}")
    return records
