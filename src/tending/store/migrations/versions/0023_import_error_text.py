"""import error text: a failed import's error, stored to be shown in the reader's language

Revision ID: 0023_import_error_text
Revises: 0008_contributor_days

imports.error holds the English sentence (logs, JSON, older rows); imports.error_text holds the same error as
its message key and values (TendingError.as_data), so the Sources page shows it in French to a French reader.
Rows written before this migration have none and keep showing their English sentence.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_import_error_text"
down_revision = "0008_contributor_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("imports", sa.Column("error_text", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("error_text")
