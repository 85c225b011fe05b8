"""first week: the record of deleted communities (community_deletions)

Revision ID: 0018_first_week
Revises: 0008_contributor_days

`tending communities delete` removes every row that carries the community's id, its audit log included, so
the audit row of the deletion itself lives here: which community (its former id, name and platform), when, who,
how many rows went, and where its erased members' tombstones went. The column is `former_community_id`, not
`community_id`, so that deleting another community never sweeps this record away.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0018_first_week"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_deletions",
        sa.Column("id", Key, nullable=False),
        sa.Column("former_community_id", Key, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(50), nullable=False),
        sa.Column("deleted_at", Timestamp(), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_deletions")),
    )


def downgrade() -> None:
    op.drop_table("community_deletions")
