"""The `bpb` family: languages and groups from the FLORES-200 data, the split, what is stored, the
metrics against hand-computed cases, and our rolling scorer against lm-eval's `hf` on the tiny
model (one-window documents in length-sorted batches, longer ones in lm-eval's windows)."""

import math
from pathlib import Path

import pytest

from core.errors import HarnessError
from core.scale import FRACTIONS, LOWER_IS_BETTER
from tasks import registry
from tasks.base import TaskOptions
from tasks.bpb import metrics as m
from tasks.bpb.task import Bpb, collect, load_sentences
from tests.conftest import need_shared_data


def test_every_flores_language_is_a_task_and_iso_codes_group_scripts() -> None:
    root = need_shared_data() / "flores200"
    groups = Bpb().groups(root)
    files = sorted((root / "devtest").glob("*.devtest"))
    assert len(files) >= 204 and len(groups["bpb"]) == len(files)
    assert groups["bpb_lin"] == ["bpb_lin_Latn"]
    assert groups["bpb_arb"] == ["bpb_arb_Arab", "bpb_arb_Latn"]
    members = [t for g, tasks in groups.items() if g != "bpb" for t in tasks]
    assert sorted(members) == sorted(groups["bpb"]) and not set(groups) & set(groups["bpb"])
    assert registry.family_of_name("bpb_lin") is registry.family("bpb")
    tasks, specs = registry.expand_with_groups(["bpb_arb", "bpb_eng_Latn"], lambda d: root.parent / d)
    assert [t for t, _ in tasks] == ["bpb_arb_Arab", "bpb_arb_Latn", "bpb_eng_Latn"]
    assert specs["bpb_arb"].rule == "macro"
    assert registry.data_sources()["flores200"][1] == ["flores", "bpb"]  # the same data set, not a copy


def test_meta_split_and_scale() -> None:
    meta = Bpb().meta("bpb_kor_Hang")
    assert (meta.family, meta.language, meta.primary_metric, meta.sample_metric) == (
        "bpb",
        "kor_Hang",
        "bits_per_byte",
        "nll_bits/bytes",
    )
    assert "loglikelihood_rolling" in meta.protocol
    assert Bpb().split(TaskOptions()) == "devtest" and Bpb().split(TaskOptions(split="dev")) == "dev"
    with pytest.raises(HarnessError, match="--split: bpb has dev and devtest, not 'test'"):
        Bpb().split(TaskOptions(split="test"))
    assert set(m.METRICS) <= LOWER_IS_BETTER and not set(m.METRICS) & FRACTIONS


def test_dev_split_reads_dev_and_hashes_differ() -> None:
    root = need_shared_data() / "flores200"
    dev = load_sentences(str(root), "lin_Latn", "dev")["dev"]
    first = (root / "dev" / "lin_Latn.dev").read_text(encoding="utf-8").split("\n")[0]
    assert dev[0] == {"id": 0, "text": first} and len(dev) == 997
    infos = [Bpb().task_info("bpb_lin_Latn", root, TaskOptions(split=s)) for s in ("dev", "devtest")]
    assert infos[0].task_hash != infos[1].task_hash and list(infos[0].data_files) == ["dev/lin_Latn.dev"]
    config = Bpb().lm_eval_config("bpb_lin_Latn", root, TaskOptions(split="dev"))
    assert (config["output_type"], config["test_split"]) == ("loglikelihood_rolling", "dev")


def test_metrics_by_hand() -> None:
    """Two documents: 'ab c' (4 bytes, 2 words) with ll -2, '한' (3 bytes, 1 word) with ll -4."""
    corpus = m.Corpus([-2.0, -4.0], [m.count_bytes("ab c"), m.count_bytes("한")], [2, 1])
    assert corpus.bytes == [4, 3] and m.count_words("ab c") == 2 and m.count_words("中文句子。") == 1
    assert m.value("bits_per_byte", corpus) == pytest.approx(6 / 7 / math.log(2))
    assert m.value("byte_perplexity", corpus) == pytest.approx(math.exp(6 / 7))
    assert m.value("word_perplexity", corpus) == pytest.approx(math.exp(2.0))
    # ratio estimator: r = -6/7; residuals -2 + 4*6/7 and -4 + 3*6/7; se = sqrt(2 * sum e^2) / 7
    r = -6 / 7
    se = math.sqrt(2 * ((-2 - 4 * r) ** 2 + (-4 - 3 * r) ** 2)) / 7
    assert m.stderr("bits_per_byte", corpus) == pytest.approx(se / math.log(2))
    assert m.stderr("byte_perplexity", corpus) == pytest.approx(math.exp(6 / 7) * se)
    assert m.stderr("bits_per_byte", m.Corpus([-1.0], [3], [1])) is None


def test_collect_checks_lm_evals_aggregate() -> None:
    info = Bpb().task_info("bpb_lin_Latn", need_shared_data() / "flores200", TaskOptions())
    samples = [
        {"doc_id": 1, "doc_hash": "b", "target": "a b", "filtered_resps": [-6.0], "bits_per_byte": [-6.0, 3]},
        {"doc_id": 0, "doc_hash": "a", "target": "xyz", "filtered_resps": [-3.0], "bits_per_byte": [-3.0, 3]},
    ]
    right = {"bits_per_byte,none": 9 / 6 / math.log(2), "byte_perplexity,none": math.exp(1.5)}
    output = {"samples": {"bpb_lin_Latn": samples}, "results": {"bpb_lin_Latn": right}}
    output["results"]["bpb_lin_Latn"]["word_perplexity,none"] = math.exp(9 / 3)
    outcome = collect("bpb_lin_Latn", output, info)
    assert [s.doc_id for s in outcome.samples] == [0, 1]
    scores = outcome.samples[1].scores
    assert (scores["loglikelihood"], scores["bytes"], scores["words"]) == (-6.0, 3, 2)
    assert scores["nll_bits"] == pytest.approx(6 / math.log(2), rel=1e-15)
    assert scores["bits_per_byte"] == pytest.approx(2 / math.log(2), rel=1e-15)
    output["results"]["bpb_lin_Latn"]["bits_per_byte,none"] = 1.0
    with pytest.raises(HarnessError, match="lm-eval aggregated 1.0"):
        collect("bpb_lin_Latn", output, info)


def test_buckets_hold_similar_lengths_within_the_budget() -> None:
    from harness.engine.backends.rolling import buckets

    lengths = {0: 5, 1: 9, 2: 3, 3: 9, 4: 30, 5: 4}
    batches = buckets(lengths, budget=20)
    # longest first; rows x the batch's longest row within 20 (a longer document alone)
    assert batches == [[4], [1, 3], [0, 5, 2]]
    assert all(lengths[b[0]] * len(b) <= 20 for b in batches[1:])


def test_batched_rolling_equals_lm_evals_hf(tiny_model: Path) -> None:
    """Per document, the length-sorted batches give lm-eval's `hf` sums (float32) within 1e-6
    relative; with a 32-token window the long sentences take lm-eval's own rolling windows."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from harness.engine.backends import rolling
    from harness.engine.backends.scorer import SharedContextLM

    flores = need_shared_data() / "flores200" / "devtest"
    texts = [
        line
        for lang in ("eng_Latn", "kor_Hang", "zho_Hans")
        for line in (flores / f"{lang}.devtest").read_text(encoding="utf-8").split("\n")[:6]
    ]
    requests = [Instance("loglikelihood_rolling", {}, (t,), i) for i, t in enumerate(texts)]
    for window in (None, 32):
        kwargs = {"pretrained": str(tiny_model), "device": "cpu", "dtype": "float32", "batch_size": 4}
        if window:
            kwargs["max_length"] = window
        theirs = HFLM(**kwargs).loglikelihood_rolling(requests, disable_tqdm=True)
        ours_lm = SharedContextLM(**kwargs)
        lengths = [len(rolling.windows(ours_lm, t)) for t in texts]
        assert (max(lengths) == 1) == (window is None)
        ours = ours_lm.loglikelihood_rolling(requests, disable_tqdm=True)
        assert len(ours) == len(theirs) == 18
        worst = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs, strict=True))
        assert worst <= 1e-6, (window, worst)


def test_a_perplexity_beyond_a_float_is_not_computed_and_does_not_end_the_run() -> None:
    """One Japanese sentence is one lm-eval "word": at 800 nats, exp(800) is beyond a float, where
    lm-eval's own `weighted_perplexity` raises OverflowError and ends the evaluation."""
    import math

    from lm_eval.api.metrics import weighted_perplexity

    from tasks.bpb import metrics as m

    corpus = m.Corpus([-800.0, -700.0], [300, 280], [1, 1])
    with pytest.raises(OverflowError):
        weighted_perplexity([(-800.0, 1), (-700.0, 1)])
    assert m.perplexity_aggregate([(-800.0, 1), (-700.0, 1)]) == math.inf
    assert m.value("word_perplexity", corpus) is None and m.stderr("word_perplexity", corpus) is None
    assert m.value("byte_perplexity", corpus) == pytest.approx(math.exp(1500 / 580))
    assert m.value("bits_per_byte", corpus) == pytest.approx(1500 / 580 / math.log(2))
