"""Tiny random COMET checkpoints, built offline in seconds, of the model classes the harness scores
with: `RegressionMetric` (COMET, `Unbabel/wmt22-comet-da`) and `UnifiedMetric` with
`input_segments: [mt, src]` (CometKiwi, `Unbabel/wmt22-cometkiwi-da`) over a 2-layer XLM-R, and
`XCOMETMetric` (xCOMET, `Unbabel/XCOMET-XL`) over a 2-layer XLM-R XL. Run with the COMET
environment's Python:

    .venv-comet/bin/python -m tests.tiny_comet OUT_DIR [comet|cometkiwi|xcomet]

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


def build_encoder(folder: Path, hidden_size: int, layers: int, xl: bool = False) -> Path:
    """A tiny XLM-R (or XLM-R XL) config with its tokenizer in `folder`, what `pretrained_model` names."""
    from transformers import XLMRobertaConfig, XLMRobertaXLConfig

    tokenizer = build_tokenizer(folder)
    config = XLMRobertaXLConfig if xl else XLMRobertaConfig
    config(
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
    ).save_pretrained(folder)
    return folder


def save_checkpoint(model: object, folder: Path) -> Path:
    """`folder/checkpoints/model.ckpt` and `folder/hparams.yaml` as the hub's COMET models lay them out,
    with the layer-mixing weights made random first (so that every encoder layer counts)."""
    import pytorch_lightning
    import torch
    import yaml

    with torch.no_grad():
        attention = model.layerwise_attention  # type: ignore[attr-defined]
        assert attention is not None
        for weight in attention.scalar_parameters:
            weight.copy_(torch.randn(1))
    hparams = dict(model.hparams)  # type: ignore[attr-defined]
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    checkpoint = folder / "checkpoints" / "model.ckpt"
    torch.save(
        {
            "state_dict": model.state_dict(),  # type: ignore[attr-defined]
            "hyper_parameters": hparams,
            "pytorch-lightning_version": pytorch_lightning.__version__,
        },
        checkpoint,
    )
    (folder / "hparams.yaml").write_text(yaml.safe_dump(hparams, sort_keys=True), encoding="utf-8")
    return checkpoint


def build_tiny_comet(folder: Path, seed: int = 0, hidden_size: int = 32, layers: int = 2) -> Path:
    """A tiny `RegressionMetric` (reference-based COMET) under `folder`; its `checkpoints/model.ckpt`."""
    import torch
    from comet.models import RegressionMetric

    folder = folder.resolve()
    encoder = build_encoder(folder / "encoder", hidden_size, layers)
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
    return save_checkpoint(model, folder)


def build_tiny_cometkiwi(folder: Path, seed: int = 0, hidden_size: int = 32, layers: int = 2) -> Path:
    """A tiny `UnifiedMetric` with the hyper-parameters of `Unbabel/wmt22-cometkiwi-da`'s hparams.yaml
    (`input_segments: [mt, src]`: reference-free, sentence level only, `sparsemax_patch` layer mixing
    as comet >= 2.2.4 reads it) under `folder`; its `checkpoints/model.ckpt`."""
    import torch
    from comet.models import UnifiedMetric

    folder = folder.resolve()
    encoder = build_encoder(folder / "encoder", hidden_size, layers)
    torch.manual_seed(seed)
    model = UnifiedMetric(
        pretrained_model=str(encoder),
        load_pretrained_weights=False,
        local_files_only=True,
        encoder_model="XLM-RoBERTa",
        sent_layer="mix",
        layer_transformation="sparsemax_patch",
        layer_norm=False,
        word_layer=layers,
        hidden_sizes=[4 * hidden_size, hidden_size],
        activations="Tanh",
        final_activation=None,
        dropout=0.1,
        batch_size=4,
        input_segments=["mt", "src"],
        word_level_training=False,
    )
    return save_checkpoint(model, folder)


def build_tiny_xcomet(folder: Path, seed: int = 0, hidden_size: int = 32, layers: int = 2) -> Path:
    """A tiny `XCOMETMetric` over an XLM-R XL encoder, as `Unbabel/XCOMET-XL` (sentence score and error
    spans, [mt, src, ref]), under `folder`; its `checkpoints/model.ckpt`."""
    import torch
    from comet.models import XCOMETMetric

    folder = folder.resolve()
    encoder = build_encoder(folder / "encoder", hidden_size, layers, xl=True)
    torch.manual_seed(seed)
    model = XCOMETMetric(
        pretrained_model=str(encoder),
        load_pretrained_weights=False,
        local_files_only=True,
        encoder_model="XLM-RoBERTa-XL",
        sent_layer="mix",
        layer_transformation="sparsemax",
        layer_norm=False,
        word_layer=layers,
        hidden_sizes=[4 * hidden_size, hidden_size],
        activations="Tanh",
        final_activation=None,
        dropout=0.1,
        batch_size=4,
    )
    return save_checkpoint(model, folder)


BUILDERS = {"comet": build_tiny_comet, "cometkiwi": build_tiny_cometkiwi, "xcomet": build_tiny_xcomet}


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in BUILDERS):
        sys.exit(f"usage: python -m tests.tiny_comet OUT_DIR [{'|'.join(BUILDERS)}]")
    print(BUILDERS[sys.argv[2] if len(sys.argv) == 3 else "comet"](Path(sys.argv[1])))
