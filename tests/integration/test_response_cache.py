"""The response cache (`harness.engine.response_cache`): keys that follow the weights, answers that come
back unchanged from disk as JSON, and a model that asks the cache before computing."""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from harness.engine.response_cache import ResponseCache, model_key


def test_model_key_follows_weights_dtype_and_device(tiny_model: Path, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "r.sqlite")
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    key = model_key(cache, str(tiny_model), None, "float32", "cpu", "harness-hf")
    assert model_key(cache, str(copy), None, "float32", "cpu", "harness-hf") == key  # same bytes, same key
    assert model_key(cache, str(tiny_model), None, "bfloat16", "cpu", "harness-hf") != key
    assert model_key(cache, str(tiny_model), None, "float32", "cuda:0", "harness-hf") != key
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))
    assert model_key(cache, str(copy), None, "float32", "cpu", "harness-hf") != key


def test_answers_round_trip_as_json_without_pickle(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "r.sqlite")
    cache.put_many("m", "loglikelihood", [("h1", ["ctx", " cont"], [-1.25, True])])
    cache.put_many("m", "generate_until", [("h2", ["ctx", {"until": ["\n"]}], "Mbote")])
    assert cache.get_many("m", "loglikelihood", ["h1", "missing"]) == {"h1": [-1.25, True]}
    assert cache.get_many("m", "generate_until", ["h2"]) == {"h2": "Mbote"}
    assert cache.get_many("other-model", "loglikelihood", ["h1"]) == {}
    with sqlite3.connect(tmp_path / "r.sqlite") as con:
        stored = [json.loads(r) for (r,) in con.execute("SELECT response FROM responses ORDER BY kind")]
    assert stored == ["Mbote", [-1.25, True]]


def test_second_pass_is_answered_from_the_cache(tiny_model: Path, tmp_path: Path) -> None:
    from lm_eval.api.instance import Instance

    from harness.engine.backends.hf import load_hf
    from harness.engine.models import resolve_model

    cache = ResponseCache(tmp_path / "r.sqlite")
    spec = resolve_model(str(tiny_model))
    lm = load_hf(spec, "cpu", "float32", 4, response_cache=cache)
    lls = [
        Instance("loglikelihood", {}, (f"Question {i}: yes or no?", c), i)
        for i in range(5)
        for c in (" yes", " no")
    ]
    gens = [
        Instance("generate_until", {}, (f"Say {i}:", {"until": ["\n"], "max_gen_toks": 5}), i)
        for i in range(3)
    ]
    first_ll, first_gen = lm.loglikelihood(lls), lm.generate_until(gens)
    assert lm.cache_stats == {"hits": 0, "computed": 13}
    assert cache.count() == 16  # and each generation's cut-off flag beside it (kind generate_until_cut_off)

    again = load_hf(spec, "cpu", "float32", 4, response_cache=cache)
    again._loglikelihood_tokens = None  # any computation would fail: everything must come from the cache
    again._model_generate = None
    assert again.loglikelihood(lls) == first_ll
    assert again.generate_until(gens) == first_gen
    assert again.cache_stats == {"hits": 13, "computed": 0}
    uncached = load_hf(spec, "cpu", "float32", 4).loglikelihood(lls)
    assert [ll for ll, _ in first_ll] == pytest.approx([ll for ll, _ in uncached], abs=1e-5)
    assert [g for _, g in first_ll] == [g for _, g in uncached]


def test_any_engine_is_wrapped_lm_eval_hf_with_loglikelihood_rolling(
    tiny_model: Path, tmp_path: Path
) -> None:
    """`attach` on lm-eval's own `hf` class (not ours): every request kind, rolling included, is
    answered by the engine once and then from the cache, in lm-eval's types, in request order."""
    from lm_eval.api.instance import Instance

    from harness.engine.backends.cached import attach
    from harness.engine.backends.hf import load_hf
    from harness.engine.models import resolve_model

    cache = ResponseCache(tmp_path / "r.sqlite")
    spec = resolve_model(str(tiny_model))
    engine = load_hf(spec, "cpu", "float32", 4, shared_context=False)
    plain = [
        engine.loglikelihood([Instance("loglikelihood", {}, ("Mbote", " na yo"), 0)])[0],
        engine.loglikelihood_rolling([Instance("loglikelihood_rolling", {}, ("Mbote na yo",), 0)])[0],
    ]
    lm = load_hf(spec, "cpu", "float32", 4, shared_context=False)
    use = attach(lm, cache, "k", {"loglikelihood": 2, "loglikelihood_rolling": 1, "generate_until": 1})
    ll = [
        Instance("loglikelihood", {}, (c, x), i)
        for i, (c, x) in enumerate([("A", " b"), ("Mbote", " na yo"), ("A", " c")])
    ]
    rolling = [Instance("loglikelihood_rolling", {}, ("Mbote na yo",), 0)]
    gen = [Instance("generate_until", {}, ("Mbote", {"until": ["\n"], "max_gen_toks": 4}), 0)]
    first = (lm.loglikelihood(ll), lm.loglikelihood_rolling(rolling), lm.generate_until(gen))
    assert use.stats == {"hits": 0, "computed": 5} and cache.count("k") == 5
    second = (lm.loglikelihood(ll), lm.loglikelihood_rolling(rolling), lm.generate_until(gen))
    assert use.stats == {"hits": 5, "computed": 5} and lm.cache_stats is use.stats
    assert second == first
    assert (
        isinstance(second[0][1], tuple) and isinstance(second[1][0], float) and isinstance(second[2][0], str)
    )
    assert second[0][1][0] == pytest.approx(plain[0][0], abs=1e-5)
    assert second[1][0] == pytest.approx(plain[1], abs=1e-4)


def test_served_model_key_follows_what_the_server_reports(tiny_model: Path, tmp_path: Path) -> None:
    from harness.engine.response_cache import served_model_key

    cache = ResponseCache(tmp_path / "r.sqlite")
    served = {"url": "http://h/v1/completions", "model": {"id": "m", "root": "/w"}, "server_version": "0.9"}
    key = served_model_key(cache, str(tiny_model), served)
    assert served_model_key(cache, str(tiny_model), dict(served)) == key
    assert served_model_key(cache, str(tiny_model), served | {"server_version": "0.10"}) != key
    assert served_model_key(cache, str(tiny_model), served | {"model": {"id": "m", "root": "/w2"}}) != key
    assert served_model_key(cache, str(tiny_model), served | {"url": "http://other/v1/completions"}) != key
    assert served_model_key(cache, None, served) != key
