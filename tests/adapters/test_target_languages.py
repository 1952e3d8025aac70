"""Recipes declare their target languages; every manifest records them; with `eval_every` and no
`eval_tasks` each evaluated checkpoint gets the default bits-per-byte check on FLORES-200 dev, which
`harness compare MODEL` then splits into the targets and the rest."""

import json
from pathlib import Path

import pytest

from adapters.recipes import CHECK_LANGUAGES, CHECK_LIMIT, load_recipe
from core.errors import HarnessError
from tests.adapters.helpers import checkpoints
from tests.conftest import ROOT, need_shared_data, run_harness

RECIPE = """\
recipe: cpt
base_model: some/model
target_languages: [lin_Latn]
data: [{kind: text, paths: [lin.txt], weight: 1}]
training: {max_steps: 4, save_every: 2}
eval_every: 2
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def test_default_check_is_bits_per_byte_on_dev_for_targets_english_and_eight_more(tmp_path: Path) -> None:
    recipe = _load(tmp_path, RECIPE)
    tasks, limit, split = recipe.eval_plan()  # type: ignore[attr-defined]
    assert tasks[0] == "bpb_lin_Latn" and tasks[1] == "bpb_eng_Latn"
    assert tasks == [f"bpb_{c}" for c in ("lin_Latn", *CHECK_LANGUAGES)]
    assert len(CHECK_LANGUAGES) == 9 and len({c.split("_")[1] for c in CHECK_LANGUAGES}) >= 6
    assert (limit, split) == (CHECK_LIMIT, "dev")
    own = _load(tmp_path, RECIPE + "eval_tasks: [flores_lin]\neval_limit: 5\n")
    assert own.eval_plan() == (["flores_lin"], 5, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "[lingala]",
            "target_languages: Value error, not FLORES-200 language codes (such as lin_Latn): lingala",
        ),
        ("[lin_Latn, lin_Latn]", "target_languages: Value error, a language is named twice"),
    ],
)
def test_target_languages_are_flores_codes(tmp_path: Path, edit: str, message: str) -> None:
    text = RECIPE.replace("[lin_Latn]", edit)
    with pytest.raises(HarnessError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(tmp_path, text)


def test_lingala_examples_declare_lingala(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DATA_DIR", "/data")
    examples = sorted((ROOT / "adapters" / "examples").glob("*lingala*.yaml"))
    assert len(examples) == 7
    assert all(load_recipe(path).target_languages == ["lin_Latn"] for path in examples)


def test_adapt_records_targets_and_runs_the_default_check(tiny_model: Path, tmp_path: Path) -> None:
    data = need_shared_data()
    limit = 3
    tasks = ",".join(f"bpb_{c}" for c in ("lin_Latn", *CHECK_LANGUAGES))
    base = ["eval", "--model", str(tiny_model), "--model-name", "tiny-base", "--tasks", tasks]
    run_harness(*base, "--split", "dev", "--limit", str(limit), "--data-dir", str(data), check=True)
    recipe = tmp_path / "cpt.yaml"
    recipe.write_text(
        f"""\
recipe: cpt
base_model: {tiny_model}
target_languages: [lin_Latn]
data: [{{kind: text, paths: ["{data}/flores200/devtest/lin_Latn.devtest"], weight: 1}}]
training: {{max_steps: 2, save_every: 1, batch_size: 2, seq_length: 32}}
eval_every: 2
eval_limit: {limit}
eval_batch_size: 2
eval_data_dir: {data}
""",
        encoding="utf-8",
    )
    out = tmp_path / "tiny-lin"
    result = run_harness("adapt", str(recipe), "--output", str(out), check=True)
    manifest = json.loads((out / "checkpoint-2" / "harness_manifest.json").read_text(encoding="utf-8"))
    assert manifest["recipe"]["target_languages"] == ["lin_Latn"]
    registered = {c["source"]: c for c in checkpoints("tiny-lin")}
    assert registered[str(out / "checkpoint-2")]["recipe"]["target_languages"] == ["lin_Latn"]
    assert registered[str(out / "checkpoint-2")]["runs"] == ["complete"]
    log = " ".join(result.stderr.split())
    assert "bpb_lin_Latn bits_per_byte" in log
    # Each check is compared with the base at once: gain on the targets, change on the rest.
    assert "compared against tiny-base:" in log
    assert "bits_per_byte (lower is better; gain: positive is better): mean gain on targets" in log
    assert "(1 task(s)), mean change on the rest" in log and "(9 task(s))" in log
    assert "Forgetting (significantly worse, not a target):" in log

    report = json.loads(run_harness("compare", "tiny-lin", "--format", "json", check=True).stdout)
    assert (report["base"], report["candidate"]) == ("tiny-base", "tiny-lin@2")
    assert (report["targets"], report["targets_from"]) == (["lin_Latn"], "recipe cpt")
    assert report["skipped"] == []
    changes = report["changes"]
    assert [c["task"] for c in changes][0] == "bpb_lin_Latn" and changes[0]["target"]
    assert len(changes) == 10 and all(c["n"] == limit and c["metric"] == "bits_per_byte" for c in changes)
