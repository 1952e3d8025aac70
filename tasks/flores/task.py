"""FLORES-200 translation tasks: every language, both directions with English or any pivot.

`flores_<src>-<tgt>` in FLORES-200 codes (`flores_eng_Latn-lin_Latn`), scored on devtest with
few-shot examples from dev, greedy decoding stopping at a newline. Groups (`tasks.flores.names`):
`flores_<iso639-3>` (both directions with English for every script of that language),
`flores_<iso>@<pivot-iso>` (both directions with another pivot, resolved by name) and `flores` (all
408 English-centric directions). FLORES+ (`tasks.flores.plus`) reuses all of this on its own data.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml

from core.errors import HarnessError
from core.hashing import FileVersion, content_hash, file_version, sha256_file
from core.languages import FLORES_LANGUAGES
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, OverWindow, TaskInfo, TaskOptions
from tasks.flores import names
from tasks.flores.names import PIVOT as PIVOT
from tasks.flores.names import FloresGroups
from tasks.flores.source import SOURCES

PREFIX = "flores"
PROMPT_VERSION = "flores-prompt-v1"
PROMPT_TEMPLATE = "{src_name}: {{{{src}}}}\n{tgt_name}:"
"""Rendered to a Jinja template per direction, e.g. `English: {{src}}\\nLingala:`."""
SPLITS = ("dev", "devtest")
TEMPLATE_FILE = Path(__file__).with_name("flores.yaml")


@lru_cache(maxsize=1)
def base_config() -> dict[str, Any]:
    return dict(yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8")))


def task_name(src: str, tgt: str) -> str:
    return names.task_name(PREFIX, src, tgt)


def all_directions() -> list[str]:
    return names.english_groups(PREFIX, FLORES_LANGUAGES)[PREFIX]


def groups() -> FloresGroups:
    """`flores` and one group per ISO 639-3 code (`flores_lin`, `flores_ace` = both scripts), listed;
    `flores_<iso>@<pivot-iso>` resolved by name (`tasks.flores.names`)."""
    return FloresGroups(
        names.english_groups(PREFIX, FLORES_LANGUAGES),
        lambda name: names.pivot_group(PREFIX, name, FLORES_LANGUAGES),
    )


def parse_name(name: str) -> tuple[str, str] | None:
    """(src, tgt) for a direction name over two known FLORES-200 codes, else None."""
    return names.parse_direction(PREFIX, name, FLORES_LANGUAGES)


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


NameOf = Callable[[str], str | None]
"""A data code -> the English language name its prompts use."""


def prompt_template(src: str, tgt: str, name_of: NameOf = FLORES_LANGUAGES.get) -> str:
    src_name, tgt_name = name_of(src), name_of(tgt)
    if not src_name or not tgt_name:
        raise HarnessError(f"no language name for the prompt of {src if not src_name else tgt}")
    return PROMPT_TEMPLATE.format(src_name=src_name, tgt_name=tgt_name)


def task_hash(
    src: str, tgt: str, data_root: Path, name_of: NameOf = FLORES_LANGUAGES.get
) -> tuple[str, dict[str, str]]:
    """Hash of everything that defines the task's scores: template, config, data file checksums."""
    require_files(data_root, (src, tgt))
    checksums = {
        f"{split}/{lang}.{split}": sha256_file(split_path(data_root, lang, split))
        for split in SPLITS
        for lang in (src, tgt)
    }
    payload = {
        "prompt_version": PROMPT_VERSION,
        "template": prompt_template(src, tgt, name_of),
        "config": base_config(),
        "data": checksums,
    }
    return content_hash(payload), checksums


def direction_config(
    name: str, src: str, tgt: str, data_root: Path, with_spbleu: bool, target_code: str, name_of: NameOf
) -> dict[str, Any]:
    """The lm-eval task config of one direction (a dict lm-eval's TaskManager loads like a YAML
    file); `target_code`: the FLORES-200 code of the target, which picks BLEU's tokenizer."""
    require_files(data_root, (src, tgt))
    config = {key: value for key, value in base_config().items() if key != "metric_list"}
    metrics = [m for m in base_config()["metric_list"] if with_spbleu or m != "spbleu"]
    config.update(
        task=name,
        custom_dataset=load_pair,
        dataset_kwargs={"data_root": str(data_root), "src": src, "tgt": tgt, "splits": list(SPLITS)},
        doc_to_text=prompt_template(src, tgt, name_of),
        process_results=partial(process_results, metrics),
        metric_list=[
            {"metric": m, "aggregation": partial(aggregate, m, target_code), "higher_is_better": True}
            for m in metrics
        ],
    )
    return config


def lm_eval_config(name: str, data_root: Path, with_spbleu: bool) -> dict[str, Any]:
    """The lm-eval task config of a FLORES-200 direction."""
    parsed = parse_name(name)
    if parsed is None:
        raise HarnessError(f"not a FLORES-200 direction: {name!r}")
    return direction_config(name, *parsed, data_root, with_spbleu, parsed[1], FLORES_LANGUAGES.get)


def collect(
    name: str, output: dict[str, Any], info: TaskInfo, target_code: str | None = None, data_version: str = ""
) -> TaskOutcome:
    """Corpus scores with signatures and stderr, and one record per sentence with its chrF++ and
    source sentence (for COMET); lm-eval's own aggregate must equal ours (both are the same
    sacrebleu call). `target_code`: the target's FLORES-200 code (default: the name's target);
    `data_version`: added to every signature (`|data:flores_plus@<revision>`)."""
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
    target_lang = target_code or name.rsplit("-", 1)[1]
    suffix = f"|data:{data_version}" if data_version else ""
    metrics = []
    for metric in MT_METRICS:
        score = corpus_score(metric, hyps, refs, target_lang)
        engine_value = output["results"][name].get(f"{metric},none")
        if score.value is not None and abs(float(engine_value) - score.value) > 1e-9:
            raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine_value}, harness {score.value}")
        signature = score.signature + suffix if score.signature else score.signature
        metrics.append(MetricResult(name, metric, score.value, score.stderr, score.n, signature, score.note))
    return TaskOutcome(name, info.version, info.task_hash, metrics, sorted(samples, key=lambda r: r.doc_id))


MAX_GEN_TOKS = int(base_config()["generation_kwargs"]["max_gen_toks"])
PROTOCOL = (
    f"FLORES-200 devtest, zero-shot `flores-prompt-v1`, greedy, stop at a newline, max {MAX_GEN_TOKS} new "
    "tokens; chrF++ (sacrebleu word_order=2) as NLLB and most MT papers report it, spBLEU with the "
    "pinned flores200 SentencePiece model"
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
    counts_cut_off = True
    """Generative MT: the runner counts outputs that stopped at the token budget (`cut_off`)."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return groups()

    def owns(self, name: str, root: Path | None) -> bool:
        if problem := names.pivot_problem(PREFIX, name, FLORES_LANGUAGES, "FLORES-200"):
            raise HarnessError(f"--tasks: {problem}")
        return parse_name(name) is not None

    def group_rule(self, group: str) -> GroupRule:
        return "macro"  # the usual average over directions

    def meta(self, name: str) -> TaskMeta:
        """The direction's target as its language and its source as the second language (language
        views place a direction into English under its source: `core.languages.placed_language`)."""
        parsed = parse_name(name)
        assert parsed is not None, name
        src, tgt = parsed
        return TaskMeta(self.name, tgt, "chrf++", "chrf++", PROTOCOL, source_language=src)

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
