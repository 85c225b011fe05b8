"""foundation tables

Revision ID: 0001_foundation
Revises: (none)
Create Date: 2026-11-21 08:11:43.077489
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", Key, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("name", name=op.f("uq_communities_name")),
    )
    op.create_table(
        "activities",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", Timestamp(), nullable=False),
        sa.Column("thread_id", Key, nullable=True),
        sa.Column("parent_id", Key, nullable=True),
        sa.Column("parent_source_id", sa.String(length=200), nullable=True),
        sa.Column("channel_id", Key, nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_activities_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "community_id",
            "source",
            "source_id",
            name=op.f("uq_activities_community_id_source_source_id"),
        ),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_community_id_member_id_occurred_at"),
            ["community_id", "member_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activities_community_id_occurred_at"),
            ["community_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activities_community_id_thread_id_occurred_at"),
            ["community_id", "thread_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "audit_events",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("occurred_at", Timestamp(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("member_id", Key, nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_audit_events_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_community_id_member_id"),
            ["community_id", "member_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_community_id_occurred_at"),
            ["community_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "channels",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_channels_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint(
            "community_id",
            "platform",
            "external_id",
            name=op.f("uq_channels_community_id_platform_external_id"),
        ),
    )
    op.create_table(
        "imports",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("source_path", sa.String(length=2000), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", Timestamp(), nullable=False),
        sa.Column("finished_at", Timestamp(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_imports_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imports_community_id_started_at"),
            ["community_id", "started_at"],
            unique=False,
        )

    op.create_table(
        "member_stats",
        sa.Column("member_id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("first_activity_at", Timestamp(), nullable=True),
        sa.Column("last_activity_at", Timestamp(), nullable=True),
        sa.Column("first_contribution_at", Timestamp(), nullable=True),
        sa.Column("last_contribution_at", Timestamp(), nullable=True),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_member_stats_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_stats")),
    )
    with op.batch_alter_table("member_stats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_stats_community_id_last_contribution_at"),
            ["community_id", "last_contribution_at"],
            unique=False,
        )

    op.create_table(
        "members",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("handle", sa.String(length=300), nullable=True),
        sa.Column("joined_at", Timestamp(), nullable=True),
        sa.Column("joined_at_exact", sa.Boolean(), nullable=False),
        sa.Column("left_at", Timestamp(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("merged_into", Key, nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_members_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint(
            "community_id",
            "platform",
            "external_id",
            name=op.f("uq_members_community_id_platform_external_id"),
        ),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_members_community_id_joined_at"),
            ["community_id", "joined_at"],
            unique=False,
        )

    op.create_table(
        "threads",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("channel_id", Key, nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("started_by", Key, nullable=True),
        sa.Column("started_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_threads_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threads")),
        sa.UniqueConstraint(
            "community_id",
            "platform",
            "external_id",
            name=op.f("uq_threads_community_id_platform_external_id"),
        ),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_threads_community_id_started_at"),
            ["community_id", "started_at"],
            unique=False,
        )

    op.create_table(
        "identities",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_identities_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_identities_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint(
            "community_id",
            "platform",
            "external_id",
            name=op.f("uq_identities_community_id_platform_external_id"),
        ),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identities_community_id_email"), ["community_id", "email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_identities_community_id_member_id"),
            ["community_id", "member_id"],
            unique=False,
        )

    op.create_table(
        "member_tags",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_member_tags_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_tags_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", "tag", name=op.f("pk_member_tags")),
    )
    with op.batch_alter_table("member_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_tags_community_id_tag"), ["community_id", "tag"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("member_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_tags_community_id_tag"))

    op.drop_table("member_tags")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_community_id_member_id"))
        batch_op.drop_index(batch_op.f("ix_identities_community_id_email"))

    op.drop_table("identities")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_threads_community_id_started_at"))

    op.drop_table("threads")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_community_id_joined_at"))

    op.drop_table("members")
    with op.batch_alter_table("member_stats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_stats_community_id_last_contribution_at"))

    op.drop_table("member_stats")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imports_community_id_started_at"))

    op.drop_table("imports")
    op.drop_table("channels")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_community_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_community_id_member_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_community_id_thread_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_activities_community_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_activities_community_id_member_id_occurred_at"))

    op.drop_table("activities")
    op.drop_table("communities")
