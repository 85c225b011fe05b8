"""reliability: the workers' heartbeats (worker_heartbeats)

Revision ID: 0011_reliability
Revises: 0008_contributor_days

One row per `tending worker` (host:pid): when it started, its last tick, its last good tick and that tick's
summary, its last error. `tending status` and the admins' /healthz detail read it (store/workers.py).
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Timestamp

revision = "0011_reliability"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("started_at", Timestamp(), nullable=False),
        sa.Column("last_tick_at", Timestamp(), nullable=False),
        sa.Column("last_ok_at", Timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_summary", sa.Text(), nullable=True),
        sa.Column("ticks", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
