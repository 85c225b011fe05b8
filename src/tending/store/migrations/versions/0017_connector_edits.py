"""connector edits: deletions followed by live connectors; what each connector has fetched

Revision ID: 0017_connector_edits
Revises: 0008_contributor_days

activity_deletions (store/deletions.py): messages deleted on the platform after they were stored, so no
later import or sync brings them back. connector_counts (store/connectors.py): the activities each
connector has stored, counted in the transaction that stores them; a table of its own, keyed by the
connector's id without a foreign key, so this head does not depend on 0012_connectors's.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0017_connector_edits"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


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
    op.create_table(
        "connector_counts",
        sa.Column("connector_id", Key, nullable=False),
        sa.Column("items_fetched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("connector_id", name=op.f("pk_connector_counts")),
    )


def downgrade() -> None:
    op.drop_table("connector_counts")
    op.drop_table("activity_deletions")
