"""moderation: review queue, offender counts, repost fingerprints

Revision ID: 0005_moderation
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0005_moderation"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_items",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("activity_id", Key, nullable=True),
        sa.Column("member_id", Key, nullable=True),
        sa.Column("signal", sa.String(length=30), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("occurred_at", Timestamp(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("acted_by", sa.String(length=200), nullable=True),
        sa.Column("acted_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_items_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_items")),
        sa.UniqueConstraint(
            "community_id",
            "signal",
            "subject_key",
            name=op.f("uq_moderation_items_community_id_signal_subject_key"),
        ),
    )
    op.create_index(
        op.f("ix_moderation_items_community_id_status_occurred_at"),
        "moderation_items",
        ["community_id", "status", "occurred_at"],
    )
    op.create_index(
        op.f("ix_moderation_items_community_id_member_id"),
        "moderation_items",
        ["community_id", "member_id"],
    )
    op.create_table(
        "moderation_offenders",
        sa.Column("member_id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("removals", sa.Integer(), nullable=False),
        sa.Column("last_flag_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_offenders_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_moderation_offenders")),
    )
    op.create_index(
        op.f("ix_moderation_offenders_community_id_flags"),
        "moderation_offenders",
        ["community_id", "flags"],
    )
    op.create_table(
        "moderation_fingerprints",
        sa.Column("activity_id", Key, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("occurred_at", Timestamp(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_fingerprints_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint(
            "activity_id", "kind", "position", name=op.f("pk_moderation_fingerprints")
        ),
    )
    op.create_index(
        op.f("ix_moderation_fingerprints_community_id_kind_occurred_at"),
        "moderation_fingerprints",
        ["community_id", "kind", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_table("moderation_fingerprints")
    op.drop_table("moderation_offenders")
    op.drop_table("moderation_items")
