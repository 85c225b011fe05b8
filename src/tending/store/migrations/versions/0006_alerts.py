"""health: contribution rollups, message scores, raised alerts

Revision ID: 0006_alerts
Revises: 0001_foundation

- member_days / member_months: per-member daily and monthly contribution rollups kept exact at write
  time by store/ingest.py (see store/rollups.py); filled here from the activities already stored.
- message_scores: cheap per-message signals (sentiment, toxicity, flags) for trends and alerts.
- alerts: raised alerts, unique by dedupe key.
- three small indexes on members (measured on 1M members, see docs/health.md):
  ix_members_community_id_left_at: "who left in the window" is an index range, not a scan of every member;
  ix_members_present (partial: humans not merged): members_total, new members and the join cohorts read
  this narrow index instead of the wide rows (~1 s -> ~0.1 s on SQLite);
  ix_members_special (partial: bots, staff and merged members, a handful of rows): who to leave out of
  contributor counts and who is staff, without scanning the members or reading one per thread.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0006_alerts"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_days",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("community_id", "day", "member_id", name=op.f("pk_member_days")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_member_days_community_id_member_id_day"),
        "member_days",
        ["community_id", "member_id", "day"],
    )
    op.create_table(
        "member_months",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("join_month", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint(
            "community_id", "member_id", "month", name=op.f("pk_member_months")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_member_months_community_id_join_month_member_id_month"),
        "member_months",
        ["community_id", "join_month", "member_id", "month"],
    )
    op.create_table(
        "message_scores",
        sa.Column("activity_id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("occurred_at", Timestamp(), nullable=False),
        sa.Column("thread_id", Key, nullable=True),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("negative", sa.Boolean(), nullable=False),
        sa.Column("toxic", sa.Boolean(), nullable=True),
        sa.Column("off_topic", sa.Boolean(), nullable=True),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("scorer", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_message_scores_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_message_scores")),
    )
    op.create_index(
        op.f("ix_message_scores_community_id_occurred_at"),
        "message_scores",
        ["community_id", "occurred_at"],
    )
    op.create_table(
        "alerts",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("as_of", Timestamp(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("delivered_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_alerts_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "community_id", "dedupe_key", name=op.f("uq_alerts_community_id_dedupe_key")
        ),
    )
    op.create_index(
        op.f("ix_alerts_community_id_kind_day"), "alerts", ["community_id", "kind", "day"]
    )
    op.create_index(op.f("ix_members_community_id_left_at"), "members", ["community_id", "left_at"])
    humans = sa.text("NOT is_bot AND merged_into IS NULL")
    op.create_index(
        "ix_members_present",
        "members",
        ["community_id", "joined_at", "left_at", "id"],
        sqlite_where=humans,
        postgresql_where=humans,
    )
    special = sa.text("is_bot OR is_staff OR merged_into IS NOT NULL")
    op.create_index(
        "ix_members_special",
        "members",
        ["community_id", "id", "is_bot", "is_staff", "merged_into"],
        sqlite_where=special,
        postgresql_where=special,
    )

    from tending.store.rollups import rebuild_community_rollups

    rebuild_community_rollups(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_members_special", table_name="members")
    op.drop_index("ix_members_present", table_name="members")
    op.drop_index(op.f("ix_members_community_id_left_at"), table_name="members")
    op.drop_index(op.f("ix_alerts_community_id_kind_day"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_message_scores_community_id_occurred_at"), table_name="message_scores")
    op.drop_table("message_scores")
    op.drop_index(
        op.f("ix_member_months_community_id_join_month_member_id_month"), table_name="member_months"
    )
    op.drop_table("member_months")
    op.drop_index(op.f("ix_member_days_community_id_member_id_day"), table_name="member_days")
    op.drop_table("member_days")
