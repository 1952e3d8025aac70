"""SIB-200 topic classification (Adelani et al., EACL 2024), scored by loglikelihood over the topics.

- `sib200_<lang_Script>` for every language folder present under `sib200/` (202 in the verified
  copy), the folder name being the FLORES-200 code. Our prompt `sib200-prompt-v1` (below) names
  the seven topics once, as the task description, then `Text: <sentence>\\nTopic:`; the choices are
  the topic names after a space. Scored on `test` (204 rows), few-shot examples from `train`
  (`--num-fewshot K`, 0 by default). Test documents in FLORES order (`index_id`): the files list
  them topic by topic, so a `--limit` would otherwise see one topic. Metrics: accuracy and macro-F1
  (scikit-learn's `f1_score(average="macro")` over the topics seen, as KoBEST's `f1`).
  Groups: `sib200` (every language) and one per ISO 639-3 code (`sib200_lin`; `sib200_arb` holds
  both scripts), each the unweighted mean over its languages, as the paper averages languages.
- `sib200_afrobench_<lang_Script>`: lm-eval's own SIB task (`afrobench/sib/prompt_1`, shipped for
  56 languages; its wording names no language, so it applies to every folder): its prompt,
  few-shot split (`dev`, lm-eval's `validation`), file order and metrics, accuracy and weighted F1
  (also what the SIB-200 repository's classifier code reports).
"""

import csv
from functools import partial
from pathlib import Path
from typing import Any, Literal

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import ACC_METRIC, F1_METRICS, collect_choice
from tasks.sib200.source import SOURCES

TOPICS = ("science/technology", "travel", "politics", "sports", "health", "entertainment", "geography")
"""The seven labels, in the order of the data's `labels.txt`."""
SPLITS = ("train", "dev", "test")
HEADER = ["index_id", "category", "text"]
TEST_SPLIT = "test"

VERSION = "sib200-prompt-v1"
DESCRIPTION = f"Topic of the text, one of: {', '.join(TOPICS)}.\n"
DOC_TO_TEXT = "Text: {{text}}\nTopic:"
PROTOCOL = (
    "harness sib200-prompt-v1: the 7 topics named once, `Text: ...\\nTopic:`, loglikelihood over the "
    "topic names, test split; acc and macro-F1 (lm-eval's afrobench sib prompt is sib200_afrobench)"
)

AFROBENCH_VERSION = "sib200-afrobench-prompt1-v1"
AFROBENCH_DOC_TO_TEXT = (
    "Given the categories science/technology, travel, politics, sports, health, entertainment, or "
    "geography; what category does the text: '{{text}}' belong to: \n\n"
)
"""lm-eval 0.4.13 `afrobench/sib/prompt_1/sib_<lang>.yaml`, verbatim."""
AFROBENCH_PROTOCOL = (
    "lm-eval afrobench sib prompt_1: 0-shot, loglikelihood over the topic names; acc and weighted F1"
)


ACC = ACC_METRIC
F1 = F1_METRICS


def split_file(root: Path, lang: str, split: str) -> Path:
    return root / lang / f"{split}.tsv"


def read_split(path: Path) -> list[dict[str, Any]]:
    """The rows of one split file: tab-separated with a header, fields quoted as CSV quotes them
    (a text with quotes is wrapped in quotes, inner ones doubled), as pandas and the hub read it.
    A malformed row is an error naming the file and line."""
    if not path.is_file():
        raise HarnessError(f"data file missing: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header != HEADER:
            raise HarnessError(f"{path}:1: header {header!r}, expected {HEADER!r}")
        rows = []
        for fields in reader:
            where = f"{path}:{reader.line_num}"
            if len(fields) != 3:
                raise HarnessError(f"{where}: {len(fields)} fields, expected 3 ({', '.join(HEADER)})")
            index_id, category, text = fields
            if not index_id.isdigit():
                raise HarnessError(f"{where}: index_id {index_id!r} is not a number")
            if category not in TOPICS:
                raise HarnessError(f"{where}: category {category!r} is not one of {', '.join(TOPICS)}")
            if not text.strip():
                raise HarnessError(f"{where}: empty text")
            rows.append({"index_id": int(index_id), "category": category, "text": text})
    return rows


def check_labels(root: Path) -> None:
    """The data's `labels.txt`, when present, names exactly our seven topics."""
    path = root / "labels.txt"
    if path.is_file():
        labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if sorted(labels) != sorted(TOPICS):
            raise HarnessError(f"{path}: labels {labels!r}, expected the seven topics {list(TOPICS)!r}")


def load_sib(data_root: str, lang: str, flores_order: bool, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked rows of one language, all three splits, with the
    fields (`index_id`, `category`, `text`) and types the hub's copy has. `flores_order`: the test
    rows sorted by `index_id` (the files list them topic by topic, so the first N of a `--limit`
    would all be science/technology)."""
    import datasets

    splits = {}
    for split in SPLITS:
        rows = read_split(split_file(Path(data_root), lang, split))
        if flores_order and split == TEST_SPLIT:
            rows.sort(key=lambda row: row["index_id"])
        splits[split] = datasets.Dataset.from_list(rows)
    return datasets.DatasetDict(splits)


class Sib200:
    """SIB-200 with the harness prompt (see the module docstring)."""

    name = "sib200"
    data_set = "sib200"
    sources = SOURCES
    discovered = True
    splits: tuple[str, ...] = ()
    version = VERSION
    protocol = PROTOCOL
    f1: Literal["macro", "weighted"] = "macro"
    fewshot_split = "train"
    flores_order = True
    """Test documents in FLORES order (by `index_id`) rather than the file's order by topic."""

    def languages(self, root: Path | None) -> list[str]:
        if root is None:
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / f"{TEST_SPLIT}.tsv").is_file())

    def task_name(self, lang: str) -> str:
        return f"{self.name}_{lang}"

    def lang(self, name: str) -> str:
        return name.removeprefix(self.name + "_")

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        """`sib200` and one group per ISO 639-3 code (`sib200_lin`, `sib200_arb` = both scripts)."""
        tasks = [self.task_name(lang) for lang in self.languages(root)]
        out: dict[str, list[str]] = {self.name: tasks}
        for lang in self.languages(root):
            out.setdefault(f"{self.name}_{lang.split('_')[0]}", []).append(self.task_name(lang))
        clash = set(out) & set(tasks)
        if clash:
            raise HarnessError(f"{root}: language folders {sorted(clash)} clash with group names")
        return out

    def owns(self, name: str, root: Path | None) -> bool:
        return self.lang(name) in self.languages(root)

    def group_rule(self, group: str) -> GroupRule:
        return "macro"  # the paper's average over languages (all 204 rows, so equal to size-weighted)

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, self.lang(name), "acc", "acc", self.protocol)

    def prompt(self) -> dict[str, Any]:
        return {"description": DESCRIPTION, "doc_to_text": DOC_TO_TEXT, "doc_to_choice": list(TOPICS)}

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        lang = self.lang(name)
        check_labels(root)
        files = {}
        for split in SPLITS:  # the scored split and the few-shot source
            path = split_file(root, lang, split)
            if not path.is_file():
                raise HarnessError(f"data file missing: {path}")
            files[f"{lang}/{split}.tsv"] = sha256_file(path)
        prompt = self.prompt()
        digest = content_hash(
            {
                "version": self.version,
                "prompt": prompt,
                "split": TEST_SPLIT,
                "fewshot": self.fewshot_split,
                "f1": self.f1,
                "test_order": "index_id" if self.flores_order else "file",
                "data": files,
            }
        )
        return TaskInfo(name, self.name, self.version, digest, files, str(prompt))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        lang = self.lang(name)
        if lang not in self.languages(root):
            raise HarnessError(
                f"no SIB-200 data for {lang!r}: {split_file(root, lang, TEST_SPLIT)} is missing"
            )
        check_labels(root)
        return {
            "task": name,
            "custom_dataset": partial(load_sib, str(root), lang, self.flores_order),
            "training_split": "train",
            "validation_split": "dev",
            "test_split": TEST_SPLIT,
            "fewshot_split": self.fewshot_split,
            "output_type": "multiple_choice",
            "doc_to_target": "category",
            **self.prompt(),
            "metric_list": [dict(ACC), dict(F1[self.f1])],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect_choice(name, output, info, f1=self.f1)


class Sib200Afrobench(Sib200):
    """SIB-200 as lm-eval's `afrobench/sib/prompt_1` tasks prompt and score it."""

    name = "sib200_afrobench"
    version = AFROBENCH_VERSION
    protocol = AFROBENCH_PROTOCOL
    f1: Literal["macro", "weighted"] = "weighted"
    fewshot_split = "dev"
    flores_order = False  # the file's order, as lm-eval reads the hub's copy

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return {self.name: [self.task_name(lang) for lang in self.languages(root)]}

    def prompt(self) -> dict[str, Any]:
        return {"doc_to_text": AFROBENCH_DOC_TO_TEXT, "doc_to_choice": list(TOPICS)}
