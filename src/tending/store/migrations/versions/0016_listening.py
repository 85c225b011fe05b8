"""listening: the queries a community listens with (listen_queries) and the mentions they heard

Revision ID: 0016_listening
Revises: 0008_contributor_days

One row per listening query (store/listening.py): source, URL, keywords as typed, state and cursor.
One row per mention, unique by (community, source, external id), with its scores and its state.
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0016_listening"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listen_queries",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("last_run_at", Timestamp(), nullable=True),
        sa.Column("last_ok_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_listen_queries_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listen_queries")),
    )
    op.create_index(op.f("ix_listen_queries_community_id"), "listen_queries", ["community_id"])
    op.create_table(
        "mentions",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("author", sa.String(300), nullable=True),
        sa.Column("published_at", Timestamp(), nullable=False),
        sa.Column("heard_at", Timestamp(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(10), nullable=True),
        sa.Column("sentiment", sa.String(10), nullable=False),
        sa.Column("score_sentiment", sa.Float(), nullable=False),
        sa.Column("score_complaint", sa.Float(), nullable=False),
        sa.Column("score_toxicity", sa.Float(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("query_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("acted_at", Timestamp(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_mentions_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
        sa.UniqueConstraint(
            "community_id",
            "source",
            "external_id",
            name=op.f("uq_mentions_community_id_source_external_id"),
        ),
    )
    op.create_index(
        op.f("ix_mentions_community_id_published_at"), "mentions", ["community_id", "published_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mentions_community_id_published_at"), table_name="mentions")
    op.drop_table("mentions")
    op.drop_index(op.f("ix_listen_queries_community_id"), table_name="listen_queries")
    op.drop_table("listen_queries")
