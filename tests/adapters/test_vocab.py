"""`vocab`: a tokenizer trained on Lingala extends the base's; only the new rows move at first."""

import json
from pathlib import Path

import torch

from adapters.cli import adapt
from adapters.recipes import load_recipe
from adapters.train import load_model, load_tokenizer, prepare
from adapters.vocab import init_new_rows, train_new_rows
from adapters.vocabulary import extend_tokenizer, new_tokens_of, train_target_tokenizer
from tests.adapters.helpers import checkpoints

LINGALA = (
    "Bato mingi bazali kosala mosala na bilanga mpo na kobokola bana na bango.\n"
    "Mokonzi ya mboka alobaki ete mibeko ya sika ekobanda kosalema na sanza oyo ekoya.\n"
    "Basali ya lopitalo bazali kosalisa bato oyo bazali na bokono ya makasi.\n"
)


def _recipe(tmp_path: Path, tiny_model: Path, new_rows_steps: int) -> Path:
    (tmp_path / "lin.txt").write_text(LINGALA * 20, encoding="utf-8")
    recipe = tmp_path / "vocab.yaml"
    recipe.write_text(
        f"""\
recipe: vocab
base_model: {tiny_model}
model_name: tiny-vocab
vocab: {{vocab_size: 400, max_new_tokens: 40, init: subtoken_mean, new_rows_steps: {new_rows_steps},
        new_rows_learning_rate: 0.05}}
data: [{{kind: text, paths: [lin.txt], weight: 1}}]
training: {{max_steps: 2, save_every: 2, batch_size: 2, seq_length: 32}}
""",
        encoding="utf-8",
    )
    return recipe


def test_new_rows_phase_moves_only_the_new_rows(tmp_path: Path, tiny_model: Path) -> None:
    from adapters.mixture import PackedBlocks, build_mixture

    path = _recipe(tmp_path, tiny_model, new_rows_steps=3)
    recipe = load_recipe(path)
    setup = prepare(recipe, path, str(tmp_path / "out"), None)
    old_tok = load_tokenizer(setup.base)
    trained = train_target_tokenizer(old_tok, LINGALA.splitlines() * 20, 400)
    new_tokens = new_tokens_of(old_tok, trained, 40)
    tokenizer, first = extend_tokenizer(old_tok, trained, new_tokens)
    assert len(new_tokens) == 40 and first == len(old_tok) and len(tokenizer) == len(old_tok) + 40
    assert len(tokenizer(LINGALA)["input_ids"]) < len(old_tok(LINGALA)["input_ids"])
    model = load_model(setup.base)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    init_new_rows(model, recipe.vocab, new_tokens, (old_tok, tokenizer), path)
    emb_name = "model.embed_tokens.weight"
    initialised = model.get_input_embeddings().weight.detach().clone()
    assert torch.equal(initialised[:first], before[emb_name])
    blocks, _ = build_mixture(recipe.data, path, tokenizer, 32, 0)
    tokens = train_new_rows(model, tokenizer, PackedBlocks(blocks), recipe, setup, first)
    assert tokens == 3 * 2 * 32
    after = dict(model.named_parameters())
    for name, value in before.items():
        if name == emb_name:
            assert torch.equal(after[name][:first], value)
            assert not torch.equal(after[name][first:], initialised[first:])
        else:
            assert torch.equal(after[name], value), name
    assert all(p.requires_grad for p in model.parameters())


def test_vocab_recipe_saves_the_extended_model(tmp_path: Path, tiny_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    saved = adapt(_recipe(tmp_path, tiny_model, new_rows_steps=1), str(tmp_path / "tiny-vocab"))
    (folder,) = saved
    assert [p.name for p in (tmp_path / "tiny-vocab").iterdir()] == ["checkpoint-2"]
    base_size = len(AutoTokenizer.from_pretrained(tiny_model))
    assert len(AutoTokenizer.from_pretrained(folder)) == base_size + 40
    assert (
        AutoModelForCausalLM.from_pretrained(folder).get_input_embeddings().weight.shape[0] == base_size + 40
    )
    manifest = json.loads((folder / "harness_manifest.json").read_text())
    vocabulary = manifest["recipe"]["vocabulary"]
    assert (vocabulary["init"], vocabulary["new_tokens"], vocabulary["first_new_id"]) == (
        "subtoken_mean",
        40,
        base_size,
    )
    assert manifest["tokens_seen"] == (1 + 2) * 2 * 32  # the new-rows step, then two steps of everything
    (registered,) = [c for c in checkpoints("tiny-vocab") if c["source"] == str(folder)]
    assert registered["step"] == 2


def test_clp_init_combines_the_overlap_by_helper_similarity(tmp_path: Path, tiny_model: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    path = _recipe(tmp_path, tiny_model, new_rows_steps=0)
    recipe = load_recipe(path)
    setup = prepare(recipe, path, str(tmp_path / "out"), None)
    old_tok = load_tokenizer(setup.base)
    trained = train_target_tokenizer(old_tok, LINGALA.splitlines() * 20, 400)
    helper_folder = tmp_path / "helper"  # a small "Lingala model": the trained tokenizer, random weights
    torch.manual_seed(5)
    helper_model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(trained),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        )
    )
    with torch.no_grad():  # positive vectors: similarities like a trained helper's, far from summing to 0
        helper_model.get_input_embeddings().weight.uniform_(0.0, 1.0)
    helper_model.save_pretrained(helper_folder)
    trained.save_pretrained(helper_folder)
    settings = recipe.vocab.model_copy(update={"init": "clp", "clp_helper": str(helper_folder)})
    new_tokens = new_tokens_of(old_tok, trained, 40)
    tokenizer, first = extend_tokenizer(old_tok, trained, new_tokens)
    model = load_model(setup.base)
    old_rows = model.get_input_embeddings().weight.detach().clone()
    info = init_new_rows(model, settings, new_tokens, (old_tok, tokenizer), path)
    assert info["clp_fallback_subtoken_mean"] == 0 and info["clp_overlap"] > 256
    # Recompute one new token's row from the definition: cosine similarities in the helper's space
    # to every token both vocabularies hold, normalised to sum 1, weighting the old rows.
    helper = LlamaForCausalLM.from_pretrained(helper_folder).get_input_embeddings().weight.detach()
    helper_vocab, old_vocab = trained.get_vocab(), old_tok.get_vocab()
    token = new_tokens[7]
    sims = {}
    for other in set(helper_vocab) & set(old_vocab):
        u, v = helper[helper_vocab[token]], helper[helper_vocab[other]]
        sims[other] = float(u @ v / (u.norm() * v.norm()))
    expected = sum(sims[o] / sum(sims.values()) * old_rows[old_vocab[o]] for o in sims)
    row = model.get_input_embeddings().weight[tokenizer.convert_tokens_to_ids(token)].detach()
    assert torch.allclose(row, expected, atol=1e-4)
