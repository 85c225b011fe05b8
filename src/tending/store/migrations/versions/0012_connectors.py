"""connectors: live connectors (kind, target, credential references, state, cursor)

Revision ID: 0012_connectors
Revises: 0008_contributor_days

One row per connector of a community (store/connectors.py). Credentials are references (env:NAME,
config:KEY), never values; the cursor is written with the rows it stands for.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0012_connectors"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connectors",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("credentials", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("last_sync_at", Timestamp(), nullable=True),
        sa.Column("last_ok_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_connectors_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
    )
    op.create_index(op.f("ix_connectors_community_id"), "connectors", ["community_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_connectors_community_id"), table_name="connectors")
    op.drop_table("connectors")
