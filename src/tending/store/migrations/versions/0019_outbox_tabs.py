"""outbox tabs: a partial index per tab of the outbox page, in the listing's order

Revision ID: 0019_outbox_tabs
Revises: 0008_contributor_days, 0004_outbox

The outbox page lists "to review" (drafted, approved, sending, failed) or "sent and skipped", the latest
due first, 50 at a time. With only (community_id, status, due_at), PostgreSQL read the four states'
ranges and sorted all 100,000 drafted rows for each page (54 ms); a partial index per tab on
(community_id, due_at, id) is read in order and stops after 50 rows (0.1 ms). tending.store.outbox
writes the tab's IN list literally, in the order of these conditions, so both planners match it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_outbox_tabs"
down_revision = ("0008_contributor_days", "0004_outbox")  # the outbox table is 0004's
branch_labels = None
depends_on = None

TABS = {
    "ix_outbox_pending": "status IN ('drafted', 'approved', 'sending', 'failed')",
    "ix_outbox_done": "status IN ('sent', 'skipped')",
}


def upgrade() -> None:
    for name, condition in TABS.items():
        op.create_index(
            name,
            "outbox",
            ["community_id", "due_at", "id"],
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def downgrade() -> None:
    for name in TABS:
        op.drop_index(name, table_name="outbox")
