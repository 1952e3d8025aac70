"""FLORES-200 translation tasks: every language, both directions with English.

`flores_<src>-<tgt>` in FLORES-200 codes (`flores_eng_Latn-lin_Latn`), scored on devtest with
few-shot examples from dev, greedy decoding stopping at a newline. Groups: `flores_<iso639-3>`
(both directions for every script of that language) and `flores` (all 408 directions).
"""

from collections.abc import Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml

from core.errors import HarnessError
from core.hashing import FileVersion, content_hash, file_version, sha256_file
from core.languages import FLORES_LANGUAGES
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, OverWindow, TaskInfo, TaskOptions
from tasks.flores.source import SOURCES

PIVOT = "eng_Latn"
PROMPT_VERSION = "flores-prompt-v1"
PROMPT_TEMPLATE = "{src_name}: {{{{src}}}}\n{tgt_name}:"
"""Rendered to a Jinja template per direction, e.g. `English: {{src}}\\nLingala:`."""
SPLITS = ("dev", "devtest")
TEMPLATE_FILE = Path(__file__).with_name("flores.yaml")


@lru_cache(maxsize=1)
def base_config() -> dict[str, Any]:
    return dict(yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8")))


def task_name(src: str, tgt: str) -> str:
    return f"flores_{src}-{tgt}"


def all_directions() -> list[str]:
    langs = [code for code in FLORES_LANGUAGES if code != PIVOT]
    return [task_name(PIVOT, c) for c in langs] + [task_name(c, PIVOT) for c in langs]


def groups() -> dict[str, list[str]]:
    """`flores` and one group per ISO 639-3 code (`flores_lin`, `flores_ace` = both scripts)."""
    out: dict[str, list[str]] = {"flores": all_directions()}
    for code in FLORES_LANGUAGES:
        if code == PIVOT:
            continue
        out.setdefault(f"flores_{code.split('_')[0]}", []).extend(
            [task_name(PIVOT, code), task_name(code, PIVOT)]
        )
    return out


def parse_name(name: str) -> tuple[str, str] | None:
    """(src, tgt) for a direction name over two known FLORES-200 codes, else None."""
    if not name.startswith("flores_") or "-" not in name:
        return None
    src, _, tgt = name.removeprefix("flores_").partition("-")
    if src in FLORES_LANGUAGES and tgt in FLORES_LANGUAGES and src != tgt:
        return src, tgt
    return None


def split_path(root: Path, lang: str, split: str) -> Path:
    return root / split / f"{lang}.{split}"


def require_files(root: Path, langs: Sequence[str]) -> None:
    """Every split file of every language exists, or an error naming the first one missing."""
    for lang in langs:
        for split in SPLITS:
            if not split_path(root, lang, split).is_file():
                raise HarnessError(f"FLORES-200 file missing: {split_path(root, lang, split)}")


def read_lines(path: Path) -> list[str]:
    """Sentences of one FLORES file; an empty line is an error naming the file and line."""
    return list(_read_lines(file_version(path)))


@lru_cache(maxsize=64)
def _read_lines(version: FileVersion) -> tuple[str, ...]:
    """The file's sentences, read once per file version: every direction reads English."""
    path = version[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise HarnessError(f"{path}:{number}: empty sentence")
    return tuple(lines)


def load_pair(data_root: str, src: str, tgt: str, splits: Sequence[str] = SPLITS, **_: Any) -> Any:
    """lm-eval `custom_dataset`: a DatasetDict of aligned (src, tgt) rows for `splits` (dev and
    devtest; a zero-shot build asks for devtest alone, `harness.engine.batching.zero_shot`)."""
    import datasets

    root = Path(data_root)
    require_files(root, (src, tgt))
    built = {}
    for split in splits:
        if split not in SPLITS:
            raise HarnessError(f"FLORES-200 has no split {split!r} (it has {', '.join(SPLITS)})")
        files = [split_path(root, lang, split) for lang in (src, tgt)]
        # Each file's column is built once per run (English is in every direction): converting
        # a thousand Python strings to arrow for every split cost ~2 ms, more than the rest.
        source, target = (_arrow_strings(file_version(f)) for f in files)
        if len(source) != len(target):
            raise HarnessError(
                f"{files[0]} has {len(source)} lines but {files[1]} has {len(target)}: files are not aligned"
            )
        # Named by its files' checksums: `from_dict` would hash every row to name it (10 ms a split).
        fingerprint = content_hash({"split": split, "files": [sha256_file(f) for f in files]})[:16]
        columns = [_id_column(len(source)), source, target]
        table = datasets.table.InMemoryTable.from_arrays(columns, names=["id", "src", "tgt"])
        built[split] = datasets.Dataset(table, fingerprint=fingerprint)
    return datasets.DatasetDict(built)


@lru_cache(maxsize=64)
def _arrow_strings(version: FileVersion) -> Any:
    """The file's sentences (checked as `read_lines` checks them) as an arrow string array, built
    once per file version."""
    import pyarrow as pa

    return pa.array(_read_lines(version), type=pa.string())


@lru_cache(maxsize=8)
def _id_column(rows: int) -> Any:
    import pyarrow as pa

    return pa.array(range(rows), type=pa.int64())


def process_results(
    metrics: Sequence[str], doc: dict[str, Any], results: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """Pass (reference, hypothesis) through to the corpus-level aggregation of each metric."""
    pair = (doc["tgt"], results[0].strip())
    return {metric: pair for metric in metrics}


def aggregate(metric: str, target_lang: str, items: Sequence[tuple[str, str]]) -> float:
    """lm-eval aggregation: the corpus score over all (reference, hypothesis) pairs."""
    from core.mt import corpus_value

    refs = [ref for ref, _ in items]
    hyps = [hyp for _, hyp in items]
    return corpus_value(metric, hyps, refs, target_lang)  # type: ignore[arg-type]


def prompt_template(src: str, tgt: str) -> str:
    return PROMPT_TEMPLATE.format(src_name=FLORES_LANGUAGES[src], tgt_name=FLORES_LANGUAGES[tgt])


def task_hash(src: str, tgt: str, data_root: Path) -> tuple[str, dict[str, str]]:
    """Hash of everything that defines the task's scores: template, config, data file checksums."""
    from core.hashing import sha256_file

    require_files(data_root, (src, tgt))
    checksums = {
        f"{split}/{lang}.{split}": sha256_file(split_path(data_root, lang, split))
        for split in SPLITS
        for lang in (src, tgt)
    }
    payload = {
        "prompt_version": PROMPT_VERSION,
        "template": prompt_template(src, tgt),
        "config": base_config(),
        "data": checksums,
    }
    return content_hash(payload), checksums


def lm_eval_config(name: str, data_root: Path, with_spbleu: bool) -> dict[str, Any]:
    """The lm-eval task config (a dict lm-eval's TaskManager loads like a YAML file)."""
    parsed = parse_name(name)
    if parsed is None:
        raise HarnessError(f"not a FLORES-200 direction: {name!r}")
    src, tgt = parsed
    require_files(data_root, (src, tgt))
    config = {key: value for key, value in base_config().items() if key != "metric_list"}
    metrics = [m for m in base_config()["metric_list"] if with_spbleu or m != "spbleu"]
    config.update(
        task=name,
        custom_dataset=load_pair,
        dataset_kwargs={"data_root": str(data_root), "src": src, "tgt": tgt, "splits": list(SPLITS)},
        doc_to_text=prompt_template(src, tgt),
        process_results=partial(process_results, metrics),
        metric_list=[
            {"metric": m, "aggregation": partial(aggregate, m, tgt), "higher_is_better": True}
            for m in metrics
        ],
    )
    return config


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Corpus scores with signatures and stderr, and one record per sentence with its chrF++ and
    source sentence (for COMET); lm-eval's own aggregate must equal ours (both are the same
    sacrebleu call)."""
    from core.mt import MT_METRICS, corpus_score, sentence_chrfpp

    logged = output["samples"][name]
    refs = [s["chrf++"][0] for s in logged]
    hyps = [s["chrf++"][1] for s in logged]
    samples = [
        SampleRecord(
            doc_id=int(s["doc_id"]),
            doc_hash=s["doc_hash"],
            prompt=s["arguments"][0][0],
            target=ref,
            output=hyp,
            scores={"chrf++": score, "source": s["doc"]["src"]},
        )
        for s, ref, hyp, score in zip(logged, refs, hyps, sentence_chrfpp(hyps, refs), strict=True)
    ]
    target_lang = name.rsplit("-", 1)[1]
    metrics = []
    for metric in MT_METRICS:
        score = corpus_score(metric, hyps, refs, target_lang)
        engine_value = output["results"][name].get(f"{metric},none")
        if score.value is not None and abs(float(engine_value) - score.value) > 1e-9:
            raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine_value}, harness {score.value}")
        metrics.append(
            MetricResult(name, metric, score.value, score.stderr, score.n, score.signature, score.note)
        )
    return TaskOutcome(name, info.version, info.task_hash, metrics, sorted(samples, key=lambda r: r.doc_id))


PROTOCOL = (
    "FLORES-200 devtest, zero-shot `flores-prompt-v1`, greedy; chrF++ (sacrebleu word_order=2) as "
    "NLLB and most MT papers report it, spBLEU with the pinned flores200 SentencePiece model"
)


class Flores:
    """The FLORES-200 family (see the module docstring)."""

    name = "flores"
    data_set = "flores200"
    sources = SOURCES
    discovered = False
    splits: tuple[str, ...] = ()
    over_window: OverWindow = "cut"
    """The 256-token budget is a cap on the translation, not part of the protocol: a model whose
    window cannot hold it beside the longest prompt translates within what fits (recorded)."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return groups()

    def owns(self, name: str, root: Path | None) -> bool:
        return parse_name(name) is not None

    def group_rule(self, group: str) -> GroupRule:
        return "macro"  # the usual average over directions

    def meta(self, name: str) -> TaskMeta:
        parsed = parse_name(name)
        assert parsed is not None, name
        src, tgt = parsed
        language = tgt if src == "eng_Latn" else src  # the side that is not English
        return TaskMeta(self.name, language, "chrf++", "chrf++", PROTOCOL)

    def translation_languages(self, name: str) -> tuple[str, str]:
        """(source, target) FLORES-200 codes: what output language identification checks."""
        parsed = parse_name(name)
        assert parsed is not None, name
        return parsed

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        parsed = parse_name(name)
        assert parsed is not None, name
        digest, files = task_hash(*parsed, root)
        return TaskInfo(name, self.name, PROMPT_VERSION, digest, files, prompt_template(*parsed))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        return lm_eval_config(name, root, options.with_spbleu)

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)
