"""team queue: claims on queue items, the columns the queue filters by, appeals

Revision ID: 0013_team_queue
Revises: 0008_contributor_days, 0005_moderation (whose table it changes)

moderation_items gains a claim (claimed_by, claimed_until: a lease the store checks before any decision),
and three facts of the finding the queue filters on without reading the evidence or joining: the
channel, the language and the author's account age when they posted. They are filled here for the items
already in the queue. moderation_appeals: a member disputes a decision; the original decision is kept on
the row and the outcome is recorded when the item is decided again.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0013_team_queue"
# 0005 is not an ancestor of 0008: this revision changes its table, so it descends from both
down_revision = ("0008_contributor_days", "0005_moderation")
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in (
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", Timestamp(), nullable=True),
        sa.Column("channel_id", Key, nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("account_age_days", sa.Float(), nullable=True),
    ):
        op.add_column("moderation_items", column)
    op.create_index(
        "ix_moderation_items_queue_signal",
        "moderation_items",
        ["community_id", "status", "signal", "occurred_at"],
    )
    # every column the filters read, so counting "N of M" under any filter reads the index alone
    op.create_index(
        "ix_moderation_items_filters",
        "moderation_items",
        ["community_id", "status", "signal", "channel_id", "score", "account_age_days", "language"],
    )
    op.create_index(
        "ix_moderation_items_decided_by",
        "moderation_items",
        ["community_id", "acted_by", "acted_at"],
    )
    op.create_table(
        "moderation_appeals",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("item_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", Timestamp(), nullable=False),
        sa.Column("original_action", sa.String(20), nullable=False),
        sa.Column("original_reply", sa.Text(), nullable=True),
        sa.Column("original_by", sa.String(200), nullable=True),
        sa.Column("original_at", Timestamp(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("decided_action", sa.String(20), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_moderation_appeals_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_appeals")),
    )
    op.create_index(
        op.f("ix_moderation_appeals_community_id_item_id"),
        "moderation_appeals",
        ["community_id", "item_id"],
    )
    _backfill(op.get_bind())


def _backfill(conn: Any) -> None:
    """The three facts of the items already queued, from their activity, evidence and author."""
    rows = conn.execute(
        sa.text(
            "SELECT i.id, a.channel_id, i.evidence, i.occurred_at, m.joined_at "
            "FROM moderation_items i LEFT JOIN activities a ON a.id = i.activity_id "
            "LEFT JOIN members m ON m.id = i.member_id"
        ).columns(
            sa.column("id"),
            sa.column("channel_id"),
            sa.column("evidence", sa.JSON()),
            sa.column("occurred_at", Timestamp()),
            sa.column("joined_at", Timestamp()),
        )
    ).all()
    updates = []
    for item_id, channel_id, evidence, occurred_at, joined_at in rows:
        lang = evidence.get("lang") if isinstance(evidence, dict) else None
        age = (occurred_at - joined_at).total_seconds() / 86400 if joined_at else None
        updates.append(
            {
                "item_id": item_id,
                "channel_id": channel_id,
                "language": lang[:8] if isinstance(lang, str) else None,
                "age": age,
            }
        )
    if updates:
        conn.execute(
            sa.text(
                "UPDATE moderation_items SET channel_id = :channel_id, language = :language, "
                "account_age_days = :age WHERE id = :item_id"
            ),
            updates,
        )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_moderation_appeals_community_id_item_id"), table_name="moderation_appeals"
    )
    op.drop_table("moderation_appeals")
    op.drop_index("ix_moderation_items_decided_by", table_name="moderation_items")
    op.drop_index("ix_moderation_items_filters", table_name="moderation_items")
    op.drop_index("ix_moderation_items_queue_signal", table_name="moderation_items")
    for name in ("account_age_days", "language", "channel_id", "claimed_until", "claimed_by"):
        with op.batch_alter_table("moderation_items") as batch:
            batch.drop_column(name)
