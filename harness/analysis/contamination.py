"""`harness contamination`: n-gram overlap between training text and evaluation documents.

The definition is lm-eval's decontamination (`lm_eval/decontamination/`): a document is
contaminated when one of its 13-grams, normalised as lm-eval's janitor normalises them
(`core.ngrams`), occurs in the training text; character windows stand in for words in scripts
written without spaces (see `core.ngrams`). A document's text is what lm-eval builds from the
task's own config: `doc_to_text` (lm-eval's decontamination query), `doc_to_target` and, for
multiple choice, every `doc_to_choice` option, each on its own, over the split the task scores
(`eval_docs`: devtest for FLORES), with lm-eval's document ids.

N-grams found in more than half of a task's documents (at least two) are the prompt template's
(AfriXNLI's instruction is 25 words long), not a document's: they are left out and counted.

Training files are streamed line by line (a file is one text; windows run across lines, which
finds every n-gram a line-, paragraph- or file-sized document holds); JSONL rows give the text
of the fields named. The evaluation keys are built once per task and matched in one pass.
"""

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.ngrams import NgramStream, char_lengths, ngrams
from tasks import registry
from tasks.base import TaskFamily, TaskOptions

DEFAULT_NGRAM = 13


@dataclass(frozen=True)
class TrainingFile:
    """One file of training text."""

    path: Path
    label: str
    """Where it was named (`data[0].paths[1]`, `--text`), for messages."""
    jsonl_fields: tuple[str, ...] = ()
    """Empty: plain text. Else a JSONL file: each row's text is these fields, one per line."""


@dataclass(frozen=True)
class Hit:
    """Where an evaluation document's n-gram was first found in the training text."""

    doc_id: int
    path: str
    line: int
    ngram: str


@dataclass
class TaskContamination:
    """One task's documents against the training text."""

    task: str
    split: str
    documents: int
    no_ngrams: int
    """Documents with no n-gram at all (every text shorter than n words): never detectable."""
    template_ngrams: int
    """N-grams left out as the prompt template's."""
    hits: list[Hit] = field(default_factory=list)

    @property
    def doc_ids(self) -> list[int]:
        return [hit.doc_id for hit in self.hits]

    @property
    def share(self) -> float:
        return len(self.hits) / self.documents if self.documents else 0.0

    def record(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "documents": self.documents,
            "hit": len(self.hits),
            "share": self.share,
            "doc_ids": self.doc_ids,
            "no_ngrams": self.no_ngrams,
        }


@dataclass
class ContaminationReport:
    """All tasks against one set of training files."""

    ngram: int
    sources: list[dict[str, str]]
    """{"path", "sha256"} of every training file, in order."""
    tasks: list[TaskContamination]
    checked_at: str
    seconds: float

    @property
    def contaminated(self) -> bool:
        return any(task.hits for task in self.tasks)

    def record(self) -> dict[str, Any]:
        """What a checkpoint's manifest stores under `recipe["contamination"]`."""
        return {
            "ngram": self.ngram,
            "char_ngram": char_lengths(self.ngram),
            "contaminated": self.contaminated,
            "checked_at": self.checked_at,
            "sources": self.sources,
            "tasks": {task.task: task.record() for task in self.tasks},
        }

    def to_json(self) -> dict[str, Any]:
        """The record, each task's first match per document and template n-grams, and the time taken."""
        out = self.record()
        for task in self.tasks:
            out["tasks"][task.task]["template_ngrams"] = task.template_ngrams
            out["tasks"][task.task]["hits"] = [
                {"doc_id": h.doc_id, "path": h.path, "line": h.line, "ngram": h.ngram} for h in task.hits
            ]
        out["seconds"] = round(self.seconds, 3)
        return out


def _texts(value: Any) -> Iterator[str]:
    """The strings in what `doc_to_text`/`doc_to_target`/`doc_to_choice` returned (an index is none)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def document_texts(task: Any, doc: dict[str, Any]) -> list[str]:
    """A document's input, references and choices as lm-eval's task builds them from its config."""
    texts = [*_texts(task.doc_to_text(doc)), *_texts(task.doc_to_target(doc))]
    if task.OUTPUT_TYPE == "multiple_choice":
        texts += _texts(task.doc_to_choice(doc))
    return texts


@contextmanager
def _compiled_templates() -> Iterator[None]:
    """lm-eval's `apply_template` compiles the Jinja template anew for every document (80% of the
    time here); within this block each template is compiled once, in lm-eval's own environment."""
    from lm_eval import utils

    original = utils.apply_template
    compiled: dict[str, Any] = {}

    def apply_template(template: str, doc: dict[str, Any]) -> str:
        if template not in compiled:
            compiled[template] = utils.env.from_string(template)
        return str(compiled[template].render(**doc))

    utils.apply_template = apply_template
    try:
        yield
    finally:
        utils.apply_template = original


def task_documents(
    name: str, fam: TaskFamily, root: Path, options: TaskOptions
) -> tuple[str, list[list[str]]]:
    """(the split scored, each evaluation document's texts in lm-eval's doc_id order)."""
    from lm_eval.api.task import ConfigurableTask

    task = ConfigurableTask(config=fam.lm_eval_config(name, root, options))
    split = task.config.test_split or task.config.validation_split or "?"
    with _compiled_templates():
        return split, [document_texts(task, doc) for doc in task.eval_docs]


def _doc_keys(texts: list[str], n: int) -> set[str]:
    return set().union(*(ngrams(text, n) for text in texts)) if texts else set()


@dataclass
class TaskIndex:
    """A task's documents, kept to be matched once the training text has been read."""

    task: str
    split: str
    docs: list[list[str]]
    template: set[str]


def index_task(task: str, split: str, docs: list[list[str]], n: int) -> tuple[TaskIndex, set[str]]:
    """The task's template n-grams and the set of its documents' other n-grams."""
    counts: Counter[str] = Counter()
    for texts in docs:
        counts.update(_doc_keys(texts, n))
    template = {key for key, c in counts.items() if len(docs) >= 2 and 2 * c > len(docs)}
    return TaskIndex(task, split, docs, template), set(counts) - template


def _lines(item: TrainingFile, digest: Any) -> Iterator[tuple[int, str]]:
    """(line number, text) of a training file, hashing its bytes as they are read."""
    if not item.path.is_file():
        raise HarnessError(f"{item.label}: training file {item.path} does not exist")
    with item.path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            digest.update(raw)
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise HarnessError(f"{item.path}:{number}: not UTF-8 text ({exc.reason})") from exc


def _jsonl_text(item: TrainingFile, number: int, line: str) -> str | None:
    if not line.strip():
        return None
    try:
        row = json.loads(line)
        return "\n".join(str(row[f]) for f in item.jsonl_fields)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise HarnessError(
            f"{item.path}:{number}: not a JSON object with the fields {', '.join(item.jsonl_fields)} ({exc})"
        ) from exc


def scan(
    files: list[TrainingFile], keys: set[str], n: int
) -> tuple[dict[str, tuple[int, Hit]], list[dict[str, str]]]:
    """Stream the training files once: each evaluation key found, with the order in which it was found
    and where it was first found (doc_id unset), and every file's SHA-256."""
    found: dict[str, tuple[int, Hit]] = {}
    sources = []
    for item in files:
        digest = hashlib.sha256()
        stream = NgramStream(n)
        for number, line in _lines(item, digest):
            text = _jsonl_text(item, number, line) if item.jsonl_fields else line
            if text is None:
                continue
            for key in stream.feed(text):
                if key in keys and key not in found:
                    found[key] = (len(found), Hit(-1, str(item.path), number, key))
            if item.jsonl_fields:
                stream.end_document()
        sources.append({"path": str(item.path), "sha256": digest.hexdigest()})
    return found, sources


def task_hits(index: TaskIndex, found: dict[str, tuple[int, Hit]], n: int) -> TaskContamination:
    """The task's documents holding a key `scan` found, each with where its first-found key was."""
    hits = []
    no_ngrams = 0
    for doc_id, texts in enumerate(index.docs):
        keys = _doc_keys(texts, n) - index.template
        no_ngrams += not keys
        matched = keys & found.keys()
        if matched:
            first = min(found[k] for k in matched)[1]
            hits.append(Hit(doc_id, first.path, first.line, first.ngram))
    return TaskContamination(index.task, index.split, len(index.docs), no_ngrams, len(index.template), hits)


def check(
    files: list[TrainingFile],
    task_names: list[str],
    resolve_root: Callable[[str], Path],
    n: int = DEFAULT_NGRAM,
    options: TaskOptions | None = None,
) -> ContaminationReport:
    """Every task of `task_names` (groups expanded) against the training files."""
    if n < 2:
        raise HarnessError(f"--ngram {n}: must be at least 2")
    if not files:
        raise HarnessError("no training files to check")
    import datasets

    datasets.disable_progress_bars()  # one "Map" bar per task otherwise
    started = time.perf_counter()
    options = options or TaskOptions()
    indexes = []
    keys: set[str] = set()
    for name, fam in registry.expand(task_names, resolve_root):
        split, docs = task_documents(name, fam, resolve_root(fam.data_set), options)
        index, task_keys = index_task(name, split, docs, n)
        indexes.append(index)
        keys |= task_keys
    found, sources = scan(files, keys, n)
    return ContaminationReport(
        ngram=n,
        sources=sources,
        tasks=[task_hits(index, found, n) for index in indexes],
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=time.perf_counter() - started,
    )


def text_files(value: str) -> list[TrainingFile]:
    """`--text FILE[,FILE...]`: plain text files."""
    paths = [p.strip() for p in value.split(",") if p.strip()]
    if not paths:
        raise HarnessError("--text: no file given")
    return [TrainingFile(Path(p).expanduser().resolve(), "--text") for p in paths]


def print_report(report: ContaminationReport, shown: int = 20) -> None:
    """A table per task and, for each contaminated document, where its n-gram was found."""
    from rich.table import Table

    from harness.output import console, plain, printable

    table = Table(title=f"contamination · {report.ngram}-grams · {report.seconds:.1f} s")
    for column in ("task", "split", "documents", "hit", "share", "no n-gram", "doc ids"):
        table.add_column(column, no_wrap=column != "doc ids", justify="left" if column == "task" else "right")
    for task in report.tasks:
        ids = ", ".join(map(str, task.doc_ids[:shown])) + (" …" if len(task.doc_ids) > shown else "")
        table.add_row(
            plain(task.task),
            plain(task.split),
            str(task.documents),
            str(len(task.hits)),
            f"{task.share:.2%}",
            str(task.no_ngrams),
            ids or "—",
        )
    out = console()
    out.print(table)
    for task in report.tasks:
        for hit in task.hits[:shown]:
            out.print(
                printable(f"{task.task} doc {hit.doc_id}: {hit.path}:{hit.line}: “{hit.ngram}”"),
                markup=False,
                soft_wrap=True,
            )
    verdict = "[bold red]contaminated[/]" if report.contaminated else "[bold green]clean[/]"
    out.print(f"{verdict}: {len(report.sources)} training file(s)", markup=True)
