"""Checkpoint lineage: the recipe from a checkpoint's manifest; tokens seen as a 64-bit count.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkpoints") as batch:
        batch.add_column(sa.Column("recipe", sa.JSON(), nullable=True))
        batch.alter_column(
            "tokens_seen", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("checkpoints") as batch:
        batch.alter_column(
            "tokens_seen", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
        batch.drop_column("recipe")
