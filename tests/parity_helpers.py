"""Parity with a plain lm-eval run: a FLORES task config that uses no project code, and readers for
lm-eval's logged samples and for the samples `harness eval` stores.

Shared by tests/integration/test_lm_eval_parity.py and the benches in bench/.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The project's virtualenv scripts (lm_eval, harness), else those beside the running interpreter.
VENV_BIN = next(
    (d for d in (PROJECT_ROOT / ".venv" / "bin", Path(sys.executable).parent) if (d / "lm_eval").is_file()),
    Path(sys.executable).parent,
)
PLAIN_TASK = "plain_flores_eng_lin"
HARNESS_TASK = "flores_eng_Latn-lin_Latn"
PROMPT = "English: {{src}}\nLingala:"


def timed_evaluate(
    lm: Any, tasks: list[Any], limit: int | None, **options: Any
) -> tuple[dict[str, Any], float]:
    """One plain `lm_eval.simple_evaluate` call on a model object, as the benches time it (samples
    logged, no bootstrap, lm-eval's built-in tasks left out): its output and wall seconds."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    started = time.monotonic()
    output = simple_evaluate(
        model=lm,
        tasks=tasks,
        limit=limit,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
        **options,
    )
    seconds = time.monotonic() - started
    assert output is not None
    return output, seconds


def offline_env() -> dict[str, str]:
    """The current environment with the Hugging Face hub switched off."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def write_plain_task(folder: Path, flores: Path, n: int, name: str = PLAIN_TASK) -> Path:
    """A JSONL of the first `n` eng_Latn/lin_Latn devtest pairs and a plain lm-eval YAML task over it.

    Only lm-eval built-ins: the `json` data set builder, a Jinja prompt, and the registered
    `chrf` (chrF2) and `bleu` metrics. Returns `folder`, to pass as `--include_path`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    src = (flores / "devtest" / "eng_Latn.devtest").read_text(encoding="utf-8").split("\n")[:n]
    tgt = (flores / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").split("\n")[:n]
    data = folder / f"{name}.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for s, t in zip(src, tgt, strict=True):
            fh.write(json.dumps({"src": s, "tgt": t}, ensure_ascii=False) + "\n")
    config = {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data)}},
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": PROMPT,
        "doc_to_target": "{{tgt}}",
        "target_delimiter": " ",
        "num_fewshot": 0,
        "generation_kwargs": {"until": ["\n"], "do_sample": False, "max_gen_toks": 256},
        "metric_list": [
            {"metric": "chrf", "aggregation": "chrf", "higher_is_better": True},
            {"metric": "bleu", "aggregation": "bleu", "higher_is_better": True},
        ],
        "metadata": {"version": 1.0},
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder


def lm_eval_command(
    model: str,
    include_path: Path,
    output_path: Path,
    batch_size: int,
    device: str,
    dtype: str,
    name: str = PLAIN_TASK,
) -> list[str]:
    """The plain `lm_eval` CLI run of the task written by `write_plain_task`."""
    return [
        str(VENV_BIN / "lm_eval"), "--model", "hf",
        "--model_args", f"pretrained={model},dtype={dtype}",
        "--device", device,
        "--batch_size", str(batch_size),
        "--include_path", str(include_path),
        "--tasks", name,
        "--log_samples",
        "--output_path", str(output_path),
    ]  # fmt: skip


def harness_command(
    model: str, data_dir: Path, db_path: Path, limit: int, batch_size: int, device: str, dtype: str
) -> list[str]:
    """`harness eval` of the same direction on the first `limit` devtest documents."""
    return [
        str(VENV_BIN / "harness"), "eval",
        "--model", model,
        "--tasks", HARNESS_TASK,
        "--limit", str(limit),
        "--data-dir", str(data_dir),
        "--db", f"sqlite:///{db_path}",
        "--json",
        "--batch-size", str(batch_size),
        "--device", device,
        "--dtype", dtype,
    ]  # fmt: skip


def run(
    cmd: list[str], cwd: Path = PROJECT_ROOT, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run a command offline; raise with its output tail when it fails."""
    proc = subprocess.run(cmd, cwd=cwd, env=offline_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n"
            f"--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


@dataclass
class Sample:
    doc_id: int
    prompt: str
    target: str
    output: str
    raw_output: str = ""


def read_lm_eval(output_path: Path, name: str = PLAIN_TASK) -> tuple[dict[str, Any], list[Sample]]:
    """lm-eval's results for the task (`{"chrf": .., "bleu": ..}`) and its logged samples by doc_id.

    lm-eval nests both under output_path/<sanitized model name>/results_<date>.json and
    samples_<task>_<date>.jsonl; there must be exactly one of each.
    """
    results_files = sorted(output_path.rglob("results_*.json"))
    samples_files = sorted(output_path.rglob(f"samples_{name}_*.jsonl"))
    if len(results_files) != 1 or len(samples_files) != 1:
        raise RuntimeError(
            f"expected one results and one samples file under {output_path}, "
            f"found {results_files} and {samples_files}"
        )
    task_results = json.loads(results_files[0].read_text(encoding="utf-8"))["results"][name]
    metrics = {key.split(",")[0]: value for key, value in task_results.items() if key.endswith(",none")}
    samples = []
    for line in samples_files[0].read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        s = json.loads(line)
        raw = s["filtered_resps"][0]
        samples.append(
            Sample(
                doc_id=int(s["doc_id"]),
                prompt=s["arguments"]["gen_args_0"]["arg_0"],
                target=s["target"],
                output=raw.strip(),
                raw_output=raw,
            )
        )
    return metrics, sorted(samples, key=lambda x: x.doc_id)


def read_harness(db_path: Path, run_id: str, task: str = HARNESS_TASK) -> list[Sample]:
    """The samples `harness eval` stored for one run and task, by doc_id."""
    query = "SELECT doc_id, prompt, target, output FROM samples WHERE run_id = ? AND task = ? ORDER BY doc_id"
    with closing(sqlite3.connect(db_path)) as con:
        rows = con.execute(query, (run_id, task)).fetchall()
    return [Sample(doc_id=r[0], prompt=r[1], target=r[2], output=r[3], raw_output=r[3]) for r in rows]


def harness_results(stdout: str) -> tuple[str, dict[str, float | None]]:
    """run_id and {metric: value} from `harness eval --json` stdout (one indented JSON object)."""
    lines = stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    payload = json.loads("\n".join(lines[start:]))
    return payload["run_id"], {
        r["metric"]: r["value"] for r in payload["results"] if r["task"] == HARNESS_TASK
    }


def chrf2(samples: list[Sample]) -> float:
    import sacrebleu

    return sacrebleu.CHRF().corpus_score([s.output for s in samples], [[s.target for s in samples]]).score


def bleu(samples: list[Sample]) -> float:
    import sacrebleu

    return sacrebleu.BLEU().corpus_score([s.output for s in samples], [[s.target for s in samples]]).score


@dataclass
class Comparison:
    n: int
    same_outputs: int
    output_diffs: list[int]
    prompt_diffs: list[int]
    target_diffs: list[int]

    @property
    def identical(self) -> bool:
        return not (self.output_diffs or self.prompt_diffs or self.target_diffs)


def compare(lm: list[Sample], ours: list[Sample]) -> Comparison:
    """Document-by-document comparison; both lists must cover the same doc_ids."""
    if [s.doc_id for s in lm] != [s.doc_id for s in ours]:
        raise AssertionError(
            f"doc_ids differ: lm-eval {[s.doc_id for s in lm]}, harness {[s.doc_id for s in ours]}"
        )
    pairs = list(zip(lm, ours, strict=True))
    output_diffs = [a.doc_id for a, b in pairs if a.output != b.output]
    return Comparison(
        n=len(pairs),
        same_outputs=len(pairs) - len(output_diffs),
        output_diffs=output_diffs,
        prompt_diffs=[a.doc_id for a, b in pairs if a.prompt != b.prompt],
        target_diffs=[a.doc_id for a, b in pairs if a.target != b.target],
    )


def lm_eval_builtin(
    relative_yaml: str,
    task: str,
    data_files: dict[str, str],
    loader: str = "json",
    num_fewshot: int = 0,
    **loader_kwargs: Any,
) -> dict[str, Any]:
    """lm-eval's shipped task config (`lm_eval/tasks/<relative_yaml>`, includes resolved), renamed to
    `task`, its hub dataset replaced by local files, `num_fewshot`-shot (0 by default)."""
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    config = load_yaml(Path(lm_eval.__file__).parent / "tasks" / relative_yaml)
    config.update(
        task=task,
        dataset_path=loader,
        dataset_name=None,
        dataset_kwargs={"data_files": data_files, **loader_kwargs},
        training_split=None,
        num_fewshot=num_fewshot,
    )
    for metric in config.get("metric_list", []):
        metric.pop("hf_evaluate", None)  # it would fetch HF evaluate's f1 from the hub; unused for choices
    config.pop("tag", None)
    return config


def choice_loglikelihoods(output: dict[str, Any], task: str) -> dict[str, list[float]]:
    """Each logged document's per-choice loglikelihoods, by document hash."""
    return {s["doc_hash"]: [r[0][0] for r in s["resps"]] for s in output["samples"][task]}


def agieval_hub_rows(official: Path, subject: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The rows of lm-eval's hub datasets `hails/agieval-gaokao-<subject>` (query/choices/gold, or
    query/answer for mathcloze), written down from AGIEval's zero-shot prompt independently of
    tasks/agieval, from the first `limit` official rows."""
    out = []
    for line in official.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        passage = row["passage"] or ""
        if subject == "mathcloze":
            out.append({"query": passage + "问题：" + row["question"] + "\n答案：", "answer": row["answer"]})
            continue
        if subject == "english":
            head, tail = "Q: ", " Answer Choices: "
            end = "\nA: Among A through D, the answer is"
        else:
            head, tail, end = "问题：", " 选项：", "\n答案：从A到D, 我们应选择"
        labels = row["label"] if isinstance(row["label"], list) else [row["label"]]
        out.append(
            {
                "query": passage + head + row["question"] + tail + " ".join(row["options"]) + end,
                "choices": row["options"],
                "gold": [ord(label) - ord("A") for label in labels],
            }
        )
    return out
