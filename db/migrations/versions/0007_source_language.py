"""Each task result records its translation source language beside its language (which, for a
translation direction, is now its target), so that language views and `harness compare` place a
direction by both (`core.languages.placed_language`).

Rows stored earlier keep NULL (their language was the non-English side of the direction).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.add_column(sa.Column("source_language", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.drop_column("source_language")
