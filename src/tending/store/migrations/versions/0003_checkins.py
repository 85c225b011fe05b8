"""check-ins, and the indexes that answer "who is inactive" and the segments without scanning

Revision ID: 0003_checkins
Revises: 0001_foundation

- checkins: one row per private check-in (see tending.store.checkins).
- ix_members_eligibility: covers "joined before T, not left, not a bot, not merged", so counting the
  members a question is about reads the index alone.
- ix_activities_contributions: a partial index over contributions only, by member then instant (the kind
  is there so that SQLite reads the index alone): a member's contributions in any window are counted by one
  index range, without touching the table (segments, past --as-of, check-in outcomes).
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0003_checkins"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

CONTRIBUTIONS = "kind IN ('post', 'reply', 'comment')"


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("drafted_at", Timestamp(), nullable=False),
        sa.Column("contacted_at", Timestamp(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("message_ref", sa.String(length=200), nullable=True),
        sa.Column("draft_text", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_checkins_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(
        op.f("ix_checkins_community_id_member_id_drafted_at"),
        "checkins",
        ["community_id", "member_id", "drafted_at"],
    )
    op.create_index(
        op.f("ix_checkins_community_id_drafted_at"), "checkins", ["community_id", "drafted_at"]
    )
    op.create_index(
        "ix_members_eligibility",
        "members",
        ["community_id", "joined_at", "left_at", "is_bot", "merged_into"],
    )
    op.create_index(
        "ix_activities_contributions",
        "activities",
        ["community_id", "member_id", "occurred_at", "kind"],
        sqlite_where=sa.text(CONTRIBUTIONS),
        postgresql_where=sa.text(CONTRIBUTIONS),
    )


def downgrade() -> None:
    op.drop_index("ix_activities_contributions", table_name="activities")
    op.drop_index("ix_members_eligibility", table_name="members")
    op.drop_index(op.f("ix_checkins_community_id_drafted_at"), table_name="checkins")
    op.drop_index(op.f("ix_checkins_community_id_member_id_drafted_at"), table_name="checkins")
    op.drop_table("checkins")
