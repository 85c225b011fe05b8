"""outbox, recipients, delivery rooms, playbook actions, enabled playbooks

Revision ID: 0004_outbox
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

from tending.store.schema import Key, Timestamp

revision = "0004_outbox"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _community_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["community_id"], ["communities.id"], name=op.f(f"fk_{table}_community_id_communities")
    )


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("due_at", Timestamp(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("skip_reason", sa.String(length=50), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("needs_check", sa.Boolean(), nullable=False),
        sa.Column("external_ref", sa.String(length=500), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", Timestamp(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.Column("sent_at", Timestamp(), nullable=True),
        _community_fk("outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("community_id", "key", name=op.f("uq_outbox_community_id_key")),
    )
    op.create_index(
        op.f("ix_outbox_community_id_status_due_at"),
        "outbox",
        ["community_id", "status", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outbox_community_id_rule_due_at"),
        "outbox",
        ["community_id", "rule", "due_at"],
        unique=False,
    )

    op.create_table(
        "outbox_recipients",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("outbox_id", Key, nullable=False),
        sa.Column("member_id", Key, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sent_at", Timestamp(), nullable=True),
        sa.Column("external_ref", sa.String(length=500), nullable=True),
        _community_fk("outbox_recipients"),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_outbox_recipients_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("outbox_id", "member_id", name=op.f("pk_outbox_recipients")),
    )
    op.create_index(
        op.f("ix_outbox_recipients_community_id_member_id"),
        "outbox_recipients",
        ["community_id", "member_id"],
        unique=False,
    )

    op.create_table(
        "delivery_rooms",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("room_id", sa.String(length=300), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        _community_fk("delivery_rooms"),
        sa.PrimaryKeyConstraint(
            "community_id", "transport", "address", name=op.f("pk_delivery_rooms")
        ),
    )

    op.create_table(
        "playbook_actions",
        sa.Column("community_id", Key, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("member_id", Key, nullable=True),
        sa.Column("done_at", Timestamp(), nullable=False),
        _community_fk("playbook_actions"),
        sa.PrimaryKeyConstraint("community_id", "key", name=op.f("pk_playbook_actions")),
    )

    op.create_table(
        "onboarding_playbooks",
        sa.Column("id", Key, nullable=False),
        sa.Column("community_id", Key, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("since", Timestamp(), nullable=False),
        sa.Column("last_run_at", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        _community_fk("onboarding_playbooks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_playbooks")),
        sa.UniqueConstraint("community_id", name=op.f("uq_onboarding_playbooks_community_id")),
    )


def downgrade() -> None:
    op.drop_table("onboarding_playbooks")
    op.drop_table("playbook_actions")
    op.drop_table("delivery_rooms")
    op.drop_index(
        op.f("ix_outbox_recipients_community_id_member_id"), table_name="outbox_recipients"
    )
    op.drop_table("outbox_recipients")
    op.drop_index(op.f("ix_outbox_community_id_rule_due_at"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_community_id_status_due_at"), table_name="outbox")
    op.drop_table("outbox")
