"""Output language identification: a real fastText model trained here on a few FLORES-200
languages and loaded through `fasttext.load_model`, label mapping, off_target / source_copy on
hand-made cases, the build report against scikit-learn, and the gate's direction for these metrics."""

import json
import math
import statistics
from pathlib import Path
from typing import Any

import pytest

from core.errors import HarnessError
from harness.scorers import lid, lid_build
from tests.conftest import need_shared_data, run_harness

LANGS = ["eng_Latn", "lin_Latn", "fra_Latn", "deu_Latn", "zho_Hans"]
SMALL = {
    "model": "supervised",
    "loss": "softmax",
    "dim": 16,
    "minn": 2,
    "maxn": 4,
    "wordNgrams": 1,
    "minCount": 1,
    "bucket": 20_000,
    "epoch": 5,
    "lr": 0.5,
    "shuffle_seed": 0,
}


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = need_shared_data() / "flores200"
    path = tmp_path_factory.mktemp("lid") / "model.bin"
    assert lid_build.train(root, LANGS, SMALL, path) == 997 * len(LANGS)
    return path


def test_loads_the_file_and_identifies_devtest_sentences(small_model: Path) -> None:
    model = lid.LidModel(small_model)
    assert sorted(model.labels) == sorted(LANGS)
    root = need_shared_data() / "flores200" / "devtest"
    for lang in LANGS:
        lines = (root / f"{lang}.devtest").read_text(encoding="utf-8").splitlines()[:40]
        preds = model.predict(lines)
        assert len(preds) == 40
        assert sum(p.label == lang for p in preds) >= 36, lang
        assert all(0.0 < p.confidence <= 1.0 for p in preds)
    # A text with a newline is one text (fastText's wrapper would refuse it).
    assert model.predict(["Mokolo moko\nmwana akendaki na zando."])[0].label == "lin_Latn"
    assert model.signature.startswith("lid:fasttext|model:model.bin|sha256:" + model.sha256[:12])


def test_fasttext_wrapper_predict_fails_under_numpy_2(small_model: Path) -> None:
    """Why `LidModel.predict` calls the binding: the wrapper's np.array(copy=False) under numpy 2."""
    import numpy as np

    if int(np.__version__.split(".")[0]) < 2:
        pytest.skip("numpy 1: the wrapper works")
    model = lid.LidModel(small_model)
    with pytest.raises(ValueError, match="copy"):
        model.model.predict("Hello world")
    assert model.predict(["Hello world, how are you today?"])[0].label == "eng_Latn"


def test_unmappable_labels_are_refused(tmp_path: Path) -> None:
    from harness.scorers.lid import import_fasttext

    data = tmp_path / "train.txt"
    data.write_text("__label__en hello there\n__label__fr bonjour tout le monde\n" * 20, encoding="utf-8")
    model = import_fasttext().train_supervised(str(data), dim=4, epoch=1, bucket=100, verbose=0)
    path = tmp_path / "lid176-like.bin"
    model.save_model(str(path))
    with pytest.raises(HarnessError, match="not ISO 639-3 \\+ script codes"):
        lid.LidModel(path)
    with pytest.raises(HarnessError, match="no such file"):
        lid.LidModel(tmp_path / "absent.bin")
    (tmp_path / "junk.bin").write_bytes(b"not a model")
    with pytest.raises(HarnessError, match="not a fastText model"):
        lid.LidModel(tmp_path / "junk.bin")


@pytest.mark.parametrize(
    ("label", "flores"),
    [
        ("__label__eng_Latn", "eng_Latn"),  # OpenLID / FLORES-200 form
        ("lin_Latn", "lin_Latn"),
        ("__label__swa_Latn", "swh_Latn"),  # GlotLID's macrolanguage code, one FLORES language
        ("__label__cmn_Hani", None),  # Mandarin in Han script: Hans or Hant, not guessed
        ("__label__ara_Arab", None),  # nine FLORES Arabic varieties
        ("__label__xyz_Latn", None),
        ("__label__en", None),
    ],
)
def test_label_to_flores(label: str, flores: str | None) -> None:
    assert lid.to_flores(label) == flores


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("zho_Hant", "zho_Hans", True),  # script ignored
        ("yue_Hant", "zho_Hans", True),  # ISO 639-3: yue is a member of zho
        ("cmn_Hani", "zho_Hans", True),
        ("arz_Arab", "arb_Arab", True),
        ("bos_Latn", "hrv_Latn", True),
        ("ind_Latn", "zsm_Latn", True),
        ("twi_Latn", "aka_Latn", True),
        ("ace_Arab", "ace_Latn", True),
        ("lin_Latn", "eng_Latn", False),
        ("kin_Latn", "run_Latn", False),  # close, but two languages
        ("xho_Latn", "zul_Latn", False),
    ],
)
def test_same_language(a: str, b: str, same: bool) -> None:
    assert lid.same_language(a, b) is same
    # The strict rule of `off_target` tells every such pair apart (a label is compared by its
    # FLORES-200 code, language and script).
    assert lid.same_code(a, b) is (a == b)


@pytest.mark.parametrize(
    ("label", "target", "strict", "macro"),
    [
        ("ind_Latn", "zsm_Latn", 1, 0),  # Indonesian for Malay: the failure off_target exists to catch
        ("min_Latn", "zsm_Latn", 1, 0),
        ("bos_Latn", "hrv_Latn", 1, 0),
        ("srp_Cyrl", "hrv_Latn", 1, 0),  # Serbian (Cyrillic) for Croatian: one macrolanguage (hbs)
        ("prs_Arab", "pes_Arab", 1, 0),  # Dari for (Iranian) Persian
        ("zho_Hant", "zho_Hans", 1, 0),  # Traditional for Simplified
        ("swa_Latn", "swh_Latn", 0, 0),  # GlotLID's macrolanguage label: the one FLORES-200 code
        ("zsm_Latn", "zsm_Latn", 0, 0),
    ],
)
def test_off_target_strict_and_macro(label: str, target: str, strict: int, macro: int) -> None:
    scores = lid.sample_scores("teks", "source", "eng_Latn", target, lid.Prediction(label, 0.9))
    assert (scores["off_target"], scores["off_target_macro"]) == (strict, macro)


def test_indonesian_for_a_malay_target_through_a_real_identifier(tmp_path: Path) -> None:
    """Hand-made outputs (FLORES-200 devtest sentences in Indonesian and in Malay, as a model might
    write them for an English -> Malay task) through a fastText model trained here on dev."""
    root = need_shared_data() / "flores200"
    langs = ["eng_Latn", "ind_Latn", "zsm_Latn"]
    path = tmp_path / "model.bin"
    lid_build.train(root, langs, SMALL | {"epoch": 20}, path)
    model = lid.LidModel(path)
    devtest = {
        lang: (root / "devtest" / f"{lang}.devtest").read_text(encoding="utf-8").splitlines()
        for lang in langs
    }
    outputs = devtest["ind_Latn"][:20] + devtest["zsm_Latn"][:20]
    rows, per_doc = lid.score_samples(
        "flores_eng_Latn-zsm_Latn",
        list(range(40)),
        outputs,
        devtest["eng_Latn"][:40],
        ("eng_Latn", "zsm_Latn"),
        model,
    )
    by_metric = {r.metric: r.value for r in rows}
    strict = sum(per_doc[d]["off_target"] for d in range(20))
    assert strict >= 15, [per_doc[d]["lid_label"] for d in range(20)]  # the Indonesian outputs
    assert sum(per_doc[d]["off_target"] for d in range(20, 40)) <= 5  # the Malay ones
    assert by_metric["off_target_macro"] == 0.0  # Indonesian and Malay: one macrolanguage (msa)
    assert by_metric["off_target"] > by_metric["off_target_macro"]


def test_lid_metrics_are_fractions_and_lower_is_better() -> None:
    from core.scale import FRACTIONS, LOWER_IS_BETTER

    assert set(lid.METRICS) <= FRACTIONS and set(lid.METRICS) <= LOWER_IS_BETTER


SRC = "On Monday, scientists from the Stanford University School of Medicine announced a new tool."
LIN = "Na mokolo ya yambo, bayekoli ya siansi ya eteyelo ya monganga basakolaki esaleli ya sika."


def _scores(output: str, label: str | None, conf: float = 0.9) -> dict[str, Any]:
    pred = lid.Prediction(label, conf) if label else None
    return lid.sample_scores(output, SRC, "eng_Latn", "lin_Latn", pred)


def test_sample_scores_hand_made_cases() -> None:
    good = _scores(LIN, "lin_Latn")
    assert (good["off_target"], good["source_copy"], good["lid_lang"]) == (0, 0, "lin_Latn")
    # The source again, re-cased and re-punctuated: identical after normalisation.
    copy = _scores(SRC.upper().replace(",", "").replace(".", " !"), "eng_Latn")
    assert (copy["off_target"], copy["source_copy"]) == (1, 1)
    # Even when the identifier calls it something else, an identical output is a copy.
    assert _scores(SRC, "fra_Latn")["source_copy"] == 1
    # English close to the source (a word dropped): copy by overlap.
    near = _scores(SRC.replace(" new", ""), "eng_Latn")
    assert near["source_chrf"] >= lid.COPY_CHRF_THRESHOLD and near["source_copy"] == 1
    # English but not the source: off target, not a copy.
    other = _scores("The weather is nice and I like to walk in the park.", "eng_Latn")
    assert (other["off_target"], other["source_copy"]) == (1, 0)
    assert other["source_chrf"] < lid.COPY_CHRF_THRESHOLD
    # Empty output: off target, not a copy, no label.
    empty = _scores("", None)
    assert (empty["off_target"], empty["source_copy"], empty["lid_label"]) == (1, 0, None)


def test_source_chrf_is_sacrebleus_sentence_chrf() -> None:
    from sacrebleu.metrics import CHRF

    out = "Scientists from Stanford announced a tool on Monday."
    expected = CHRF(word_order=0).sentence_score(out, [SRC]).score
    assert _scores(out, "eng_Latn")["source_chrf"] == pytest.approx(expected)


def test_normalise() -> None:
    assert lid.normalise("  Hello,   WORLD!\u00a0«ok» ") == "hello world ok"
    assert lid.normalise("Ｆｕｌｌ width") == "full width"  # NFKC


def test_mean_metric_and_score_samples(small_model: Path) -> None:
    row = lid.mean_metric("t", "off_target", [1, 0, 0, 1, 1], "sig", "")
    assert row.value == pytest.approx(0.6)
    assert row.stderr == pytest.approx(statistics.stdev([1, 0, 0, 1, 1]) / math.sqrt(5))
    model = lid.LidModel(small_model)
    rows, per_doc = lid.score_samples(
        "flores_eng_Latn-lin_Latn",
        [3, 5, 7],
        [LIN, SRC, "  "],
        [SRC, SRC, SRC],
        ("eng_Latn", "lin_Latn"),
        model,
    )
    assert [per_doc[d]["off_target"] for d in (3, 5, 7)] == [0, 1, 1]
    assert [per_doc[d]["source_copy"] for d in (3, 5, 7)] == [0, 1, 0]
    by_metric = {r.metric: r for r in rows}
    assert by_metric["off_target"].value == pytest.approx(2 / 3) and by_metric["off_target"].n == 3
    assert by_metric["source_copy"].value == pytest.approx(1 / 3)
    assert "1 empty output" in by_metric["off_target"].note
    assert by_metric["off_target"].signature == model.signature + "|match:flores-code"
    assert by_metric["off_target_macro"].signature == model.signature + "|match:iso639-3-macro"


def test_build_report_against_sklearn_and_cache(small_model: Path) -> None:
    from sklearn.metrics import accuracy_score, f1_score

    root = need_shared_data() / "flores200"
    langs = LANGS[:3]
    report = lid_build.build(root, langs=langs, params=SMALL)
    assert not report.cached and not report.default and report.languages == 3
    # Independent check: scikit-learn on the same model's predictions.
    model = lid.LidModel(Path(report.model))
    gold, texts = [], []
    for lang in langs:
        lines = (root / "devtest" / f"{lang}.devtest").read_text(encoding="utf-8").splitlines()
        gold += [lang] * len(lines)
        texts += lines
    predicted = [p.label for p in model.predict(texts)]
    assert report.devtest_lines == len(gold) == 3 * 1012
    assert report.accuracy == pytest.approx(accuracy_score(gold, predicted))
    assert report.macro_f1 == pytest.approx(f1_score(gold, predicted, labels=langs, average="macro"))
    per_lang = f1_score(gold, predicted, labels=langs, average=None)
    assert report.f1 == pytest.approx(dict(zip(langs, per_lang, strict=True)))
    assert len(report.worst) == 3 and report.worst[0]["f1"] == min(report.f1.values())
    stored = json.loads((Path(report.model).parent / "report.json").read_text(encoding="utf-8"))
    assert stored["sha256"] == report.sha256 == model.sha256
    again = lid_build.build(root, langs=langs, params=SMALL)
    assert again.cached and again.sha256 == report.sha256
    assert lid_build.default_model() is None  # a subset never becomes the default identifier


def test_clusters_of() -> None:
    from collections import Counter

    confusions = Counter({("a", "b"): 60, ("b", "a"): 5, ("c", "d"): 10, ("e", "b"): 70, ("f", "g"): 49})
    sizes = Counter({k: 1000 for k in "abcdefg"})
    assert lid_build.clusters_of(confusions, sizes, 0.05) == [["a", "b", "e"]]


def test_lid_build_cli_errors(tmp_path: Path) -> None:
    data = need_shared_data()
    result = run_harness("lid", "build", "--data-dir", str(data), "--langs", "eng_Latn,xx_Latn")
    assert result.returncode == 2 and "xx_Latn" in result.stderr
    result = run_harness("lid", "build", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "flores200" in result.stderr
    assert run_harness("lid", "build", "--help").returncode == 0


def _results_file(path: Path, run_id: str, off: list[int]) -> Path:
    """A `harness results --format json --samples` file with one FLORES task's off_target."""
    task = "flores_eng_Latn-lin_Latn"
    row = {
        "run_id": run_id,
        "task": task,
        "primary_metric": "chrf++",
        "sample_metric": "chrf++",
        "task_version": "v1",
        "task_hash": "h" * 64,
        "metric": "off_target",
        "value": sum(off) / len(off),
        "signature": "lid:fasttext|same",
    }
    samples = [
        {
            "task": task,
            "doc_id": i,
            "doc_hash": f"d{i}",
            "target": "t",
            "output": str(v),
            "scores": {"off_target": v},
        }
        for i, v in enumerate(off)
    ]
    path.write_text(json.dumps({"results": [row], "samples": samples}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("cand_off", "code"), [(0.6, 1), (0.1, 0)])
def test_gate_treats_a_rise_of_off_target_as_regression(tmp_path: Path, cand_off: float, code: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    base = (rng.random(500) < 0.3).astype(int).tolist()
    cand = (rng.random(500) < cand_off).astype(int).tolist()
    result = run_harness(
        "gate",
        "--baseline",
        str(_results_file(tmp_path / "a.json", "a", base)),
        "--candidate",
        str(_results_file(tmp_path / "b.json", "b", cand)),
        "--metric",
        "off_target",
        "--format",
        "json",
    )
    assert result.returncode == code, result.stderr
    task = json.loads(result.stdout)["tasks"][0]
    assert task["lower_is_better"] is True and task["failed"] is (code == 1)
    assert (task["delta"] > 0) is (code == 1)
