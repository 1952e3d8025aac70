"""A weighted mixture of text sources, tokenized and packed into fixed-length blocks.

Each source gets `weight / sum(weights)` of the mixture's tokens, where the mixture is as long
as all sources together: a small source with a large weight is repeated (its epochs are
recorded), a large source with a small weight is subsampled. Documents are shuffled across
sources with the recipe's seed, joined with the end-of-text token and cut into blocks.
"""

import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from adapters.recipes import ParallelSource, TextSource, file_sha256, recipe_path
from core.errors import HarnessError


@dataclass(frozen=True)
class SourceRecord:
    """What one source contributed, as recorded in every checkpoint's manifest."""

    kind: str
    files: dict[str, str]
    """Absolute path -> SHA-256."""
    weight: float
    documents: int
    tokens_available: int
    tokens_used: int
    epochs: float


def _read(path: Path, recipe_file: Path) -> str:
    if not path.is_file():
        raise HarnessError(f"{recipe_file}: data file {path} does not exist")
    return path.read_text(encoding="utf-8")


def _split(text: str, unit: str) -> list[str]:
    if unit == "file":
        return [text] if text.strip() else []
    if unit == "paragraph":
        return [p.strip() for p in text.split("\n\n") if p.strip()]
    return [line.strip() for line in text.splitlines() if line.strip()]


def source_documents(
    source: TextSource | ParallelSource, recipe_file: Path
) -> tuple[list[str], dict[str, str]]:
    """A source's documents and its files' checksums."""
    if isinstance(source, TextSource):
        paths = [recipe_path(p, recipe_file) for p in source.paths]
        docs = [doc for path in paths for doc in _split(_read(path, recipe_file), source.unit)]
        return docs, {str(p): file_sha256(p) for p in paths}
    src_path, tgt_path = recipe_path(source.source, recipe_file), recipe_path(source.target, recipe_file)
    src = _read(src_path, recipe_file).splitlines()
    tgt = _read(tgt_path, recipe_file).splitlines()
    if len(src) != len(tgt):
        raise HarnessError(
            f"{recipe_file}: parallel files differ in length: {src_path} has {len(src)} lines, "
            f"{tgt_path} has {len(tgt)}"
        )
    names = {"source_language": source.source_language, "target_language": source.target_language}
    reverse = {"source_language": source.target_language, "target_language": source.source_language}
    docs = []
    for s, t in zip(src, tgt, strict=True):
        if s.strip() and t.strip():
            docs.append(source.template.format(**names, source=s.strip(), target=t.strip()))
            if source.both_directions:
                docs.append(source.template.format(**reverse, source=t.strip(), target=s.strip()))
    return docs, {str(src_path): file_sha256(src_path), str(tgt_path): file_sha256(tgt_path)}


def _take(docs: list[list[int]], target: int, rng: random.Random) -> list[list[int]]:
    """Documents drawn without replacement, epoch after epoch, until `target` tokens are reached."""
    taken: list[list[int]] = []
    total = 0
    while total < target:
        order = list(range(len(docs)))
        rng.shuffle(order)
        for index in order:
            taken.append(docs[index])
            total += len(docs[index])
            if total >= target:
                break
    return taken


def pack(token_docs: list[list[int]], seq_length: int) -> Any:
    """Concatenated documents cut into [blocks, seq_length]; the incomplete tail is dropped."""
    import torch

    stream = [token for doc in token_docs for token in doc]
    blocks = len(stream) // seq_length
    return torch.tensor(stream[: blocks * seq_length], dtype=torch.long).view(blocks, seq_length)


def build_mixture(
    sources: list[TextSource | ParallelSource], recipe_file: Path, tokenizer: Any, seq_length: int, seed: int
) -> tuple[Any, list[SourceRecord]]:
    """Packed blocks of the weighted mixture, and a record of each source."""
    if tokenizer.eos_token_id is None:
        raise HarnessError("the base model's tokenizer has no end-of-text token to separate documents")
    rng = random.Random(seed)
    tokenized: list[list[list[int]]] = []
    checksums: list[dict[str, str]] = []
    for source in sources:
        texts, files = source_documents(source, recipe_file)
        if not texts:
            raise HarnessError(f"{recipe_file}: the {source.kind} source {list(files)} holds no text")
        ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
        tokenized.append([doc + [tokenizer.eos_token_id] for doc in ids])
        checksums.append(files)
    available = [sum(map(len, docs)) for docs in tokenized]
    total_weight = sum(s.weight for s in sources)
    mixture: list[list[int]] = []
    records = []
    for source, docs, files, tokens in zip(sources, tokenized, checksums, available, strict=True):
        target = round(source.weight / total_weight * sum(available))
        taken = _take(docs, target, rng)
        used = sum(map(len, taken))
        mixture += taken
        records.append(
            SourceRecord(source.kind, files, source.weight, len(docs), tokens, used, round(used / tokens, 4))
        )
    rng.shuffle(mixture)
    blocks = pack(mixture, seq_length)
    if len(blocks) == 0:
        raise HarnessError(f"{recipe_file}: the mixture holds fewer than seq_length={seq_length} tokens")
    return blocks, records


def mixture_record(records: list[SourceRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]


class PackedBlocks:
    """A map-style dataset of packed blocks: causal LM labels are the inputs themselves."""

    def __init__(self, blocks: Any) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return int(self.blocks.shape[0])

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.blocks[index]
        return {"input_ids": row, "labels": row}
