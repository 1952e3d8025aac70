"""Initial embeddings for tokens added to a vocabulary.

- `mean`: every new row is the mean of all old rows.
- `subtoken_mean`: a new token's row is the mean of the rows of the tokens the old tokenizer
  splits its text into.
- `clp` (CLP-Transfer, Ostendorff & Rehm 2023, arXiv:2301.09626): with O the tokens both in the
  old vocabulary and in the helper model's vocabulary, a new token t gets
  `sum_o w(t, o) * E_old[o]` with `w(t, o) = cos(h_t, h_o) / sum_o' cos(h_t, h_o')`, where h are
  the helper model's embeddings (a small model in the target language whose vocabulary holds t).
"""

from typing import Any


def mean_rows(old: Any, count: int) -> Any:
    """`count` copies of the mean of the old rows."""
    return old.mean(dim=0, keepdim=True).expand(count, -1).clone()


def subtoken_ids(new_tokens: list[str], new_tokenizer: Any, old_tokenizer: Any) -> list[list[int]]:
    """Each new token's text, split by the old tokenizer."""
    out = []
    for token in new_tokens:
        text = new_tokenizer.convert_tokens_to_string([token])
        out.append(old_tokenizer(text, add_special_tokens=False)["input_ids"])
    return out


def subtoken_mean_rows(old: Any, pieces: list[list[int]]) -> Any:
    """Row i is the mean of the old rows listed in pieces[i]."""
    import torch

    if any(not ids for ids in pieces):
        raise ValueError("a new token has no sub-tokens under the old tokenizer")
    return torch.stack([old[ids].mean(dim=0) for ids in pieces])


def clp_weights(
    new_tokens: list[str], old_vocab: dict[str, int], helper_vocab: dict[str, int], helper: Any
) -> tuple[Any, list[str], list[str]]:
    """CLP's weights [new tokens found in the helper, overlapping tokens], the overlapping tokens
    (sorted), and the new tokens the helper's vocabulary lacks."""
    import torch

    overlap = sorted(set(old_vocab) & set(helper_vocab))
    if not overlap:
        raise ValueError("the old and the helper vocabularies share no token")
    found = [t for t in new_tokens if t in helper_vocab]
    lacking = [t for t in new_tokens if t not in helper_vocab]
    unit = torch.nn.functional.normalize(helper.float(), dim=1)
    sims = unit[[helper_vocab[t] for t in found]] @ unit[[helper_vocab[o] for o in overlap]].T
    return sims / sims.sum(dim=1, keepdim=True), overlap, lacking


def clp_rows(weights: Any, overlap: list[str], old_vocab: dict[str, int], old: Any) -> Any:
    """The similarity-weighted combination of the overlapping tokens' old rows."""
    return weights @ old[[old_vocab[o] for o in overlap]].float()
