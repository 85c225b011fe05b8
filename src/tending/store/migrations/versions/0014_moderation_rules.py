"""moderation_rules: a community's own moderation rules file (YAML source), over the shipped rules

Revision ID: 0014_moderation_rules
Revises: 0008_contributor_days

One row per community that overrides the shipped rules (store/moderation_rules.py); the source is
kept as written, so `tending moderate rules` and error messages can name its lines.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0014_moderation_rules"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_rules",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("saved_at", Timestamp(), nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_rules_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_moderation_rules")),
    )


def downgrade() -> None:
    op.drop_table("moderation_rules")
