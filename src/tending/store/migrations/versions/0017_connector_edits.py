"""connector edits: deletions followed by live connectors; what each connector has fetched

Revision ID: 0017_connector_edits
Revises: 0008_contributor_days
Depends on: 0012_connectors (it adds a column to the connectors table)

activity_deletions (store/deletions.py): messages deleted on the platform after they were stored, so no
later import or sync brings them back. connectors.items_fetched: the activities a connector has stored,
counted in the transaction that stores them.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0017_connector_edits"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = ("0012_connectors",)


def upgrade() -> None:
    op.create_table(
        "activity_deletions",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("deleted_at", Timestamp(), nullable=True),
        sa.Column("recorded_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_activity_deletions_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_deletions")),
        sa.UniqueConstraint(
            "community_id",
            "source",
            "source_id",
            name=op.f("uq_activity_deletions_community_id_source_source_id"),
        ),
    )
    with op.batch_alter_table("connectors") as batch:
        batch.add_column(
            sa.Column("items_fetched", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("connectors") as batch:
        batch.drop_column("items_fetched")
    op.drop_table("activity_deletions")
