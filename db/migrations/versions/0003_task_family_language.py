"""Task family and language on each task result (for the app's grouping), filled in from the
task names of the rows already stored; indexes for the app's queries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from db.languages import task_meta

    with op.batch_alter_table("task_results") as batch:
        batch.add_column(sa.Column("family", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=32), nullable=True))
    results = sa.table(
        "task_results",
        sa.column("task", sa.String),
        sa.column("family", sa.String),
        sa.column("language", sa.String),
    )
    conn = op.get_bind()
    for task in conn.execute(sa.select(results.c.task).distinct()).scalars().all():
        family, language = task_meta(task)
        conn.execute(
            sa.update(results).where(results.c.task == task).values(family=family, language=language)
        )


def downgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.drop_column("language")
        batch.drop_column("family")
