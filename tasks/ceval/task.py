"""C-Eval, the 52-subject Chinese exam suite, scored by loglikelihood like lm-eval's `ceval-valid`.

`ceval_<subject>` for every subject of the data's `subject_mapping.json`, scored on `val` with
lm-eval's prompt (the subject's `以下是中国关于…的单项选择题…` description, the question with
options `A.`-`D.`, `答案：`; choices `A`-`D`) and 5 examples from `dev` in file order by default
(lm-eval's `first_n` sampler; `--num-fewshot` overrides the 5). Accuracy per subject.
Groups: `ceval` (all subjects) and one per C-Eval category: `ceval_stem`, `ceval_social_science`,
`ceval_humanities`, `ceval_other`. `ceval_macro_average` averages subjects as C-Eval does.
"""

import csv
import json
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.ceval.source import SOURCES
from tasks.choice import collect_choice

VERSION = "ceval-prompt-v1"
MAPPING_FILE = "subject_mapping.json"
EVAL_SPLIT = "val"
FEWSHOT_SPLIT = "dev"
NUM_FEWSHOT = 5
COLUMNS = ("id", "question", "A", "B", "C", "D", "answer")
ANSWERS = ("A", "B", "C", "D")

CATEGORY_GROUPS = {
    "STEM": "ceval_stem",
    "Social Science": "ceval_social_science",
    "Humanities": "ceval_humanities",
    "Other": "ceval_other",
}
"""C-Eval's categories (the third field of `subject_mapping.json`) -> our group names."""

SUBJECTS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "STEM": (
        "computer_network",
        "operating_system",
        "computer_architecture",
        "college_programming",
        "college_physics",
        "college_chemistry",
        "advanced_mathematics",
        "probability_and_statistics",
        "discrete_mathematics",
        "electrical_engineer",
        "metrology_engineer",
        "high_school_mathematics",
        "high_school_physics",
        "high_school_chemistry",
        "high_school_biology",
        "middle_school_mathematics",
        "middle_school_biology",
        "middle_school_physics",
        "middle_school_chemistry",
        "veterinary_medicine",
    ),
    "Social Science": (
        "college_economics",
        "business_administration",
        "marxism",
        "mao_zedong_thought",
        "education_science",
        "teacher_qualification",
        "high_school_politics",
        "high_school_geography",
        "middle_school_politics",
        "middle_school_geography",
    ),
    "Humanities": (
        "modern_chinese_history",
        "ideological_and_moral_cultivation",
        "logic",
        "law",
        "chinese_language_and_literature",
        "art_studies",
        "professional_tour_guide",
        "legal_professional",
        "high_school_chinese",
        "high_school_history",
        "middle_school_history",
    ),
    "Other": (
        "civil_servant",
        "sports_science",
        "plant_protection",
        "basic_medicine",
        "clinical_medicine",
        "urban_and_rural_planner",
        "accountant",
        "fire_engineer",
        "environmental_impact_assessment_engineer",
        "tax_accountant",
        "physician",
    ),
}
"""The published C-Eval categories, for `ceval_macro_average` (which has no data folder to read);
a unit test checks them against the data's `subject_mapping.json`."""

# lm-eval's ceval/_default_ceval_yaml and its per-subject description.
DOC_TO_TEXT = "{{question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n答案："
DOC_TO_CHOICE = ["A", "B", "C", "D"]
DOC_TO_TARGET = "{{['A', 'B', 'C', 'D'].index(answer)}}"
DESCRIPTION = "以下是中国关于{subject_zh}的单项选择题，请选出其中的正确答案。\n\n"


def read_mapping(root: Path) -> dict[str, tuple[str, str, str]]:
    """Subject -> (English name, Chinese name, category), in the file's order."""
    path = root / MAPPING_FILE
    if not path.is_file():
        raise HarnessError(f"data file missing: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict) or not raw:
        raise HarnessError(f"{path}: expected an object mapping subject to [English, Chinese, category]")
    out: dict[str, tuple[str, str, str]] = {}
    for subject, value in raw.items():
        if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) and v for v in value)):
            raise HarnessError(
                f"{path}: subject {subject!r}: expected [English name, Chinese name, category]"
            )
        if value[2] not in CATEGORY_GROUPS:
            raise HarnessError(
                f"{path}: subject {subject!r}: category {value[2]!r} "
                f"is not one of {', '.join(CATEGORY_GROUPS)}"
            )
        out[subject] = (value[0], value[1], value[2])
    return out


def split_file(root: Path, subject: str, split: str) -> Path:
    return root / split / f"{subject}_{split}.csv"


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of one C-Eval CSV as `id` (int), `question`, `A`-`D`, `answer`, in the official column
    order; a missing column or value, or an answer not in A-D, is an error naming the file and line."""
    if not path.is_file():
        raise HarnessError(f"data file missing: {path}")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise HarnessError(f"{path}:1: empty file, expected the header {','.join(COLUMNS)}")
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise HarnessError(f"{path}:1: header has no column {missing[0]!r}")
        index = {c: header.index(c) for c in COLUMNS}
        start = reader.line_num + 1
        for fields in reader:
            line, start = start, reader.line_num + 1  # a quoted value may span lines
            if not fields:
                continue
            if len(fields) != len(header):
                raise HarnessError(f"{path}:{line}: {len(fields)} values, the header has {len(header)}")
            row: dict[str, Any] = {c: fields[i] for c, i in index.items()}
            empty = [c for c in COLUMNS if not row[c].strip()]
            if empty:
                raise HarnessError(f"{path}:{line}: column {empty[0]!r} is empty")
            if row["answer"] not in ANSWERS:
                raise HarnessError(f"{path}:{line}: answer {row['answer']!r} is not one of A, B, C, D")
            try:
                row["id"] = int(row["id"])
            except ValueError:
                raise HarnessError(f"{path}:{line}: id {row['id']!r} is not an integer") from None
            rows.append(row)
    return rows


def load_subject(data_root: str, subject: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked rows of one subject, `val` and `dev`."""
    import datasets

    root = Path(data_root)
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list(read_csv(split_file(root, subject, split)))
            for split in (EVAL_SPLIT, FEWSHOT_SPLIT)
        }
    )


def ceval_macro_average(results: dict[str, float]) -> dict[str, float]:
    """C-Eval's averages, unweighted over subjects (lm-eval's group score weights by questions).

    `results` maps task names (`ceval_<subject>`) to accuracy; other names are ignored. Returns
    `ceval` and each category group that has at least one subject in `results`.
    """
    category_of = {s: c for c, subjects in SUBJECTS_BY_CATEGORY.items() for s in subjects}
    values: dict[str, list[float]] = {}
    for task, value in results.items():
        if not task.startswith("ceval_") or task in CATEGORY_GROUPS.values():
            continue
        subject = task.removeprefix("ceval_")
        if subject not in category_of:
            raise HarnessError(f"{task}: not a C-Eval subject with a known category")
        for group in ("ceval", CATEGORY_GROUPS[category_of[subject]]):
            values.setdefault(group, []).append(value)
    order = ["ceval", *CATEGORY_GROUPS.values()]
    return {g: sum(values[g]) / len(values[g]) for g in order if g in values}


PROTOCOL = (
    "C-Eval official answer-only: val scored, 5-shot from dev, the letters A-D ranked by"
    " loglikelihood (lm-eval ceval-valid)"
)


class Ceval:
    name = "ceval"
    data_set = "ceval"
    sources = SOURCES
    discovered = True
    splits: tuple[str, ...] = ()
    version = VERSION

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        if root is None:
            return {}
        mapping = read_mapping(root)
        out = {self.name: [f"ceval_{s}" for s in mapping]}
        for category, group in CATEGORY_GROUPS.items():
            out[group] = [f"ceval_{s}" for s, (_, _, c) in mapping.items() if c == category]
        return out

    def owns(self, name: str, root: Path | None) -> bool:
        return root is not None and name.removeprefix("ceval_") in read_mapping(root)

    def subject(self, name: str, root: Path) -> tuple[str, str]:
        """(subject, its Chinese name) of a task name."""
        subject = name.removeprefix("ceval_")
        mapping = read_mapping(root)
        if subject not in mapping:
            raise HarnessError(f"unknown C-Eval subject {subject!r} (see {root / MAPPING_FILE})")
        return subject, mapping[subject][1]

    def prompt(self, subject_zh: str) -> dict[str, Any]:
        return {
            "description": DESCRIPTION.format(subject_zh=subject_zh),
            "doc_to_text": DOC_TO_TEXT,
            "doc_to_choice": list(DOC_TO_CHOICE),
            "doc_to_target": DOC_TO_TARGET,
        }

    def group_rule(self, group: str) -> GroupRule:
        # C-Eval's paper averages subjects ("the average accuracy over all the subjects"); lm-eval's
        # ceval-valid group weights them by size, reported beside it.
        return "macro_and_size_weighted"

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, "zho_Hans", "acc", "acc", PROTOCOL)

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        subject, subject_zh = self.subject(name, root)
        files = {}
        for split in (EVAL_SPLIT, FEWSHOT_SPLIT):
            path = split_file(root, subject, split)
            if not path.is_file():
                raise HarnessError(f"data file missing: {path}")
            files[f"{split}/{path.name}"] = sha256_file(path)
        prompt = self.prompt(subject_zh)
        fewshot = {"split": FEWSHOT_SPLIT, "sampler": "first_n", "num_fewshot": NUM_FEWSHOT}
        digest = content_hash(
            {
                "version": self.version,
                "prompt": prompt,
                "split": EVAL_SPLIT,
                "fewshot": fewshot,
                "data": files,
            }
        )
        return TaskInfo(name, self.name, self.version, digest, files, str(prompt))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        subject, subject_zh = self.subject(name, root)
        return {
            "task": name,
            "custom_dataset": partial(load_subject, str(root), subject),
            "validation_split": EVAL_SPLIT,
            "fewshot_split": FEWSHOT_SPLIT,
            "fewshot_config": {"sampler": "first_n"},
            "num_fewshot": NUM_FEWSHOT,
            "output_type": "multiple_choice",
            **self.prompt(subject_zh),
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
            "metadata": {"version": 2.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect_choice(name, output, info)
