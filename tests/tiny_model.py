"""A tiny random Llama checkpoint with a real (small, trained) BPE tokenizer, built offline in seconds."""

from pathlib import Path

FLORES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores200"


def training_text() -> list[str]:
    """Real text for the tokenizer: FLORES dev sentences when present, else a few fixed lines."""
    lines: list[str] = []
    for lang in ("eng_Latn", "lin_Latn", "fra_Latn"):
        path = FLORES / "dev" / f"{lang}.dev"
        if path.is_file():
            lines += path.read_text(encoding="utf-8").splitlines()[:300]
    return lines or ["English: a small test sentence.", "Lingala: mwa liloba ya komeka."] * 50


def build_tiny_model(
    folder: Path, seed: int = 0, hidden_size: int = 32, layers: int = 2, heads: int = 4
) -> Path:
    """`heads=2, hidden_size=64` gives head size 32, the smallest vLLM's CPU attention supports."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(training_text(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>"
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=min(2, heads),
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
        # Wider than the default 0.02, so that models with different seeds generate different text.
        initializer_range=0.3,
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
