"""Reads of the tokenizer statistics (`harness tokenizer-report`) for the app: per checkpoint and
language, beside the checkpoint's scores in that language, and one checkpoint against a base."""

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from core.languages import language_info
from db.app_queries import PRIMARY, Filters, latest_results
from db.models import Checkpoint, Model, TokenizerStat


@dataclass(frozen=True)
class TokenizerRow:
    """One checkpoint's tokenizer on one language."""

    checkpoint_id: int
    model: str
    source: str
    step: int | None
    language: str
    name: str
    split: str
    sentences: int
    tokens: int
    vocab_size: int
    tokenizer_sha256: str
    tokens_per_word: float | None
    tokens_per_char: float
    bytes_per_token: float
    parity: float
    parity_of_totals: float
    unk_share: float
    byte_fallback_share: float
    fallback_rule: str
    score: float | None
    """Mean primary metric of the checkpoint's newest complete results on tasks in this language."""
    score_tasks: int


@dataclass(frozen=True)
class TokenizedCheckpoint:
    """A checkpoint with tokenizer statistics, and its lineage parent."""

    checkpoint_id: int
    label: str
    parent_id: int | None


@dataclass(frozen=True)
class TokenizerChange:
    """One language: a checkpoint's tokenizer against a base's."""

    language: str
    name: str
    base_tokens: int
    tokens: int
    base_tokens_per_word: float | None
    tokens_per_word: float | None
    base_parity: float
    parity: float
    base_byte_fallback_share: float
    byte_fallback_share: float

    @property
    def token_change(self) -> float:
        """Relative change of the token count (-0.2: 20% fewer tokens)."""
        return self.tokens / self.base_tokens - 1


def checkpoint_label(model: str, source: str, step: int | None) -> str:
    return f"{model} @ step {step}" if step is not None else f"{model} ({source})"


def _scores(engine: Engine) -> dict[tuple[int, str], tuple[float | None, int]]:
    """(checkpoint, language) -> mean primary score over its tasks and how many tasks."""
    latest = latest_results(engine, PRIMARY, Filters(), per="checkpoint")
    query = (
        select(
            latest.c.checkpoint_id,
            latest.c.language,
            func.avg(latest.c.value).label("value"),
            func.count(latest.c.value).label("tasks"),
        )
        .where(latest.c.language.is_not(None))
        .group_by(latest.c.checkpoint_id, latest.c.language)
    )
    with engine.connect() as conn:
        return {(r.checkpoint_id, r.language): (r.value, r.tasks) for r in conn.execute(query)}


def tokenizer_rows(engine: Engine, split: str = "devtest") -> list[TokenizerRow]:
    """Every stored checkpoint x language of `split`, by model, step and language."""
    query = (
        select(TokenizerStat, Model.name, Checkpoint.source, Checkpoint.step)
        .join(Checkpoint, TokenizerStat.checkpoint_id == Checkpoint.id)
        .join(Model, Checkpoint.model_id == Model.id)
        .where(TokenizerStat.split == split)
        .order_by(Model.name, func.coalesce(Checkpoint.step, -1), Checkpoint.id, TokenizerStat.language)
    )
    scores = _scores(engine)
    with Session(engine) as session:
        out = []
        for stat, model, source, step in session.execute(query):
            score, tasks = scores.get((stat.checkpoint_id, stat.language), (None, 0))
            out.append(
                TokenizerRow(
                    checkpoint_id=stat.checkpoint_id,
                    model=model,
                    source=source,
                    step=step,
                    language=stat.language,
                    name=language_info(stat.language).name,
                    split=stat.split,
                    sentences=stat.sentences,
                    tokens=stat.tokens,
                    vocab_size=stat.vocab_size,
                    tokenizer_sha256=stat.tokenizer_sha256,
                    tokens_per_word=stat.tokens_per_word,
                    tokens_per_char=stat.tokens_per_char,
                    bytes_per_token=stat.bytes_per_token,
                    parity=stat.parity,
                    parity_of_totals=stat.parity_of_totals,
                    unk_share=stat.unk_tokens / stat.tokens,
                    byte_fallback_share=stat.byte_fallback_tokens / stat.tokens,
                    fallback_rule=stat.fallback_rule,
                    score=score,
                    score_tasks=tasks,
                )
            )
        return out


def tokenized_checkpoints(engine: Engine, split: str = "devtest") -> list[TokenizedCheckpoint]:
    """Checkpoints with statistics of `split`, labelled by model and step (or source).

    `parent_id` is the lineage parent when it has statistics, else a checkpoint with statistics
    and the parent's source: a recipe registers its base under the recipe's model, while
    `harness eval` or `tokenizer-report --base` register the same folder under the base's own name.
    """
    parent = aliased(Checkpoint)
    query = (
        select(Checkpoint.id, Model.name, Checkpoint.source, Checkpoint.step, parent.id.label("parent"))
        .add_columns(parent.source.label("parent_source"))
        .join(Model, Checkpoint.model_id == Model.id)
        .outerjoin(parent, Checkpoint.parent_id == parent.id)
        .where(Checkpoint.id.in_(select(TokenizerStat.checkpoint_id).where(TokenizerStat.split == split)))
        .order_by(Model.name, func.coalesce(Checkpoint.step, -1), Checkpoint.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    by_source: dict[str, int] = {}
    for r in rows:
        by_source.setdefault(r.source, r.id)
    ids = {r.id for r in rows}
    return [
        TokenizedCheckpoint(
            r.id,
            checkpoint_label(r.name, r.source, r.step),
            r.parent if r.parent in ids else by_source.get(r.parent_source) if r.parent_source else None,
        )
        for r in rows
    ]


def tokenizer_change(
    engine: Engine, checkpoint_id: int, base_id: int, split: str = "devtest"
) -> list[TokenizerChange]:
    """Per language both checkpoints have: the checkpoint's statistics against the base's."""
    base = select(TokenizerStat).where(TokenizerStat.checkpoint_id == base_id, TokenizerStat.split == split)
    after = select(TokenizerStat).where(
        TokenizerStat.checkpoint_id == checkpoint_id, TokenizerStat.split == split
    )
    with engine.connect() as conn:
        before = {row.language: row for row in conn.execute(base)}
        rows = sorted(conn.execute(after), key=lambda row: row.language)
    return [
        TokenizerChange(
            language=row.language,
            name=language_info(row.language).name,
            base_tokens=before[row.language].tokens,
            tokens=row.tokens,
            base_tokens_per_word=before[row.language].tokens_per_word,
            tokens_per_word=row.tokens_per_word,
            base_parity=before[row.language].parity,
            parity=row.parity,
            base_byte_fallback_share=before[row.language].byte_fallback_tokens / before[row.language].tokens,
            byte_fallback_share=row.byte_fallback_tokens / row.tokens,
        )
        for row in rows
        if row.language in before
    ]
