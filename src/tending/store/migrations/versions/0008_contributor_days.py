"""segments: each UTC day's contributors, packed (contributor_days)

Revision ID: 0008_contributor_days
Revises: 0006_alerts

contributor_days holds, per (community, UTC day), the day's contributors as a sorted int64 array of member
ids and their int32 contribution counts (little-endian binary), so a window's contributors are one row per
day (see store/contributor_days.py). It derives from member_days (created by 0006), which fills it here for
databases that already hold activities.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key

revision = "0008_contributor_days"
down_revision = "0006_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contributor_days",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
        sa.Column("member_ids", sa.LargeBinary(), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "day", name=op.f("pk_contributor_days")),
    )

    from tending.store.contributor_days import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("contributor_days")
