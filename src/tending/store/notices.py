"""The team notices' rows in the outbox (rule "team-notice"), for their rate limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from tending.store.outbox import outbox


def get_notices_since(
    conn: Connection, community_id: int, *, rule: str, since: datetime
) -> list[tuple[datetime, str]]:
    """(due_at, status) of the rows of `rule` due at or after `since`, oldest first."""
    rows = conn.execute(
        select(outbox.c.due_at, outbox.c.status)
        .where(
            outbox.c.community_id == community_id,
            outbox.c.rule == rule,
            outbox.c.due_at >= since,
        )
        .order_by(outbox.c.due_at, outbox.c.id)
    ).all()
    return [(row.due_at, row.status) for row in rows]
