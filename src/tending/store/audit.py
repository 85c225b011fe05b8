"""The audit log: one row for every state change (who, what, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

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


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events a log shows: all narrow (None or empty: no condition)."""

    prefix: str | None = None  # "moderation.": one area's events
    actions: tuple[str, ...] = ()
    actor: str | None = None
    item_id: int | None = None  # details.item_id
    member_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _event_conditions(community_id: int, query: EventQuery) -> list[Any]:
    events = audit_events.c
    found: list[Any] = [events.community_id == community_id]
    if query.prefix:
        found.append(events.action.startswith(query.prefix, autoescape=True))
    if query.actions:
        found.append(events.action.in_(query.actions))
    if query.actor:
        found.append(events.actor == query.actor)
    if query.member_id is not None:
        found.append(events.member_id == query.member_id)
    if query.item_id is not None:
        found.append(events.details["item_id"].as_integer() == query.item_id)
    if query.since is not None:
        found.append(events.occurred_at >= query.since)
    if query.until is not None:
        found.append(events.occurred_at < query.until)
    return found


def find_events(
    conn: Connection, community_id: int, query: EventQuery, *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    statement = (
        select(audit_events)
        .where(*_event_conditions(community_id, query))
        .order_by(audit_events.c.occurred_at.desc(), audit_events.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in conn.execute(statement)]


def count_events(conn: Connection, community_id: int, query: EventQuery) -> int:
    statement = (
        select(func.count())
        .select_from(audit_events)
        .where(*_event_conditions(community_id, query))
    )
    return int(conn.execute(statement).scalar_one())
