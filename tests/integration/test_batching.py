"""Batching across tasks (`harness.engine.batching`): chunks of real tasks built from the real data, the
zero-shot build leaving lm-eval's prompts unchanged, the stop-string check of greedy generation,
and one `harness eval` over two families in one chunk matching a run of one task at a time."""

import json
import sqlite3
from pathlib import Path

from tests.conftest import need_shared_data, run_harness


def _config(tasks: list[str], limit: int | None, num_fewshot: int | None = None):  # type: ignore[no-untyped-def]
    from harness.engine.specs import EvalConfig

    return EvalConfig(
        model="unused", tasks=tasks, limit=limit, num_fewshot=num_fewshot, data_dir=str(need_shared_data())
    )


def test_chunks_follow_the_document_budget() -> None:
    from harness.engine.batching import chunks
    from harness.engine.run import prepare_tasks

    config = _config(["flores_lin", "kobest_copa"], limit=3)
    prepared = prepare_tasks(config)
    together = list(chunks(prepared.tasks, prepared.roots, config, prepared.options))
    assert [[b.name for b in c] for c in together] == [[n for n, _ in prepared.tasks]]
    assert [b.documents for b in together[0]] == [3, 3, 3]
    alone = list(chunks(prepared.tasks, prepared.roots, config, prepared.options, budget=5))
    assert [len(c) for c in alone] == [1, 1, 1]
    pairs = list(chunks(prepared.tasks, prepared.roots, config, prepared.options, budget=6))
    assert [len(c) for c in pairs] == [2, 1]
    whole = _config(["kobest_copa"], limit=None)
    prepared = prepare_tasks(whole)
    [[built]] = list(chunks(prepared.tasks, prepared.roots, whole, prepared.options))
    assert built.documents == 1000  # KoBEST COPA test


def test_zero_shot_build_keeps_lm_eval_prompts() -> None:
    """The task built without its few-shot split renders the same prompts as lm-eval's own build of
    the family's config; with shots asked for, the split stays."""
    from lm_eval.tasks import TaskManager

    from harness.engine.batching import build_task
    from harness.engine.run import prepare_tasks

    for tasks, shots in ((["xnli_en", "flores_eng_Latn-lin_Latn"], None), (["ceval_computer_network"], 2)):
        config = _config(tasks, limit=2, num_fewshot=shots)
        prepared = prepare_tasks(config)
        for name, fam in prepared.tasks:
            root = prepared.roots[fam.data_set]
            ours = build_task(
                name, fam, root, config, prepared.options, TaskManager(include_defaults=False)
            ).task
            plain = fam.lm_eval_config(name, root, prepared.options)
            if shots is not None:
                plain["num_fewshot"] = shots
            theirs = TaskManager(include_defaults=False).load([plain])["tasks"][name]
            assert (ours.config.fewshot_split is None) == (shots is None)
            if name.startswith("flores_"):  # its loader takes `splits`: the scored one alone
                assert list(ours.dataset) == ["devtest"] and list(theirs.dataset) == ["dev", "devtest"]
            for task in (ours, theirs):
                task.set_fewshot_seed(1234)
            for doc in list(theirs.eval_docs)[:2]:
                k = shots or 0
                assert ours.fewshot_context(doc, k) == theirs.fewshot_context(doc, k)


def test_stop_check_reads_the_newest_token_then_the_tail_then_the_whole_text(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    from harness.engine.backends.greedy import StopCheck

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    calls: list[int] = []

    def decode(ids: list[int]) -> str:
        calls.append(len(ids))
        return str(tokenizer.decode(ids))

    ids = tokenizer("a long first line of text without a stop", add_special_tokens=False)["input_ids"]
    newline = tokenizer("\n", add_special_tokens=False)["input_ids"]
    stopped = StopCheck(["\n"], decode)
    assert not stopped(ids)
    assert stopped(ids + newline)
    assert max(calls) == len(ids + newline)  # confirmed on the whole row
    calls.clear()
    assert not stopped(ids + newline + ids)  # newest token lacks "\n": nothing decoded but itself
    assert calls in ([], [1])
    # A stop far back in a long row, next to a newest token ending in the stop's last character:
    # the tail no longer shows the first one, the row runs on (lm-eval cuts the answer there).
    assert not StopCheck(["\nX"], tokenizer.decode)(tokenizer("\nX" + "a" * 40 + "X")["input_ids"])
    assert not StopCheck([], decode)(ids)
    # "。" is three byte tokens here, each alone decoded to U+FFFD: a stop ending in a non-ASCII
    # character is looked for after such tokens, an ASCII stop is not (its byte shows by itself).
    split = tokenizer("x。", add_special_tokens=False)["input_ids"]
    assert [tokenizer.decode([i]) for i in split[1:]] == ["\ufffd"] * 3
    assert not StopCheck(["。"], tokenizer.decode)(split[:-1])
    assert StopCheck(["。"], tokenizer.decode)(split)
    calls.clear()
    assert not StopCheck(["\n"], decode)(split)
    assert calls == [1]  # the newest token alone


def test_one_chunk_of_two_families_matches_one_task_at_a_time(tiny_model: Path, tmp_path: Path) -> None:
    """`harness eval` over FLORES and XNLI tasks in one evaluator call stores the same samples as
    separate runs of one task each."""
    data = need_shared_data()
    names = ["flores_eng_Latn-lin_Latn", "xnli_en", "flores_lin_Latn-eng_Latn"]
    common = ["--model", str(tiny_model), "--limit", "3", "--data-dir", str(data), "--no-cache", "--json"]
    together = tmp_path / "together.db"
    run_harness("eval", "--tasks", ",".join(names), "--db", f"sqlite:///{together}", *common, check=True)
    alone = tmp_path / "alone.db"
    for name in names:
        run_harness("eval", "--tasks", name, "--db", f"sqlite:///{alone}", *common, check=True)

    def samples(db: Path) -> dict[tuple[str, int], tuple[str, str, dict[str, object]]]:
        rows = sqlite3.connect(db).execute("SELECT task, doc_id, prompt, output, scores FROM samples")
        return {(t, d): (p, o, json.loads(s)) for t, d, p, o, s in rows}

    ours, theirs = samples(together), samples(alone)
    assert len(ours) == 9 and ours.keys() == theirs.keys()
    for key, (prompt, output, scores) in ours.items():
        assert (prompt, output) == theirs[key][:2], key
        for metric, value in scores.items():
            other = theirs[key][2][metric]
            if isinstance(value, list):
                assert all(abs(a - b) < 1e-5 for a, b in zip(value, other, strict=True)), (key, metric)
            elif isinstance(value, float):
                assert abs(value - other) < 1e-5, (key, metric)  # type: ignore[operator]
            else:
                assert value == other, (key, metric)
