"""Model -> checkpoint -> run -> task result -> sample."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class RunStatus(StrEnum):
    """A run's state. The first four are stored; `interrupted` is only ever shown: the readers
    (`db.run_state.shown_status`) report it for a `running` run whose writer process is gone."""

    running = "running"
    """Its process is (or was, see `interrupted`) storing tasks."""
    complete = "complete"
    """Every task was stored."""
    failed = "failed"
    """It stopped on an error (`Run.error`); what it stored stays, `--resume` continues it."""
    partial = "partial"
    """It ended with some tasks refused (they could not run); the others are stored."""
    interrupted = "interrupted"
    """Shown, never stored: `running` in the database, but its process is gone (`kill -9`, a
    crash, a reboot); `--resume` continues it as it does a failed run."""


STORED_STATUSES = frozenset({RunStatus.running, RunStatus.complete, RunStatus.failed, RunStatus.partial})


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Model(Base):
    """A model family: every checkpoint of one training run, or one published model."""

    __tablename__ = "models"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checkpoints: Mapped[list["Checkpoint"]] = relationship(back_populates="model")


class Checkpoint(Base):
    """One set of weights: a folder, alias or hub id, with its place in training."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("model_id", "source", name="uq_checkpoint_source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    source: Mapped[str] = mapped_column(String(1024))
    """The `--model` argument, absolute when a path."""
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_seen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id"), default=None)
    recipe: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """From the checkpoint's manifest: the recipe that produced it (name, file hash, data mix, seed)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model: Mapped[Model] = relationship(back_populates="checkpoints")


class Run(Base):
    """One `harness eval` invocation; `status` is complete only after every task was stored."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.running)
    """A stored `RunStatus`: running, complete, failed or partial."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Versions (harness, lm-eval, transformers, torch, sacrebleu), backend, dtype, device,
    batch size, few-shot count and seed, limit, data source."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    """The host name of the process that writes the run (the last to start or resume it); None on
    runs stored before it was recorded."""
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    """That process's id on `host`."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    """When that process last wrote to the run (started, resumed it or stored a task), UTC."""
    checkpoint: Mapped[Checkpoint] = relationship()
    results: Mapped[list["TaskResult"]] = relationship(back_populates="run")


class TaskResult(Base):
    """One metric of one task in one run."""

    __tablename__ = "task_results"
    __table_args__ = (UniqueConstraint("run_id", "task", "metric", name="uq_result"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    task: Mapped[str] = mapped_column(String(255), index=True)
    family: Mapped[str | None] = mapped_column(String(32), default=None)
    """The task's registry family (`flores`, `xnli`, ...), as the family declared it (`TaskMeta`)."""
    language: Mapped[str | None] = mapped_column(String(32), default=None)
    """The language the task evaluates, a FLORES-200 code (`lin_Latn`); None when it has none. For a
    translation direction, its target."""
    source_language: Mapped[str | None] = mapped_column(String(32), default=None)
    """A translation direction's source language (`TaskMeta.source_language`); None otherwise."""
    primary_metric: Mapped[str | None] = mapped_column(String(64), default=None)
    """The task's primary metric (the same on every row of the task); None only on rows stored
    before it was recorded and not inferable."""
    sample_metric: Mapped[str | None] = mapped_column(String(128), default=None)
    """The primary metric per document: a samples' score key, or `numerator/denominator`."""
    protocol: Mapped[str] = mapped_column(Text, default="")
    """Whose protocol the task follows, one line from its family."""
    task_version: Mapped[str] = mapped_column(String(64))
    task_hash: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    """None when the metric was not computed (see `note`)."""
    stderr: Mapped[float | None] = mapped_column(Float, default=None)
    n: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    run: Mapped[Run] = relationship(back_populates="results")


class Sample(Base):
    """One scored document of one task in one run."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("run_id", "task", "doc_id", name="uq_sample"),
        Index("ix_samples_task_doc_hash", "task", "doc_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    task: Mapped[str] = mapped_column(String(255))
    doc_id: Mapped[int] = mapped_column(Integer)
    doc_hash: Mapped[str] = mapped_column(String(64))
    prompt: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TokenizerStat(Base):
    """How a checkpoint's tokenizer splits one language of FLORES-200 (`harness tokenizer-report`);
    one row per checkpoint, language and split, replaced by a rerun."""

    __tablename__ = "tokenizer_stats"
    __table_args__ = (UniqueConstraint("checkpoint_id", "language", "split", name="uq_tokenizer_stat"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    tokenizer_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 over the tokenizer's files (names and contents), as `harness.analysis.tokenizer_report`
    lists them."""
    vocab_size: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(32))
    """A FLORES-200 code (`lin_Latn`)."""
    split: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(32))
    """The language parity is measured against (`eng_Latn`)."""
    data_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the FLORES file the sentences came from."""
    sentences: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(BigInteger)
    words: Mapped[int] = mapped_column(BigInteger)
    """Whitespace-separated words (Python's `str.split`)."""
    chars: Mapped[int] = mapped_column(BigInteger)
    """Unicode code points, spaces included."""
    bytes: Mapped[int] = mapped_column(BigInteger)
    """UTF-8 bytes."""
    tokens_per_word: Mapped[float | None] = mapped_column(Float, default=None)
    """None for scripts written without spaces between words (Chinese, Japanese, Thai, ...)."""
    tokens_per_char: Mapped[float] = mapped_column(Float)
    bytes_per_token: Mapped[float] = mapped_column(Float)
    parity: Mapped[float] = mapped_column(Float)
    """Mean over the parallel sentences of tokens(language) / tokens(reference) (Petrov et al. 2023)."""
    parity_of_totals: Mapped[float] = mapped_column(Float)
    """Total tokens(language) / total tokens(reference)."""
    unk_tokens: Mapped[int] = mapped_column(BigInteger)
    byte_fallback_tokens: Mapped[int] = mapped_column(BigInteger)
    fallback_rule: Mapped[str] = mapped_column(String(32))
    """What counts as a byte-fallback token: `byte-pieces` (SentencePiece `<0xNN>`), `partial-utf8`
    (a byte-level token whose bytes alone are not valid UTF-8) or `none`."""
    signature: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
