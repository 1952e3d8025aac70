"""IF-MT (Rei et al., 2025, "Tower+: Bridging Generality and Translation Specialization in
Multilingual LLMs"): English->Chinese translation under instructions with rules, scored for rule
adherence by an LLM judge (`harness eval --judge-model`, `judge.py`) and by chrF++ against the
reference.

Task `ifmt_en-zh` (group `ifmt`). Data: the Hugging Face dataset `Unbabel/IF-MT-en-zh` (one config,
`default`, split `train`), exported by `harness data fetch ifmt` to `ifmt/default/train.jsonl`, or a
JSONL file of the same schema placed there. Fields read (names matched case-insensitively):

- `prompt`: the instruction the model receives, stating the rules and holding the source text
  (Zero-shot Benchmarking's `<START OF RULES>`/`<START OF SOURCE>` markers, when present, give
  the stored rules and source); when absent, `source` and `rules` are required and the prompt is
  built from `FALLBACK_TEMPLATE`;
- `reference`: the reference translation (required);
- `source`, `rules` (a string, one rule per line, or a list of strings): optional, stored with
  each sample.

The field names are those of Zero-shot Benchmarking's translation data (`source, reference,
prompt`) and its rules task (`PROMPT, SOURCE, REFERENCE, RULES`), the framework the dataset card
cites; the hub schema itself could not be checked offline, so a row without them is an error
naming the file, line and missing field.

Zero-shot, greedy; generation stops at the end-of-text token, three newlines or `<END OF`
(Zero-shot Benchmarking's closing marker), at most 512 new tokens: IF-MT sources run from a few
sentences to about a page, so a longer translation is cut there (visible in the stored output).
chrF++ is sacrebleu's `CHRF(word_order=2)` as for every MT task: sacrebleu's chrF has no
language-specific tokenisation, so on unsegmented Chinese the character n-grams carry the score
and the whitespace-delimited word n-grams add little.
"""

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import MetricResult, SampleRecord, TaskMeta, TaskOutcome
from tasks.base import GroupRule, JudgeReplies, JudgeRequest, TaskInfo, TaskOptions
from tasks.choice import check_engine, mean_stderr, read_jsonl
from tasks.ifmt import judge
from tasks.ifmt.source import IFMT

VERSION = "ifmt-en-zh-v1"
TASK = "ifmt_en-zh"
DATA_FILE = "default/train.jsonl"
SPLIT = "train"
TARGET_LANG = "zho_Hans"
FALLBACK_TEMPLATE = (
    "Translate the following English text into Simplified Chinese, following these rules:\n{rules}\n\n"
    "English text:\n{source}\n\nReturn only the translation.\nChinese:"
)
GENERATION_KWARGS: dict[str, Any] = {"until": ["\n\n\n", "<END OF"], "do_sample": False, "max_gen_toks": 512}
_MARKED = "<START OF {0}>(.*?)<END OF {0}>"


def _marked(text: str, part: str) -> str | None:
    found = re.search(_MARKED.format(part), text, re.DOTALL)
    return found.group(1).strip() if found else None


def _rules(value: Any) -> list[str] | None:
    """Rules as a list: a list of strings, or a string with one rule per line (`- ` bullets dropped)."""
    if isinstance(value, list) and all(isinstance(rule, str) for rule in value):
        return [rule.strip() for rule in value if rule.strip()]
    if isinstance(value, str):
        return [line.strip().removeprefix("- ").strip() for line in value.splitlines() if line.strip()]
    return None


def check_row(row: dict[str, Any]) -> str | None:
    """What is wrong with one IF-MT row, or None."""
    row = {str(key).lower(): value for key, value in row.items()}
    if not isinstance(row.get("reference"), str) or not row["reference"].strip():
        return "missing field 'reference' (the reference translation)"
    if "rules" in row and _rules(row["rules"]) is None:
        return "field 'rules' is neither a string nor a list of strings"
    if isinstance(row.get("prompt"), str) and row["prompt"].strip():
        return None
    missing = [field for field in ("source", "rules") if not row.get(field)]
    if missing:
        return (
            "missing field 'prompt' (the instruction with rules and source), and no "
            f"{' and '.join(repr(m) for m in missing)} to build one from"
        )
    return None if isinstance(row["source"], str) else "field 'source' is not a string"


def to_doc(index: int, raw: dict[str, Any]) -> dict[str, Any]:
    """A checked row as the lm-eval document: id, prompt, reference, source, rules."""
    row = {str(key).lower(): value for key, value in raw.items()}
    rules = _rules(row["rules"]) if "rules" in row else None
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        assert rules is not None
        prompt = FALLBACK_TEMPLATE.format(rules="\n".join(f"- {r}" for r in rules), source=row["source"])
    if rules is None:
        marked = _marked(prompt, "RULES")
        rules = _rules(marked) if marked else []
    source = row.get("source") if isinstance(row.get("source"), str) else _marked(prompt, "SOURCE")
    return {
        "id": index,
        "prompt": prompt,
        "reference": row["reference"],
        "source": source or "",
        "rules": rules or [],
    }


def load_docs(root: Path) -> list[dict[str, Any]]:
    rows = read_jsonl(root / DATA_FILE, check_row)
    if not rows:
        raise HarnessError(f"{root / DATA_FILE}: no rows")
    return [to_doc(index, row) for index, row in enumerate(rows)]


def load_dataset(data_root: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked IF-MT documents, split `train` (as on the hub)."""
    import datasets

    return datasets.DatasetDict({SPLIT: datasets.Dataset.from_list(load_docs(Path(data_root)))})


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, tuple[str, str]]:
    return {"chrf++": (doc["reference"], results[0].strip())}


def aggregate_chrfpp(items: Sequence[tuple[str, str]]) -> float:
    from core.mt import corpus_value

    return corpus_value("chrf++", [hyp for _, hyp in items], [ref for ref, _ in items], TARGET_LANG)


def describe() -> dict[str, Any]:
    """What defines the task's scores besides the data (the judge prompt included)."""
    return {
        "version": VERSION,
        "fallback_template": FALLBACK_TEMPLATE,
        "generation": GENERATION_KWARGS,
        "judge_prompt_version": judge.JUDGE_PROMPT_VERSION,
        "judge_prompt": judge.JUDGE_PROMPT.template,
        "judge_generation": {"max_gen_toks": judge.JUDGE_MAX_GEN_TOKS, "until": judge.JUDGE_UNTIL},
    }


def collect(name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
    """Output, reference and sentence chrF++ per document, corpus chrF++ equal to lm-eval's; the
    judged metrics come later (`apply_judgements`)."""
    from core.mt import corpus_score, sentence_chrfpp

    logged = sorted(output["samples"][name], key=lambda s: int(s["doc_id"]))
    for s in logged:
        if s["arguments"][0][0] != s["doc"]["prompt"]:
            raise HarnessError(
                f"{name} is zero-shot: the judge must see the instruction alone (no --num-fewshot)"
            )
    hyps = [str(s["chrf++"][1]) for s in logged]
    refs = [str(s["doc"]["reference"]) for s in logged]
    samples = [
        SampleRecord(
            doc_id=int(s["doc_id"]),
            doc_hash=s["doc_hash"],
            prompt=s["doc"]["prompt"],
            target=ref,
            output=hyp,
            scores={"chrf++": chrf, "source": s["doc"]["source"], "rules": list(s["doc"]["rules"])},
        )
        for s, hyp, ref, chrf in zip(logged, hyps, refs, sentence_chrfpp(hyps, refs), strict=True)
    ]
    score = corpus_score("chrf++", hyps, refs, TARGET_LANG)
    check_engine(name, "chrf++", output, score.value)
    metric = MetricResult(name, "chrf++", score.value, score.stderr, score.n, score.signature)
    return TaskOutcome(name, info.version, info.task_hash, [metric], samples)


def _judge_signature(metric: str, replies: JudgeReplies | None) -> str:
    scale = f"scale:{judge.SCALE[0]}-{judge.SCALE[1]}"
    if replies is None:
        return f"{metric}|prompt:{judge.JUDGE_PROMPT_VERSION}|{scale}|judge:none"
    chat = "yes" if replies.chat_template else "no"
    return (
        f"{metric}|judge:{replies.judge}|prompt:{judge.JUDGE_PROMPT_VERSION}|{scale}|greedy"
        f"|max_gen_toks:{judge.JUDGE_MAX_GEN_TOKS}|chat_template:{chat}"
    )


def _judged_record(record: SampleRecord, text: str) -> SampleRecord:
    """The record with the judge's raw reply, its parse, and the grade that counts in the mean."""
    verdict = judge.parse_verdict(text)
    scores = {
        **record.scores,
        "judge_output": text,
        "judge_score": verdict.score,
        "judge_error": verdict.error,
        "judge_unparseable": float(verdict.score is None),
        "judge_cut_off": float(verdict.cut_off),
        "rule_adherence": float(verdict.grade),
    }
    return replace(record, scores=scores)


def judged_outcome(name: str, outcome: TaskOutcome, replies: JudgeReplies | None) -> TaskOutcome:
    """Add `rule_adherence` (mean judge grade over every document, an unparseable verdict graded
    1, the lowest, as Zero-shot Benchmarking does), `judge_unparseable` (how many verdicts could not
    be parsed, with the reasons) and `judge_cut_off` (how many of those end inside their JSON
    object); without a judge, `rule_adherence` is None with a note.

    Per document: `judge_score` is the parsed score or None, `judge_unparseable` 1.0 marks a
    verdict graded 1 for want of a parse, and `rule_adherence` is the grade in the mean."""
    total = len(outcome.samples)
    if replies is None:
        note = "not computed: no judge model; rerun with --judge-model MODEL"
        metric = MetricResult(
            name, "rule_adherence", None, None, total, _judge_signature("rule_adherence", None), note
        )
        return replace(outcome, metrics=[*outcome.metrics, metric])
    samples = [_judged_record(record, replies.texts[record.doc_id]) for record in outcome.samples]
    mean, stderr = mean_stderr([s.scores["rule_adherence"] for s in samples]) if samples else (None, None)
    errors = [s.scores["judge_error"] for s in samples if s.scores["judge_error"]]
    cut_off = sum(int(s.scores["judge_cut_off"]) for s in samples)
    reasons = sorted({e: errors.count(e) for e in errors}.items(), key=lambda kv: -kv[1])
    metrics = [
        *outcome.metrics,
        MetricResult(
            name,
            "rule_adherence",
            mean,
            stderr,
            total,
            _judge_signature("rule_adherence", replies) + f"|mean|unparseable-as-{judge.LOWEST}",
            f"mean over {total} verdicts; {len(errors)} unparseable, graded {judge.LOWEST} (the lowest)",
        ),
        MetricResult(
            name,
            "judge_unparseable",
            float(len(errors)),
            None,
            total,
            _judge_signature("judge_unparseable", replies) + "|count",
            "; ".join(f"{reason} ({count})" for reason, count in reasons),
        ),
        MetricResult(
            name,
            "judge_cut_off",
            float(cut_off),
            None,
            total,
            _judge_signature("judge_cut_off", replies) + "|count",
            f"{cut_off} of {total} verdicts end inside their JSON object (generation budget spent, or the"
            f" judge stopped); graded {judge.LOWEST}",
        ),
    ]
    return replace(outcome, metrics=metrics, samples=samples)


PROTOCOL = (
    "Tower+ IF-MT (Unbabel/IF-MT-en-zh): greedy, max 512 new tokens; chrF++ against the reference; rule"
    " adherence by a versioned LLM judge"
)


class Ifmt:
    """The IF-MT family (see the module docstring)."""

    name = "ifmt"
    data_set = "ifmt"
    sources = (IFMT,)
    discovered = False
    splits: tuple[str, ...] = ()
    judge_prompt_version = judge.JUDGE_PROMPT_VERSION
    counts_cut_off = True
    """Outputs that stopped at the 512-token budget are counted (`harness.engine.cut_off`)."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return {self.name: [TASK]}

    def owns(self, name: str, root: Path | None) -> bool:
        return name == TASK

    def group_rule(self, group: str) -> GroupRule:
        return "macro"

    def meta(self, name: str) -> TaskMeta:
        return TaskMeta(self.name, "zho_Hans", "chrf++", "chrf++", PROTOCOL)

    def translation_languages(self, name: str) -> tuple[str, str]:
        """(source, target) FLORES-200 codes: what output language identification checks."""
        return "eng_Latn", TARGET_LANG

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        path = root / DATA_FILE
        if not path.is_file():
            raise HarnessError(f"data file missing: {path} (run `harness data fetch ifmt`)")
        load_docs(root)  # a bad row fails here, before any model is loaded
        files = {DATA_FILE: sha256_file(path)}
        digest = content_hash({**describe(), "split": SPLIT, "data": files})
        return TaskInfo(name, self.name, VERSION, digest, files, str(describe()))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        return {
            "task": name,
            "custom_dataset": partial(load_dataset, str(root)),
            "test_split": SPLIT,
            "output_type": "generate_until",
            "doc_to_text": "{{prompt}}",
            "doc_to_target": "{{reference}}",
            "generation_kwargs": {**GENERATION_KWARGS, "until": list(GENERATION_KWARGS["until"])},
            "process_results": process_results,
            "metric_list": [{"metric": "chrf++", "aggregation": aggregate_chrfpp, "higher_is_better": True}],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect(name, output, info)

    def judge_requests(self, name: str, outcome: TaskOutcome) -> list[JudgeRequest]:
        return [
            JudgeRequest(
                s.doc_id, judge.render(s.prompt, s.output), judge.JUDGE_MAX_GEN_TOKS, judge.JUDGE_UNTIL
            )
            for s in outcome.samples
        ]

    def apply_judgements(self, name: str, outcome: TaskOutcome, replies: JudgeReplies | None) -> TaskOutcome:
        return judged_outcome(name, outcome, replies)
