"""Recipe files: validated with extra="forbid", so a typo is an error naming the file and field."""

from pathlib import Path

import pytest

from adapters.cli import RECIPES
from adapters.recipes import CptRecipe, load_recipe
from core.errors import HarnessError
from tests.conftest import ROOT, run_harness

GOOD = """\
recipe: cpt
base_model: some/model
data:
  - kind: text
    paths: [lin.txt]
    weight: 1
training:
  max_steps: 10
  save_every: 5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_recipe_validates(tmp_path: Path) -> None:
    recipe = load_recipe(_write(tmp_path, GOOD))
    assert isinstance(recipe, CptRecipe)
    assert (recipe.training.max_steps, recipe.training.learning_rate, recipe.data[0].paths) == (
        10,
        1e-4,
        ["lin.txt"],
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("  save_every: 5", "  save_every: 5\n  learnig_rate: 0.1"), "training.learnig_rate: unknown field"),
        (("recipe: cpt", "recipe: cpt\nseeed: 3"), "seeed: unknown field"),
        (("    weight: 1", "    weight: 1\n    wieght: 2"), "data.0.wieght: unknown field"),
        (("recipe: cpt", "recipe: cptt"), "recipe: Input tag 'cptt' found using 'recipe' does not match"),
        (("  max_steps: 10", "  max_steps: ten"), "training.max_steps: Input should be a valid integer"),
        (("  save_every: 5", "  save_every: 5\neval_every: 7\neval_tasks: [flores_lin]"), "multiple of"),
    ],
)
def test_a_typo_is_an_error_naming_file_and_field(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(HarnessError) as info:
        load_recipe(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_cli_exits_2_on_a_typo(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("  save_every: 5", "  save_every: 5\n  learnig_rate: 0.1"))
    result = run_harness("adapt", str(path), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"{path}: training.learnig_rate: unknown field" in " ".join(result.stderr.split())
    assert not (tmp_path / "out").exists()


def test_examples_and_configs_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import yaml

    monkeypatch.setenv("HARNESS_DATA_DIR", "/data")
    examples = sorted((ROOT / "adapters" / "examples").glob("*.yaml"))
    kinds = {load_recipe(path).recipe for path in examples}
    assert kinds == set(RECIPES)  # every example loads, and every recipe has one
    configs = sorted((ROOT / "adapters" / "configs").iterdir())
    assert len(configs) == 7
    for path in configs:
        loaded = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
        assert isinstance(loaded, dict) and loaded, path
