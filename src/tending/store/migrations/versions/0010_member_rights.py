"""members' rights: erasure tombstones, the installation's secret, the retention pass's last run, and how a
public post was rendered (so it can be rendered again without a member who must not be named)

Revision ID: 0010_member_rights
Revises: 0008_contributor_days
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0010_member_rights"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_secrets")),
    )
    op.create_table(
        "member_tombstones",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("member_id", Key, nullable=True),
        sa.Column("erased_at", Timestamp(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_member_tombstones_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_tombstones")),
        sa.UniqueConstraint(
            "community_id", "key", name=op.f("uq_member_tombstones_community_id_key")
        ),
    )
    op.create_index(
        op.f("ix_member_tombstones_community_id_member_id"),
        "member_tombstones",
        ["community_id", "member_id"],
        unique=False,
    )
    op.create_table(
        "retention_runs",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("last_run_at", Timestamp(), nullable=False),
        sa.Column("cleared", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_retention_runs_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_retention_runs")),
    )
    op.create_table(
        "outbox_renders",
        sa.Column("outbox_id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_outbox_renders_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_outbox_renders")),
    )


def downgrade() -> None:
    op.drop_table("outbox_renders")
    op.drop_table("retention_runs")
    op.drop_index(
        op.f("ix_member_tombstones_community_id_member_id"), table_name="member_tombstones"
    )
    op.drop_table("member_tombstones")
    op.drop_table("installation_secrets")
