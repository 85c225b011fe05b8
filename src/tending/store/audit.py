"""The audit log: one row for every state change (who, what, when)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from tending.store.schema import audit_events
from tending.timeutil import utcnow


def record_event(
    conn: Connection,
    community_id: int,
    *,
    actor: str,
    action: str,
    member_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    conn.execute(
        insert(audit_events).values(
            community_id=community_id,
            occurred_at=at or utcnow(),
            actor=actor,
            action=action,
            member_id=member_id,
            details=details or {},
        )
    )


def bulk_record_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """rows: dicts with community_id, actor, action, and optionally member_id, details, occurred_at."""
    if not rows:
        return
    now = utcnow()
    conn.execute(
        insert(audit_events),
        [{"occurred_at": now, "member_id": None, "details": {}, **row} for row in rows],
    )


def get_events(
    conn: Connection, community_id: int, *, member_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(audit_events).where(audit_events.c.community_id == community_id)
    if member_id is not None:
        query = query.where(audit_events.c.member_id == member_id)
    query = query.order_by(audit_events.c.occurred_at.desc(), audit_events.c.id.desc()).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]
