"""Each task result records its task's primary metric, the per-document form of it, and the
protocol its family follows (before, the app and the gate each guessed "primary" from the name).

Rows stored earlier get the primary metric their family had at this revision (frozen below, like
every migration's rules): chrF++ for FLORES and IF-MT, the term-usage rate for the terminology
tasks, the points rate for GAOKAO-Bench, accuracy otherwise; an imported lm-eval task gets `acc`
when it stored one. The protocol of those rows is left empty (unknown).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRIMARY = {
    "flores": ("chrf++", "chrf++"),
    "ifmt": ("chrf++", "chrf++"),
    "ifmt_terms": ("term_usage", "terms_used/terms_total"),
    "gaokao": ("points_rate", "points/points_available"),
}


def upgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.add_column(sa.Column("primary_metric", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sample_metric", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("protocol", sa.Text(), nullable=False, server_default=""))
    results = sa.table(
        "task_results",
        sa.column("run_id", sa.String),
        sa.column("task", sa.String),
        sa.column("family", sa.String),
        sa.column("metric", sa.String),
        sa.column("primary_metric", sa.String),
        sa.column("sample_metric", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(results.c.run_id, results.c.task, results.c.family, results.c.metric)).all()
    metrics: dict[tuple[str, str], set[str]] = {}
    families: dict[tuple[str, str], str | None] = {}
    for run_id, task, family, metric in rows:
        metrics.setdefault((run_id, task), set()).add(metric)
        families[(run_id, task)] = family
    for (run_id, task), stored in metrics.items():
        primary, sample = _PRIMARY.get(families[(run_id, task)] or "", ("acc", "acc"))
        if primary not in stored:
            continue  # not inferable: left None, and the task has no primary column in the app
        conn.execute(
            sa.update(results)
            .where(results.c.run_id == run_id, results.c.task == task)
            .values(primary_metric=primary, sample_metric=sample)
        )


def downgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.drop_column("protocol")
        batch.drop_column("sample_metric")
        batch.drop_column("primary_metric")
