"""SIB-200 task definitions: languages from the data, groups, the reader against FLORES-200, the
prompts (ours and lm-eval's), bad rows."""

from pathlib import Path

import pytest

from core.errors import HarnessError
from tasks import registry
from tasks.base import TaskOptions
from tasks.sib200.task import TOPICS, Sib200, Sib200Afrobench, load_sib, read_split
from tests.conftest import need_shared_data

HEADER = "index_id\tcategory\ttext\n"


def _lang(root: Path, lang: str, rows: str, labels: str | None = None) -> Path:
    (root / lang).mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test"):
        (root / lang / f"{split}.tsv").write_text(HEADER + rows, encoding="utf-8")
    if labels is not None:
        (root / "labels.txt").write_text(labels, encoding="utf-8")
    return root


def test_every_language_folder_is_a_task_and_iso_codes_group_scripts() -> None:
    root = need_shared_data() / "sib200"
    groups = Sib200().groups(root)
    assert len(groups["sib200"]) == 202 and "sib200_lin_Latn" in groups["sib200"]
    assert len(groups) == 1 + 194 and groups["sib200_lin"] == ["sib200_lin_Latn"]
    assert groups["sib200_arb"] == ["sib200_arb_Arab", "sib200_arb_Latn"]
    assert groups["sib200_zho"] == ["sib200_zho_Hans", "sib200_zho_Hant"]
    members = [t for name, tasks in groups.items() if name != "sib200" for t in tasks]
    assert sorted(members) == sorted(groups["sib200"])  # each language in exactly one ISO group
    assert not set(groups) & set(groups["sib200"])  # no group is named like a task
    assert Sib200Afrobench().groups(root) == {
        "sib200_afrobench": [t.replace("sib200_", "sib200_afrobench_") for t in groups["sib200"]]
    }


def test_languages_come_from_the_data(tmp_path: Path) -> None:
    _lang(tmp_path, "xyz_Latn", "0\ttravel\tA text.\n")
    (tmp_path / "notes").mkdir()  # a folder without test.tsv is no language
    assert Sib200().groups(tmp_path) == {"sib200": ["sib200_xyz_Latn"], "sib200_xyz": ["sib200_xyz_Latn"]}
    assert Sib200().groups(None) == {"sib200": []}


def test_registry_routes_names_and_groups() -> None:
    shared = need_shared_data()

    def resolve(data_set: str) -> Path:
        return shared / data_set

    assert registry.family_of_name("sib200_lin_Latn") is registry.family("sib200")
    assert registry.family_of_name("sib200_afrobench_lin_Latn") is registry.family("sib200_afrobench")
    tasks, groups = registry.expand_with_groups(["sib200_lin", "sib200_arb"], resolve)
    assert [name for name, _ in tasks] == ["sib200_lin_Latn", "sib200_arb_Arab", "sib200_arb_Latn"]
    assert groups["sib200_arb"].rule == "macro"
    variant = registry.expand(["sib200_afrobench"], resolve)
    assert len(variant) == 202 and {fam.name for _, fam in variant} == {"sib200_afrobench"}
    with pytest.raises(HarnessError, match="did you mean sib200_lin_Latn"):
        registry.expand(["sib200_lin_Latm"], resolve)
    source, families = registry.data_sources()["sib200"]
    assert families == ["sib200", "sib200_afrobench"] and source.layout.check(shared / "sib200") == []


def test_meta_names_the_language_and_protocol() -> None:
    meta = Sib200().meta("sib200_lin_Latn")
    assert (meta.family, meta.language, meta.primary_metric) == ("sib200", "lin_Latn", "acc")
    assert "sib200-prompt-v1" in meta.protocol
    other = Sib200Afrobench().meta("sib200_afrobench_lin_Latn")
    assert (other.family, other.language) == ("sib200_afrobench", "lin_Latn")
    assert other.protocol.startswith("lm-eval afrobench sib prompt_1")


def test_reader_undoes_csv_quoting_and_every_text_is_its_flores_sentence() -> None:
    """An independent check of the reader: `index_id` is the line of FLORES-200 dev followed by
    devtest, and the text read must be that line, quotes and all (7 of lin_Latn's test texts are
    quoted in the file, with doubled inner quotes)."""
    shared = need_shared_data()
    flores = [
        *(shared / "flores200" / "dev" / "lin_Latn.dev").read_text(encoding="utf-8").splitlines(),
        *(shared / "flores200" / "devtest" / "lin_Latn.devtest").read_text(encoding="utf-8").splitlines(),
    ]
    assert len(flores) == 997 + 1012
    raw = (shared / "sib200" / "lin_Latn" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    quoted = [line for line in raw if line.split("\t")[2].startswith('"')]
    assert quoted and all('""' in line for line in quoted)
    for split, n in (("train", 701), ("dev", 99), ("test", 204)):
        rows = read_split(shared / "sib200" / "lin_Latn" / f"{split}.tsv")
        assert len(rows) == n
        assert [r["text"] for r in rows] == [flores[r["index_id"]].rstrip() for r in rows]
    assert any('"' in flores[r["index_id"]] for r in rows)


def test_test_documents_in_flores_order_for_ours_and_file_order_for_lm_evals() -> None:
    root = need_shared_data() / "sib200"
    ours = load_sib(str(root), "lin_Latn", True)["test"]
    theirs = load_sib(str(root), "lin_Latn", False)["test"]
    assert ours["index_id"] == sorted(theirs["index_id"])
    assert set(theirs["category"][:20]) == {"science/technology"}  # the file is sorted by topic
    assert set(ours["category"][:20]) == set(TOPICS)  # the first 20 in FLORES order span all seven
    assert list(ours.features) == ["index_id", "category", "text"]


def test_prompt_zero_and_k_shot_from_train() -> None:
    from lm_eval.api.task import ConfigurableTask

    root = need_shared_data() / "sib200"
    config = Sib200().lm_eval_config("sib200_lin_Latn", root, TaskOptions())
    task = ConfigurableTask(config=config)
    doc = task.eval_docs[0]
    assert task.fewshot_context(doc, 0) == (
        "Topic of the text, one of: science/technology, travel, politics, sports, health, "
        f"entertainment, geography.\nText: {doc['text']}\nTopic:"
    )
    assert task.doc_to_choice(doc) == list(TOPICS) and task.doc_to_target(doc) == doc["category"]
    task.set_fewshot_seed(1234)
    three = task.fewshot_context(doc, 3)
    assert three.startswith(config["description"]) and three.count("Topic of the text") == 1
    *shots, last = three.removeprefix(config["description"]).split("\n\n")
    assert len(shots) == 3 and last == f"Text: {doc['text']}\nTopic:"
    train = {r["text"]: r["category"] for r in read_split(root / "lin_Latn" / "train.tsv")}
    for shot in shots:
        text, topic = shot.split("\n")
        assert train[text.removeprefix("Text: ")] == topic.removeprefix("Topic: ")


def test_afrobench_variant_is_lm_evals_prompt_1() -> None:
    import lm_eval
    from lm_eval.tasks._yaml_loader import load_yaml

    folder = Path(lm_eval.__file__).parent / "tasks" / "afrobench" / "sib" / "prompt_1"
    yamls = sorted(folder.glob("sib_*.yaml"))
    assert len(yamls) == 56
    ours = Sib200Afrobench().lm_eval_config(
        "sib200_afrobench_lin_Latn", need_shared_data() / "sib200", TaskOptions()
    )
    for path in yamls:
        theirs = load_yaml(path)
        assert theirs["doc_to_text"] == ours["doc_to_text"], path.name
        assert theirs["doc_to_choice"] == ours["doc_to_choice"] == list(TOPICS)
        assert theirs["doc_to_target"] == ours["doc_to_target"] == "category"
    theirs = load_yaml(folder / "sib_lin.yaml")
    assert theirs["dataset_name"] == "lin_Latn" and theirs["fewshot_split"] == "validation"
    assert ours["fewshot_split"] == "dev" and "description" not in ours
    their_f1 = next(m for m in theirs["metric_list"] if m["metric"] == "f1")
    our_f1 = next(m for m in ours["metric_list"] if m["metric"] == "f1")
    assert our_f1["average"] == their_f1["average"] == "weighted"


# Hand-computed confusion over three topics: golds 0 0 0 1 1 2, predictions 0 0 1 1 2 2.
#   label 0: TP 2, FP 0, FN 1 -> F1 4/5, support 3
#   label 1: TP 1, FP 1, FN 1 -> F1 1/2, support 2
#   label 2: TP 1, FP 1, FN 0 -> F1 2/3, support 1
#   macro (4/5 + 1/2 + 2/3) / 3 = 59/90; weighted (4/5*3 + 1/2*2 + 2/3*1) / 6 = 61/90.
def test_f1_aggregations_on_a_hand_computed_confusion_matrix() -> None:
    items = list(zip([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], strict=True))
    root = need_shared_data() / "sib200"
    for fam, expected in ((Sib200(), 59 / 90), (Sib200Afrobench(), 61 / 90)):
        config = fam.lm_eval_config(fam.name + "_lin_Latn", root, TaskOptions())
        assert [m["metric"] for m in config["metric_list"]] == ["acc", "f1"]
        assert config["metric_list"][1]["aggregation"](items) == pytest.approx(expected, abs=1e-12)


def test_task_hash_follows_prompt_data_and_order(tmp_path: Path) -> None:
    root = _lang(tmp_path, "xyz_Latn", "0\ttravel\tA text.\n")
    a = Sib200().task_info("sib200_xyz_Latn", root, TaskOptions())
    b = Sib200Afrobench().task_info("sib200_afrobench_xyz_Latn", root, TaskOptions())
    assert a.task_hash != b.task_hash and a.version == "sib200-prompt-v1"
    assert sorted(a.data_files) == ["xyz_Latn/dev.tsv", "xyz_Latn/test.tsv", "xyz_Latn/train.tsv"]
    (root / "xyz_Latn" / "test.tsv").write_text(HEADER + "0\tsports\tA text.\n", encoding="utf-8")
    assert Sib200().task_info("sib200_xyz_Latn", root, TaskOptions()).task_hash != a.task_hash


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("0\tweather\tA text.\n", r"test\.tsv:2: category 'weather' is not one of science/technology"),
        ("0\ttravel\n", r"test\.tsv:2: 2 fields, expected 3"),
        ("x\ttravel\tA text.\n", r"test\.tsv:2: index_id 'x' is not a number"),
        ("0\ttravel\t \n", r"test\.tsv:2: empty text"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    _lang(tmp_path, "xyz_Latn", rows)
    with pytest.raises(HarnessError, match=message):
        read_split(tmp_path / "xyz_Latn" / "test.tsv")


def test_bad_header_and_labels_are_errors(tmp_path: Path) -> None:
    (tmp_path / "xyz_Latn").mkdir()
    (tmp_path / "xyz_Latn" / "test.tsv").write_text("id\tlabel\ttext\n", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"test\.tsv:1: header \['id', 'label', 'text'\]"):
        read_split(tmp_path / "xyz_Latn" / "test.tsv")
    root = _lang(tmp_path / "b", "xyz_Latn", "0\ttravel\tA text.\n", labels="travel\nweather\n")
    with pytest.raises(HarnessError, match=r"labels\.txt: labels \['travel', 'weather'\]"):
        Sib200().task_info("sib200_xyz_Latn", root, TaskOptions())
    with pytest.raises(HarnessError, match=r"no SIB-200 data for 'abc_Latn'"):
        Sib200().lm_eval_config("sib200_abc_Latn", root, TaskOptions())
