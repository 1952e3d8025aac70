"""Bits per byte on FLORES-200: how well a model predicts real text in each language.

`bpb_<lang_Script>` for every language of the FLORES-200 data (`devtest/<lang>.devtest`; 205 in
the NLLB release), groups `bpb` (every language) and `bpb_<iso639-3>` (`bpb_lin`; `bpb_arb` holds
both scripts), each the unweighted mean over its languages. Each document is one sentence of the
scored split (`devtest`; `--split dev` for quick checks while training), scored as a whole by
lm-eval's `loglikelihood_rolling` (the model's BOS, else its end-of-text token, as the context of
the first token; a sentence longer than the window in lm-eval's disjoint rolling windows). Metrics
as lm-eval computes them for its rolling tasks (`tasks.bpb.metrics`): `bits_per_byte` (primary,
lower is better), `byte_perplexity`, `word_perplexity`. Unlike perplexity per token, bits per byte
compares models with different tokenizers (a vocabulary-extended checkpoint and its base).
"""

import math
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash, sha256_file
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.bpb import metrics as m
from tasks.flores.source import SOURCES
from tasks.flores.task import read_lines, split_path

VERSION = "bpb-rolling-v1"
SPLITS = ("dev", "devtest")
DEFAULT_SPLIT = "devtest"
PROTOCOL = (
    "lm-eval loglikelihood_rolling over each FLORES-200 sentence (BOS as context); bits_per_byte = "
    "-sum(ll)/ln2/sum(UTF-8 bytes), byte and word perplexity as lm-eval's rolling tasks"
)
SIGNATURES = {
    "bits_per_byte": "bits_per_byte|-sum(ll)/ln2/sum(utf8_bytes)|loglikelihood_rolling|bos-context",
    "byte_perplexity": "byte_perplexity|exp(-sum(ll)/sum(utf8_bytes))|loglikelihood_rolling|bos-context",
    "word_perplexity": r"word_perplexity|exp(-sum(ll)/sum(words))|words=len(re.split('\s+'))"
    "|loglikelihood_rolling|bos-context",
}
SAMPLE_METRIC = "nll_bits/bytes"
"""Per-document bits per byte as a ratio of sums: the summed negative log-likelihood in bits over
the UTF-8 bytes (`core.records.TaskMeta.sample_metric`)."""


def load_sentences(data_root: str, lang: str, split: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the split's sentences as rows (`id`, `text`), checked as FLORES
    reads them (an empty line is an error naming the file and line)."""
    import datasets
    import pyarrow as pa

    path = split_path(Path(data_root), lang, split)
    if not path.is_file():
        raise HarnessError(f"FLORES-200 file missing: {path}")
    lines = read_lines(path)
    # Named by the file's checksum: `from_dict` would hash every row to name it.
    fingerprint = content_hash({"bpb": split, "file": sha256_file(path)})[:16]
    table = datasets.table.InMemoryTable.from_arrays(
        [pa.array(range(len(lines)), type=pa.int64()), pa.array(lines, type=pa.string())],
        names=["id", "text"],
    )
    return datasets.DatasetDict({split: datasets.Dataset(table, fingerprint=fingerprint)})


@lru_cache(maxsize=8)
def _languages(devtest: Path, _version: object) -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".devtest") for p in devtest.glob("*.devtest") if p.is_file()))


class Bpb:
    """The bits-per-byte family (see the module docstring)."""

    name = "bpb"
    data_set = "flores200"
    sources = SOURCES
    discovered = True
    splits: tuple[str, ...] = SPLITS
    version = VERSION

    def languages(self, root: Path | None) -> list[str]:
        """The data's languages: every `devtest/<lang>.devtest` file."""
        if root is None or not (root / "devtest").is_dir():
            return []
        folder = root / "devtest"
        return list(_languages(folder, folder.stat().st_mtime_ns))

    def lang(self, name: str) -> str:
        return name.removeprefix(self.name + "_")

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        """`bpb` and one group per ISO 639-3 code (`bpb_lin`, `bpb_arb` = both scripts)."""
        langs = self.languages(root)
        tasks = [f"{self.name}_{lang}" for lang in langs]
        out: dict[str, list[str]] = {self.name: tasks}
        for lang, task in zip(langs, tasks, strict=True):
            out.setdefault(f"{self.name}_{lang.split('_')[0]}", []).append(task)
        return out

    def owns(self, name: str, root: Path | None) -> bool:
        return self.lang(name) in self.languages(root)

    def group_rule(self, group: str) -> GroupRule:
        return "macro"  # every language counts once, as the per-language comparisons read them

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, self.lang(name), "bits_per_byte", SAMPLE_METRIC, PROTOCOL)

    def split(self, options: TaskOptions) -> str:
        split = options.split or DEFAULT_SPLIT
        if split not in SPLITS:
            raise HarnessError(f"--split: {self.name} has {' and '.join(SPLITS)}, not {split!r}")
        return split

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        lang, split = self.lang(name), self.split(options)
        path = split_path(root, lang, split)
        if not path.is_file():
            raise HarnessError(f"FLORES-200 file missing: {path}")
        read_lines(path)  # an empty line fails here, before the model loads
        files = {f"{split}/{lang}.{split}": sha256_file(path)}
        digest = content_hash(
            {"version": self.version, "split": split, "signatures": SIGNATURES, "data": files}
        )
        return TaskInfo(name, self.name, self.version, digest, files, "{{text}} (loglikelihood_rolling)")

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        lang, split = self.lang(name), self.split(options)
        if lang not in self.languages(root):
            raise HarnessError(f"no FLORES-200 data for {lang!r}: {split_path(root, lang, split)} is missing")
        return {
            "task": name,
            "custom_dataset": partial(load_sentences, str(root), lang, split),
            "test_split": split,
            "output_type": "loglikelihood_rolling",
            "doc_to_text": "",
            "doc_to_target": "text",
            "metric_list": [
                {"metric": "bits_per_byte"},
                *(
                    {"metric": metric, "aggregation": m.perplexity_aggregate, "higher_is_better": False}
                    for metric in m.METRICS[1:]
                ),
            ],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """One record per sentence (its loglikelihood, negative log-likelihood in bits, bytes and words)
    and the three metrics recomputed from them; lm-eval's own aggregates must agree."""
    samples = sorted((_record(s) for s in output["samples"][name]), key=lambda r: r.doc_id)
    if not samples:
        raise HarnessError(f"{name}: lm-eval scored no sentence")
    corpus = m.Corpus(
        [r.scores["loglikelihood"] for r in samples],
        [r.scores["bytes"] for r in samples],
        [r.scores["words"] for r in samples],
    )
    results = []
    for metric in m.METRICS:
        ours = m.value(metric, corpus)
        engine = float(output["results"][name][f"{metric},none"])
        if not (math.isclose(engine, ours, rel_tol=1e-9) if ours is not None else math.isinf(engine)):
            raise HarnessError(f"{name} {metric}: lm-eval aggregated {engine}, harness {ours}")
        note = m.OVERFLOW if ours is None else ""
        stderr = m.stderr(metric, corpus)
        results.append(MetricResult(name, metric, ours, stderr, len(samples), SIGNATURES[metric], note))
    return TaskOutcome(name, info.version, info.task_hash, results, samples)


def _record(s: dict[str, Any]) -> SampleRecord:
    text = s["target"]
    ll = float(s["filtered_resps"][0])
    n_bytes, words = m.count_bytes(text), m.count_words(text)
    logged = s.get("bits_per_byte")
    if logged is not None and (float(logged[0]) != ll or int(logged[1]) != n_bytes):
        raise HarnessError(f"document {s['doc_id']}: lm-eval logged {logged}, harness ({ll}, {n_bytes})")
    nll_bits = -ll / m.LN2
    scores = {
        "loglikelihood": ll,
        "nll_bits": nll_bits,
        "bytes": n_bytes,
        "words": words,
        "bits_per_byte": nll_bits / n_bytes,
    }
    return SampleRecord(int(s["doc_id"]), s["doc_hash"], "", text, "", scores)
