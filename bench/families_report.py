"""Every task family on about N items with one model, next to lm-eval's own built-in tasks.

    .venv/bin/python bench/families_report.py [--model smollm2-135m] [--items 100] [--only xnli,kobest]

Each family runs through `harness eval` (the CLI, as a user runs it) on the first items of its
tasks: a family of k tasks gets `ceil(items / k)` documents per task. Where lm-eval ships the task
(XNLI, AfriXNLI, KoBEST, C-Eval, AGIEval Gaokao), lm-eval's own YAML is then run in one process
on the same checkpoint, the same local rows and the same few-shot count, and the accuracies are
printed side by side with the number of documents whose correctness differs. Where lm-eval has a
group for the family (its `kobest`, `ceval-valid` and `xnli` group YAMLs; for AfriXNLI, whose only
lm-eval group spans five prompts, lm-eval's own group aggregation with the `afrixnli-irokobench`
rule over the same prompt-1 tasks), lm-eval also computes the group row, printed next to ours.
Families lm-eval does not have (GAOKAO-Bench points, IF-MT terminology) are reported on their own.

Writes the table to stdout and everything to `--out` (JSON). Exits 1 when an accuracy differs.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.parity_helpers`

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import closing  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from tests.parity_helpers import PROJECT_ROOT, VENV_BIN, agieval_hub_rows, lm_eval_builtin, run  # noqa: E402

KOBEST = ("boolq", "copa", "hellaswag", "sentineg", "wic")
CEVAL_GROUPS = ("ceval", "ceval_stem", "ceval_social_science", "ceval_humanities", "ceval_other")
AGIEVAL = (
    "chinese",
    "english",
    "geography",
    "history",
    "biology",
    "chemistry",
    "physics",
    "mathqa",
    "mathcloze",
)


@dataclass
class Family:
    name: str
    tasks: list[str]
    """Concrete harness task names."""
    split: str | None = None
    reference: Callable[[Path, str, int, Path], dict[str, Any]] | None = None
    """(data root, harness task, limit, scratch dir) -> lm-eval's built-in config for the same rows."""
    num_fewshot: int = 0
    metrics: tuple[str, ...] = ("acc",)
    groups: tuple[str, ...] = ()
    """Groups also asked for, so that `harness eval` reports their scores (see `harness.engine.groups`)."""
    lm_eval_group: str = ""
    """lm-eval's group YAML whose `aggregate_metric_list` makes lm-eval's group row."""
    group_metrics: tuple[tuple[str, str], ...] = ()
    """(our group metric, lm-eval's group metric) pairs that must be equal."""
    extra: dict[str, Any] = field(default_factory=dict)


def _xnli(data: Path, task: str, limit: int, tmp: Path) -> dict[str, Any]:
    lang = task.removeprefix("xnli_")
    files = {"validation": str(data / "xnli" / lang / "validation.jsonl")}
    return lm_eval_builtin(f"xnli/xnli_{lang}.yaml", f"lm_eval_{task}", files)


def _afrixnli(data: Path, task: str, limit: int, tmp: Path) -> dict[str, Any]:
    lang = task.removeprefix("afrixnli_")
    folder = data / "afrixnli" / lang
    files = {"test": str(folder / "test.jsonl"), "validation": str(folder / "validation.jsonl")}
    return lm_eval_builtin(f"afrixnli/direct/prompt_1/afrixnli_{lang}.yaml", f"lm_eval_{task}", files)


def _kobest(data: Path, task: str, limit: int, tmp: Path) -> dict[str, Any]:
    sub = task.removeprefix("kobest_")
    folder = data / "kobest" / sub
    files = {"test": str(folder / "test.jsonl"), "validation": str(folder / "validation.jsonl")}
    return lm_eval_builtin(f"kobest/kobest_{sub}.yaml", f"lm_eval_{task}", files)


def _ceval(data: Path, task: str, limit: int, tmp: Path) -> dict[str, Any]:
    subject = task.removeprefix("ceval_")
    files = {
        "val": str(data / "ceval" / "val" / f"{subject}_val.csv"),
        "dev": str(data / "ceval" / "dev" / f"{subject}_dev.csv"),
    }
    columns = ["id", "question", "A", "B", "C", "D", "answer"]
    yaml = f"ceval/ceval-valid_{subject}.yaml"
    return lm_eval_builtin(yaml, f"lm_eval_{task}", files, loader="csv", num_fewshot=5, usecols=columns)


def _agieval(data: Path, task: str, limit: int, tmp: Path) -> dict[str, Any]:
    subject = task.removeprefix("agieval_gaokao_")
    rows = agieval_hub_rows(data / "agieval" / "v1" / f"gaokao-{subject}.jsonl", subject, limit)
    path = tmp / f"gaokao-{subject}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return lm_eval_builtin(f"agieval/gaokao-{subject}.yaml", f"lm_eval_{task}", {"test": str(path)})


def families(data: Path) -> list[Family]:
    from tasks import registry

    def members(group: str) -> list[str]:
        fam = registry.family_of_name(group)
        assert fam is not None, group
        return fam.groups(data / fam.data_set if fam.discovered else None)[group]

    out = [
        Family(
            "xnli",
            members("xnli"),
            split="validation",
            reference=_xnli,
            groups=("xnli",),
            lm_eval_group="xnli/_xnli.yaml",
            group_metrics=(("acc", "acc"),),
        ),
        Family(
            "afrixnli",
            members("afrixnli"),
            split="test",
            reference=_afrixnli,
            groups=("afrixnli",),
            lm_eval_group="afrixnli/direct/afrixnli.yaml",
            group_metrics=(("acc", "acc"),),
        ),
        Family(
            "kobest",
            [f"kobest_{t}" for t in KOBEST],
            reference=_kobest,
            metrics=("acc", "f1"),
            groups=("kobest",),
            lm_eval_group="kobest/_kobest.yaml",
            group_metrics=(("acc", "acc"), ("f1", "f1"), ("acc_norm", "acc_norm")),
        ),
        Family(
            "ceval",
            members("ceval"),
            reference=_ceval,
            num_fewshot=5,
            groups=CEVAL_GROUPS,
            lm_eval_group="ceval/_ceval-valid.yaml",
            group_metrics=(("acc_size_weighted", "acc"),),
        ),
        Family("agieval", [f"agieval_gaokao_{s}" for s in AGIEVAL], reference=_agieval),
    ]
    if "gaokao" in registry.FAMILIES:
        gaokao = members("gaokao")
        metrics = ("acc", "points", "points_available")
        out.append(Family("gaokao", gaokao, metrics=metrics, groups=("gaokao", "gaokao_english")))
    if "ifmt" in registry.FAMILIES:
        terms = ["ifmt_terms_en-de_iate", "ifmt_terms_en-de_wikt"]
        out.append(Family("ifmt", terms, metrics=("term_usage", "chrf++")))
    return out


def run_harness(fam: Family, model: str, limit: int, data: Path, db: Path) -> dict[str, Any]:
    cmd = [
        str(VENV_BIN / "harness"), "eval", "--model", model, "--tasks", ",".join([*fam.tasks, *fam.groups]),
        "--limit", str(limit), "--data-dir", str(data), "--db", f"sqlite:///{db}", "--json",
        "--batch-size", "8", "--device", "cpu", "--dtype", "float32",
    ]  # fmt: skip
    if fam.split:
        cmd += ["--split", fam.split]
    started = time.monotonic()
    proc = run(cmd)
    lines = proc.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    payload = json.loads("\n".join(lines[start:]))
    payload["seconds"] = time.monotonic() - started
    return payload


def harness_correct(db: Path, run_id: str, task: str) -> dict[int, float]:
    query = "SELECT doc_id, scores FROM samples WHERE run_id = ? AND task = ?"
    with closing(sqlite3.connect(db)) as con:
        return {d: float(json.loads(s)["acc"]) for d, s in con.execute(query, (run_id, task))}


def lm_eval_group(fam: Family, configs: list[dict[str, Any]]) -> Any:
    """lm-eval's Group over the task configs, aggregating as lm-eval's own group YAML says. Built here
    as objects: lm-eval 0.4.13's loader passes an inline group's own keys on to its member tasks."""
    import lm_eval
    from lm_eval.api.group import Group, GroupConfig
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    shipped = load_yaml(Path(lm_eval.__file__).parent / "tasks" / fam.lm_eval_group)
    members = [{k: v for k, v in c.items() if k != "group"} for c in configs]
    group = Group.from_config(
        GroupConfig(
            group=f"lm_eval_{fam.name}",
            task=[m["task"] for m in members],
            aggregate_metric_list=shipped["aggregate_metric_list"],
            metadata={},
        )
    )
    for member in members:
        group.add(ConfigurableTask(config=member))
    return group


def by_task(section: dict[str, Any], task: str) -> Any:
    """lm-eval's entry for `task`, also when a group namespaced it (`group::task`)."""
    if task in section:
        return section[task]
    [key] = [k for k in section if k.endswith(f"::{task}")]
    return section[key]


def run_lm_eval(configs: list[Any], pretrained: str, limit: int) -> dict[str, Any]:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=pretrained, device="cpu", dtype="float32", batch_size=8)
    output = simple_evaluate(
        model=lm,
        tasks=configs,
        limit=limit,
        log_samples=True,
        bootstrap_iters=0,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m", help="alias, checkpoint folder or hub id")
    parser.add_argument("--items", type=int, default=100, help="documents per family (split over its tasks)")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default="", help="comma-separated families (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="write the full report here as JSON")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

    from harness.engine.models import resolve_model

    pretrained = resolve_model(args.model).pretrained
    chosen = [f for f in families(args.data_dir) if not args.only or f.name in args.only.split(",")]
    report: dict[str, Any] = {"model": args.model, "items": args.items, "families": {}}
    mismatch = False
    with tempfile.TemporaryDirectory(prefix="families_report_") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "results.db"
        for fam in chosen:
            limit = math.ceil(args.items / len(fam.tasks))
            print(f"== {fam.name}: {len(fam.tasks)} tasks x {limit} documents", flush=True)
            ours = run_harness(fam, args.model, limit, args.data_dir, db)
            values: dict[tuple[str, str], float | None] = {
                (r["task"], r["metric"]): r["value"] for r in ours["results"]
            }
            entry: dict[str, Any] = {"tasks": fam.tasks, "limit": limit, "harness_seconds": ours["seconds"]}
            rows = []
            if fam.reference is not None:
                configs = [fam.reference(args.data_dir, t, limit, tmp) for t in fam.tasks]
                for config in configs:
                    config["num_fewshot"] = fam.num_fewshot
                started = time.monotonic()
                specs = [lm_eval_group(fam, configs)] if fam.lm_eval_group else configs
                theirs = run_lm_eval(specs, pretrained, limit)
                entry["lm_eval_seconds"] = time.monotonic() - started
                for task in fam.tasks:
                    ref = f"lm_eval_{task}"
                    mine = harness_correct(db, ours["run_id"], task)
                    their = {int(s["doc_id"]): float(s["acc"]) for s in by_task(theirs["samples"], ref)}
                    differ = sum(1 for d in mine if mine[d] != their.get(d))
                    lm_acc = float(by_task(theirs["results"], ref)["acc,none"])
                    rows.append(
                        {
                            "task": task,
                            "n": len(mine),
                            "acc": values[(task, "acc")],
                            "lm_eval_acc": lm_acc,
                            "docs_differ": differ,
                        }  # fmt: skip
                    )
                    mismatch |= differ > 0 or abs((values[(task, "acc")] or 0.0) - lm_acc) > 1e-9
            else:
                for task in fam.tasks:
                    rows.append({"task": task, **{m: values.get((task, m)) for m in fam.metrics}})
            entry["rows"] = rows
            if fam.lm_eval_group:
                group_rows = []
                ours_by_metric = {g["metric"]: g for g in ours.get("groups", []) if g["task"] == fam.name}
                their_group = theirs["results"].get(f"lm_eval_{fam.name}", {})
                for mine_metric, their_metric in fam.group_metrics:
                    mine_value = ours_by_metric.get(mine_metric, {}).get("value")
                    their_value = their_group.get(f"{their_metric},none")
                    same = (
                        isinstance(their_value, int | float)
                        and mine_value is not None
                        and abs(mine_value - their_value) < 1e-9
                    )
                    group_rows.append(
                        {"metric": mine_metric, "harness": mine_value, "lm_eval_metric": their_metric,
                         "lm_eval": their_value, "equal": same}
                    )  # fmt: skip
                    mismatch |= not same
                entry["group_rows"] = group_rows
            entry["all_metrics"] = ours["results"]
            entry["groups"] = ours.get("groups", [])
            report["families"][fam.name] = entry
            _print_family(fam, entry)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(
        "RESULT:",
        "accuracies or group rows differ from lm-eval"
        if mismatch
        else "every accuracy and group row equals lm-eval's",
    )
    return 1 if mismatch else 0


def _print_family(fam: Family, entry: dict[str, Any]) -> None:
    rows = entry["rows"]
    if fam.reference is not None:
        n = sum(r["n"] for r in rows)
        ours = sum((r["acc"] or 0.0) * r["n"] for r in rows) / n
        theirs = sum(r["lm_eval_acc"] * r["n"] for r in rows) / n
        differ = sum(r["docs_differ"] for r in rows)
        print(f"{'task':40} {'n':>4} {'harness acc':>12} {'lm-eval acc':>12} {'docs differ':>12}")
        for r in rows:
            acc, theirs_acc = r["acc"], r["lm_eval_acc"]
            print(f"{r['task']:40} {r['n']:>4} {acc:>12.4f} {theirs_acc:>12.4f} {r['docs_differ']:>12}")
        print(f"{'(all items)':40} {n:>4} {ours:>12.4f} {theirs:>12.4f} {differ:>12}")
        print(f"time: harness {entry['harness_seconds']:.0f} s, lm-eval {entry['lm_eval_seconds']:.0f} s")
    else:
        print(f"{'task':40} " + " ".join(f"{m:>16}" for m in fam.metrics))
        for r in rows:
            cells = [r.get(m) for m in fam.metrics]
            print(f"{r['task']:40} " + " ".join(f"{'-' if v is None else f'{v:.4f}':>16}" for v in cells))
        print(f"time: harness {entry['harness_seconds']:.0f} s (lm-eval has no such task)")
    for g in entry.get("group_rows", []):
        mine = "-" if g["harness"] is None else f"{g['harness']:.6f}"
        theirs = g["lm_eval"] if isinstance(g["lm_eval"], str) else f"{g['lm_eval']:.6f}"
        print(
            f"group {fam.name:18} harness {g['metric']:>18} {mine:>10}   lm-eval {g['lm_eval_metric']:>8} "
            f"{theirs:>10}   {'equal' if g['equal'] else 'DIFFERENT'}"
        )
    for g in entry.get("groups", []):
        value = "-" if g["value"] is None else f"{g['value']:.4f}"
        print(f"group {g['task']:34} {g['metric']:>16} {value:>10}  n={g['n']}  {g['signature']}")
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
