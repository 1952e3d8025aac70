"""New-token initialisation against hand computations on a toy vocabulary.

Old vocabulary a b c ab (merge a+b), embeddings written by hand; the target-language tokenizer
also learned abc (ab+c) and ca (c+a).
"""

from typing import Any

import pytest
import torch

from adapters import embeddings
from adapters.vocabulary import extend_tokenizer, new_tokens_of

OLD_ROWS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [4.0, 0.0]])  # a, b, c, ab


def _toy_tokenizer(vocab: dict[str, int], merges: list[tuple[str, str]]) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok)


@pytest.fixture
def toy() -> tuple[Any, Any]:
    old = _toy_tokenizer({"a": 0, "b": 1, "c": 2, "ab": 3}, [("a", "b")])
    trained = _toy_tokenizer(
        {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "ca": 5}, [("a", "b"), ("ab", "c"), ("c", "a")]
    )
    return old, trained


def test_extended_tokenizer_keeps_old_ids_and_adds_new_ones(toy: tuple[Any, Any]) -> None:
    old, trained = toy
    new_tokens = new_tokens_of(old, trained)
    assert new_tokens == ["abc", "ca"]
    extended, first = extend_tokenizer(old, trained, new_tokens)
    assert first == 4
    assert extended.get_vocab() == {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "ca": 5}
    assert extended("abc ab ca b", add_special_tokens=False)["input_ids"] == [4, 3, 5, 1]
    assert old("abc ab ca b", add_special_tokens=False)["input_ids"] == [3, 2, 3, 2, 0, 1]
    assert new_tokens_of(old, trained, max_new=1) == ["abc"]


def test_mean(toy: tuple[Any, Any]) -> None:
    # (1+0+2+4)/4, (0+1+2+0)/4
    expected = torch.tensor([[1.75, 0.75], [1.75, 0.75]])
    assert torch.equal(embeddings.mean_rows(OLD_ROWS, 2), expected)


def test_subtoken_mean(toy: tuple[Any, Any]) -> None:
    old, trained = toy
    extended, _ = extend_tokenizer(old, trained, ["abc", "ca"])
    pieces = embeddings.subtoken_ids(["abc", "ca"], extended, old)
    assert pieces == [[3, 2], [2, 0]]  # abc -> ab c; ca -> c a under the old tokenizer
    # abc: mean of ab (4,0) and c (2,2) = (3,1); ca: mean of c (2,2) and a (1,0) = (1.5,1)
    expected = torch.tensor([[3.0, 1.0], [1.5, 1.0]])
    assert torch.equal(embeddings.subtoken_mean_rows(OLD_ROWS, pieces), expected)


def test_clp() -> None:
    # The helper knows a, b, ab (overlap with the old vocabulary; c is not in it) and the new abc, ca.
    helper_vocab = {"a": 0, "b": 1, "ab": 2, "abc": 3, "ca": 4}
    helper = torch.tensor(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [2.0, 3.0, 6.0], [6.0, 2.0, 3.0]]
    )
    old_vocab = {"a": 0, "b": 1, "c": 2, "ab": 3}
    weights, overlap, lacking = embeddings.clp_weights(["abc", "ca", "zz"], old_vocab, helper_vocab, helper)
    assert sorted(overlap) == ["a", "ab", "b"] and lacking == ["zz"]
    # |abc| = |ca| = 7: cosines with a, b, ab are (2,3,6)/7 and (6,2,3)/7; normalised by their
    # sums (11/7): abc -> (2,3,6)/11, ca -> (6,2,3)/11.
    by_token = {o: weights[:, i] for i, o in enumerate(overlap)}
    assert torch.allclose(
        torch.stack([by_token["a"], by_token["b"], by_token["ab"]], dim=1),
        torch.tensor([[2 / 11, 3 / 11, 6 / 11], [6 / 11, 2 / 11, 3 / 11]]),
    )
    # abc = 2/11 (1,0) + 3/11 (0,1) + 6/11 (4,0) = (26/11, 3/11)
    # ca  = 6/11 (1,0) + 2/11 (0,1) + 3/11 (4,0) = (18/11, 2/11)
    expected = torch.tensor([[26 / 11, 3 / 11], [18 / 11, 2 / 11]])
    assert torch.allclose(embeddings.clp_rows(weights, overlap, old_vocab, OLD_ROWS), expected)
