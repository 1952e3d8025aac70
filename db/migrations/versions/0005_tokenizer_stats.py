"""Tokenizer statistics per checkpoint, language and split (`harness tokenizer-report`): tokens per
word and per character, bytes per token, parity with English, unknown and byte-fallback tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tokenizer_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("tokenizer_sha256", sa.String(length=64), nullable=False),
        sa.Column("vocab_size", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("split", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("sentences", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("words", sa.BigInteger(), nullable=False),
        sa.Column("chars", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("tokens_per_word", sa.Float(), nullable=True),
        sa.Column("tokens_per_char", sa.Float(), nullable=False),
        sa.Column("bytes_per_token", sa.Float(), nullable=False),
        sa.Column("parity", sa.Float(), nullable=False),
        sa.Column("parity_of_totals", sa.Float(), nullable=False),
        sa.Column("unk_tokens", sa.BigInteger(), nullable=False),
        sa.Column("byte_fallback_tokens", sa.BigInteger(), nullable=False),
        sa.Column("fallback_rule", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["checkpoints.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkpoint_id", "language", "split", name="uq_tokenizer_stat"),
    )
    op.create_index("ix_tokenizer_stats_checkpoint_id", "tokenizer_stats", ["checkpoint_id"])


def downgrade() -> None:
    op.drop_index("ix_tokenizer_stats_checkpoint_id", table_name="tokenizer_stats")
    op.drop_table("tokenizer_stats")
