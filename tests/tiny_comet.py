"""A tiny random COMET checkpoint (unbabel-comet `RegressionMetric` over a 2-layer XLM-R), built
offline in seconds; run it with the COMET environment's Python:

    .venv-comet/bin/python -m tests.tiny_comet OUT_DIR

It writes the layout `comet-score --model` and `comet.load_from_checkpoint` read:

    OUT_DIR/hparams.yaml             class_identifier and hyper-parameters
    OUT_DIR/checkpoints/model.ckpt   Lightning checkpoint: state_dict, hyper_parameters, version
    OUT_DIR/encoder/                 the XLM-R config and tokenizer that `pretrained_model` names

The tokenizer is a real XLM-R tokenizer over a small SentencePiece unigram model trained on FLORES
dev sentences (fixed lines when the data is absent). The weights are random with a fixed seed and a
wide initialisation, so different translations get clearly different scores; the layer-mixing
weights are random too, so every encoder layer counts.
"""

import sys
from pathlib import Path

from tests.tiny_model import FLORES

LANGS = ("eng_Latn", "lin_Latn", "fra_Latn", "deu_Latn")
VOCAB_SIZE = 1000


def training_text() -> list[str]:
    lines: list[str] = []
    for lang in LANGS:
        path = FLORES / "dev" / f"{lang}.dev"
        if path.is_file():
            lines += path.read_text(encoding="utf-8").splitlines()[:300]
    return lines or ["English: a small test sentence.", "Lingala: mwa liloba ya komeka."] * 200


def build_tokenizer(folder: Path) -> object:
    """An XLM-R tokenizer (fairseq ids: <s>=0, <pad>=1, </s>=2, <unk>=3, <mask> last) on a new
    SentencePiece model, saved with its fast (tokenizer.json) form."""
    import io

    import sentencepiece as spm
    from transformers import XLMRobertaTokenizer, XLMRobertaTokenizerFast

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_text()),
        model_writer=model,
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sentencepiece.bpe.model").write_bytes(model.getvalue())
    XLMRobertaTokenizer(vocab_file=str(folder / "sentencepiece.bpe.model")).save_pretrained(folder)
    fast = XLMRobertaTokenizerFast.from_pretrained(folder)
    fast.save_pretrained(folder)
    return fast


def build_tiny_comet(folder: Path, seed: int = 0, hidden_size: int = 32, layers: int = 2) -> Path:
    """Write the tiny checkpoint under `folder`; the path of its `checkpoints/model.ckpt`."""
    import pytorch_lightning
    import torch
    import yaml
    from comet.models import RegressionMetric
    from transformers import XLMRobertaConfig

    folder = folder.resolve()
    encoder = folder / "encoder"
    tokenizer = build_tokenizer(encoder)
    XLMRobertaConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=514,  # XLM-R: positions start after the padding id (1)
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        # Wider than the default 0.02, so that sentence embeddings, and scores, differ clearly.
        initializer_range=0.5,
    ).save_pretrained(encoder)
    torch.manual_seed(seed)
    model = RegressionMetric(
        pretrained_model=str(encoder),
        load_pretrained_weights=False,
        local_files_only=True,
        encoder_model="XLM-RoBERTa",
        layer="mix",  # a learned mixture of the embeddings and both layers (3 tensors)
        layer_transformation="softmax",
        layer_norm=True,
        pool="avg",
        hidden_sizes=[4 * hidden_size, hidden_size],
        activations="Tanh",
        final_activation=None,
        dropout=0.1,
        batch_size=4,
    )
    with torch.no_grad():
        assert model.layerwise_attention is not None
        for weight in model.layerwise_attention.scalar_parameters:
            weight.copy_(torch.randn(1))
    hparams = dict(model.hparams)
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    checkpoint = folder / "checkpoints" / "model.ckpt"
    torch.save(
        {
            "state_dict": model.state_dict(),
            "hyper_parameters": hparams,
            "pytorch-lightning_version": pytorch_lightning.__version__,
        },
        checkpoint,
    )
    (folder / "hparams.yaml").write_text(yaml.safe_dump(hparams, sort_keys=True), encoding="utf-8")
    return checkpoint


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.tiny_comet OUT_DIR")
    print(build_tiny_comet(Path(sys.argv[1])))
