"""`harness compare` on real runs of two tiny models through `harness eval` into SQLite: the candidate's
manifest names the base as its parent and Lingala as its recipe's target. Bits per byte is checked
against a forward pass written here with transformers (BOS as the context of the whole sentence)."""

import json
import math
from pathlib import Path

import pytest

from tests.conftest import need_shared_data, run_harness
from tests.tiny_model import build_tiny_model

LIMIT = 12
BPB = "bpb_lin_Latn,bpb_eng_Latn,bpb_kor_Hang"
MT = "flores_eng_Latn-lin_Latn"


def _bits_per_byte(model_dir: Path, sentences: list[str]) -> float:
    """-sum log2 p(sentence | BOS) / UTF-8 bytes, summed over sentences before dividing."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    nats = 0.0
    for text in sentences:
        ids = [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False).input_ids]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, :-1].double()
        nats -= float(torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None]).sum())
    return nats / math.log(2) / sum(len(s.encode("utf-8")) for s in sentences)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    data = need_shared_data()
    root = tmp_path_factory.mktemp("compare")
    base = build_tiny_model(root / "base")
    candidate = build_tiny_model(root / "adapted" / "checkpoint-5", seed=1)
    manifest = {
        "model_name": "tiny-adapted",
        "step": 5,
        "parent": str(base),
        "recipe": {"name": "cpt", "target_languages": ["lin_Latn"]},
    }
    (candidate / "harness_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    db = f"sqlite:///{root / 'results.db'}"
    common = ["--limit", str(LIMIT), "--data-dir", str(data), "--db", db]
    for model, name in ((base, ["--model-name", "tiny-base"]), (candidate, [])):
        # Two runs per side: compare takes each task's newest complete result on the checkpoint.
        run_harness(
            "eval", "--model", str(model), *name, "--tasks", BPB, "--split", "dev", *common, check=True
        )
        run_harness("eval", "--model", str(model), *name, "--tasks", MT, *common, check=True)
    return db, base, candidate


def test_json_names_targets_and_matches_an_independent_bits_per_byte(runs: tuple[str, Path, Path]) -> None:
    db, base, candidate = runs
    result = run_harness("compare", "tiny-base", "tiny-adapted", "--format", "json", "--db", db, check=True)
    report = json.loads(result.stdout)
    assert (report["base"], report["candidate"]) == ("tiny-base", "tiny-adapted@5")
    assert (report["targets"], report["targets_from"]) == (["lin_Latn"], "recipe cpt")
    assert len(report["base_runs"]) == len(report["candidate_runs"]) == 2
    changes = {c["task"]: c for c in report["changes"]}
    assert sorted(changes) == sorted([*BPB.split(","), MT])
    assert [c["task"] for c in report["changes"]][:2] == ["bpb_lin_Latn", MT]  # targets first

    lines = (need_shared_data() / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8")
    sentences = lines.splitlines()[:LIMIT]
    lin = changes["bpb_lin_Latn"]
    expected_base, expected_candidate = _bits_per_byte(base, sentences), _bits_per_byte(candidate, sentences)
    assert lin["base"] == pytest.approx(expected_base, rel=1e-5)
    assert lin["candidate"] == pytest.approx(expected_candidate, rel=1e-5)
    assert lin["delta"] == pytest.approx(expected_candidate - expected_base, abs=1e-5)
    assert lin["gain"] == -lin["delta"] and lin["higher_is_better"] is False and lin["n"] == LIMIT
    assert lin["low"] <= lin["delta"] <= lin["high"]

    mt = changes[MT]
    assert mt["metric"] == "chrf++" and mt["higher_is_better"] and mt["gain"] == mt["delta"]
    assert mt["language"] == "lin_Latn" and mt["target"]
    for change in report["changes"]:
        assert change["p"] <= change["p_holm"] <= 1
        assert change["significant"] == (change["verdict"] in ("better", "worse"))
    assert set(report["forgetting"]) <= {"eng_Latn", "kor_Hang"}
    assert set(report["gains"]) <= {"lin_Latn"}
    bpb = next(s for s in report["summaries"] if s["metric"] == "bits_per_byte")
    assert (bpb["targets"], bpb["rest"]) == (1, 2)
    assert bpb["mean_gain_targets"] == pytest.approx(lin["gain"])
    rest = [changes[t]["gain"] for t in ("bpb_eng_Latn", "bpb_kor_Hang")]
    assert bpb["mean_change_rest"] == pytest.approx(sum(rest) / 2)

    alone = json.loads(
        run_harness("compare", "tiny-adapted", "--format", "json", "--db", db, check=True).stdout
    )
    assert alone["changes"] == report["changes"] and alone["base"] == "tiny-base"


def test_text_table_and_summary(runs: tuple[str, Path, Path]) -> None:
    db, _, _ = runs
    result = run_harness(
        "compare", "tiny-base", "tiny-adapted", "--targets", "lin,kor", "--db", db, check=True
    )
    out = " ".join(result.stdout.split())
    assert "Targets: lin_Latn, kor_Hang (from --targets)" in out
    assert "lin_Latn (Lingala) [target]" in out and "kor_Hang (Korean) [target]" in out
    assert "bits_per_byte (lower is better)" in out
    assert "mean gain on targets" in out and "Forgetting (significantly worse, not a target):" in out
    # Bits per byte is shown as stored (3 decimals), never x100 like a fraction.
    report = json.loads(
        run_harness("compare", "tiny-base", "tiny-adapted", "--format", "json", "--db", db).stdout
    )
    lin = next(c for c in report["changes"] if c["task"] == "bpb_lin_Latn")
    assert f"{lin['base']:.3f}" in out and f"{lin['delta']:+.3f}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tiny-base", "nobody"), "'nobody' is neither a run id nor a model"),
        (("tiny-base", "tiny-adapted@x"), "the step after @ must be a whole number"),
        (("tiny-base", "tiny-adapted", "--targets", "lingala"), "--targets: 'lingala' is not a FLORES-200"),
        (("tiny-base",), "tiny-base has no parent in its lineage"),
    ],
)
def test_bad_references_exit_2(runs: tuple[str, Path, Path], args: tuple[str, ...], message: str) -> None:
    result = run_harness("compare", *args, "--db", runs[0])
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
