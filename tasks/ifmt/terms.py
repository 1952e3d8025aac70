"""Terminology-constrained English->German translation (Dinu et al., 2019), an instruction-following
MT task whose rule ("use these terms") is checked without a judge.

Tasks `ifmt_terms_en-de_iate` (414 sentences, IATE terms) and `ifmt_terms_en-de_wikt` (727 sentences,
Wiktionary terms); group `ifmt_terms_en-de` (and `ifmt_terms`) = both. These are the two sets of
Dinu et al.'s Table 2, whose target terms occur exactly in the references; the 581/975-sentence
sets (approximate matches, their Table 4) are left out because an exact-match usage rate does not
fit them.

Data (`terminology_en_de/`, the official release's layout): `terminology/<set>.terminology.tsv`,
one row per sentence: index, 1-based line number in `newstest2017_en-de/newstest2017.{en,de}`
(WMT17 newstest, 3004 lines), then (source term, target term) pairs; empty cells pad each row to
the same width.

Prompt `ifmt-terms-prompt-v1`: `Translate the English sentence into German. Use these German terms:
"Interview" for "interview".` then `English: <sentence>` and `German:`; zero-shot, greedy, stop at
a newline, at most 128 new tokens (one news sentence). Metrics: `term_usage` (percentage of required
terms used, `term_usage.py`) and `chrf++` against the newstest reference, both corpus-level with a
sentence bootstrap stderr.
"""

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import check_engine
from tasks.ifmt.source import TERMINOLOGY_EN_DE
from tasks.ifmt.term_usage import MATCH_RULE, corpus_rate, term_used

VERSION = "ifmt-terms-prompt-v1"
PROMPT_TEMPLATE = (
    "Translate the English sentence into German. Use these German terms: {terms}.\nEnglish: {source}\nGerman:"
)
"""`{terms}` is `"<target>" for "<source>"` for each required term, joined by `, `."""
TERM_SETS = {"iate": "terminology/iate.414.terminology.tsv", "wikt": "terminology/wikt.727.terminology.tsv"}
NEWSTEST = {"en": "newstest2017_en-de/newstest2017.en", "de": "newstest2017_en-de/newstest2017.de"}
PREFIX = "ifmt_terms_en-de"
GROUPS = ("ifmt_terms", PREFIX)
SPLIT = "test"
TARGET_LANG = "deu_Latn"
GENERATION_KWARGS: dict[str, Any] = {"until": ["\n"], "do_sample": False, "max_gen_toks": 128}


def task_name(term_set: str) -> str:
    return f"{PREFIX}_{term_set}"


def term_set_of(name: str) -> str:
    term_set = name.removeprefix(PREFIX + "_")
    if not name.startswith(PREFIX + "_") or term_set not in TERM_SETS:
        raise HarnessError(
            f"unknown terminology task {name!r}; known: {', '.join(map(task_name, TERM_SETS))}"
        )
    return term_set


def read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise HarnessError(f"data file missing: {path}")
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def parse_row(cells: list[str]) -> tuple[int, int, list[tuple[str, str]]] | str:
    """(index, line number, [(source term, target term)]) of one TSV row, or what is wrong with it."""
    while cells and cells[-1] == "":
        cells = cells[:-1]
    if len(cells) < 4:
        return f"expected index, line number and at least one term pair, got {len(cells)} cells"
    if not (cells[0].isdigit() and cells[1].isdigit()):
        return f"index {cells[0]!r} and line number {cells[1]!r} must be whole numbers"
    if int(cells[1]) < 1:
        return "line numbers are 1-based; got 0"
    terms = cells[2:]
    if len(terms) % 2:
        return f"{len(terms)} term cells: source and target terms must come in pairs"
    if any(not term.strip() for term in terms):
        return "empty term inside the row"
    return int(cells[0]), int(cells[1]), list(zip(terms[::2], terms[1::2], strict=True))


def render_prompt(source: str, terms: Sequence[tuple[str, str]]) -> str:
    listed = ", ".join(f'"{target}" for "{src}"' for src, target in terms)
    return PROMPT_TEMPLATE.format(terms=listed, source=source)


def load_docs(root: Path, term_set: str) -> list[dict[str, Any]]:
    """One document per TSV row, with its newstest sentence, reference, terms and prompt; a bad row
    or a line number outside newstest2017 is an error naming the file and line."""
    english, german = (read_lines(root / NEWSTEST[lang]) for lang in ("en", "de"))
    if len(english) != len(german):
        raise HarnessError(
            f"{root / NEWSTEST['en']} has {len(english)} lines but {root / NEWSTEST['de']} has "
            f"{len(german)}: files are not aligned"
        )
    path = root / TERM_SETS[term_set]
    docs = []
    for number, line in enumerate(read_lines(path), start=1):
        parsed = parse_row(line.rstrip("\r").split("\t"))
        if isinstance(parsed, str):
            raise HarnessError(f"{path}:{number}: {parsed}")
        index, sentence, terms = parsed
        if sentence > len(english):
            raise HarnessError(
                f"{path}:{number}: line number {sentence} is beyond the {len(english)} lines of "
                f"{root / NEWSTEST['en']}"
            )
        source, reference = english[sentence - 1], german[sentence - 1]
        docs.append(
            {
                "id": index,
                "line": sentence,
                "source": source,
                "reference": reference,
                "terms": [{"source": s, "target": t} for s, t in terms],
                "prompt": render_prompt(source, terms),
            }
        )
    if not docs:
        raise HarnessError(f"{path}: no rows")
    return docs


def load_dataset(data_root: str, term_set: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked documents of one term set, split `test`."""
    import datasets

    return datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(load_docs(Path(data_root), term_set))})


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, tuple[Any, Any]]:
    """(reference, output) for corpus chrF++, (terms used, terms required) for the usage rate."""
    output = results[0].strip()
    used = sum(term_used(term["target"], output) for term in doc["terms"])
    return {"chrf++": (doc["reference"], output), "term_usage": (used, len(doc["terms"]))}


def aggregate_chrfpp(items: Sequence[tuple[str, str]]) -> float:
    from core.mt import corpus_value

    return corpus_value("chrf++", [hyp for _, hyp in items], [ref for ref, _ in items], TARGET_LANG)


def aggregate_term_usage(items: Sequence[tuple[int, int]]) -> float:
    return 100.0 * sum(used for used, _ in items) / sum(total for _, total in items)


def describe() -> dict[str, Any]:
    """What defines the task's scores besides the data, for the hash and `tasks show`."""
    return {
        "version": VERSION,
        "template": PROMPT_TEMPLATE,
        "generation": GENERATION_KWARGS,
        "term_match": MATCH_RULE,
    }


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Per sentence: output, reference, chrF++, each term and whether it was used; corpus chrF++ and
    term usage with bootstrap stderr, each equal to lm-eval's aggregate."""
    from core.mt import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, corpus_score, sentence_chrfpp

    logged = sorted(output["samples"][name], key=lambda s: int(s["doc_id"]))
    hyps = [str(s["chrf++"][1]) for s in logged]
    refs = [str(s["doc"]["reference"]) for s in logged]
    samples = []
    for s, hyp, ref, chrf in zip(logged, hyps, refs, sentence_chrfpp(hyps, refs), strict=True):
        terms = [{**term, "used": term_used(term["target"], hyp)} for term in s["doc"]["terms"]]
        used = sum(term["used"] for term in terms)
        samples.append(
            SampleRecord(
                doc_id=int(s["doc_id"]),
                doc_hash=s["doc_hash"],
                prompt=s["arguments"][0][0],
                target=ref,
                output=hyp,
                scores={
                    "chrf++": chrf,
                    "term_usage": 100.0 * used / len(terms),
                    "terms_used": used,
                    "terms_total": len(terms),
                    "terms": terms,
                    "source": s["doc"]["source"],
                    "line": int(s["doc"]["line"]),
                },
            )
        )
    chrf_score = corpus_score("chrf++", hyps, refs, TARGET_LANG)
    assert chrf_score.value is not None
    check_engine(name, "chrf++", output, chrf_score.value)
    rate = corpus_rate(
        [r.scores["terms_used"] for r in samples],
        [r.scores["terms_total"] for r in samples],
        BOOTSTRAP_RESAMPLES,
        BOOTSTRAP_SEED,
    )
    check_engine(name, "term_usage", output, rate.value)
    term_set = TERM_SETS[term_set_of(name)].rsplit("/", 1)[-1]
    metrics = [
        MetricResult(
            name,
            "term_usage",
            rate.value,
            rate.stderr,
            len(samples),
            f"term_usage|{MATCH_RULE}|terms:{term_set}|bootstrap:{BOOTSTRAP_RESAMPLES}",
            f"{rate.used} of {rate.total} required terms used",
        ),
        MetricResult(name, "chrf++", chrf_score.value, chrf_score.stderr, chrf_score.n, chrf_score.signature),
    ]
    return TaskOutcome(name, info.version, info.task_hash, metrics, samples)


PROTOCOL = (
    "Dinu et al. (2019) terminology-constrained EN-DE: greedy, stop at a newline, max 128 new tokens; term "
    "usage rate (exact, case-sensitive), chrF++"
)


class IfmtTerms:
    """The terminology-constrained translation family (see the module docstring)."""

    name = "ifmt_terms"
    data_set = "terminology_en_de"
    sources = (TERMINOLOGY_EN_DE,)
    discovered = False
    splits: tuple[str, ...] = ()
    counts_cut_off = True
    """Outputs that stopped at the 128-token budget are counted (`harness.engine.cut_off`)."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return {group: [task_name(s) for s in TERM_SETS] for group in GROUPS}

    def owns(self, name: str, root: Path | None) -> bool:
        return name in [task_name(s) for s in TERM_SETS]

    def group_rule(self, group: str) -> GroupRule:
        return "macro"

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, TARGET_LANG, "term_usage", "terms_used/terms_total", PROTOCOL)

    def translation_languages(self, name: str) -> tuple[str, str]:
        """(source, target) FLORES-200 codes: what output language identification checks."""
        return "eng_Latn", TARGET_LANG

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        relative = [TERM_SETS[term_set_of(name)], *NEWSTEST.values()]
        load_docs(root, term_set_of(name))  # missing files and bad rows fail before any model loads
        files = {path: sha256_file(root / path) for path in relative}
        digest = content_hash({**describe(), "split": SPLIT, "data": files})
        return TaskInfo(name, self.name, VERSION, digest, files, PROMPT_TEMPLATE)

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        return {
            "task": name,
            "custom_dataset": partial(load_dataset, str(root), term_set_of(name)),
            "test_split": SPLIT,
            "output_type": "generate_until",
            "doc_to_text": "{{prompt}}",
            "doc_to_target": "{{reference}}",
            "generation_kwargs": {**GENERATION_KWARGS, "until": list(GENERATION_KWARGS["until"])},
            "process_results": process_results,
            "metric_list": [
                {"metric": "chrf++", "aggregation": aggregate_chrfpp, "higher_is_better": True},
                {"metric": "term_usage", "aggregation": aggregate_term_usage, "higher_is_better": True},
            ],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)
