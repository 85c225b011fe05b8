"""A community's own moderation rules: the YAML source of its override file, one row per community
(migration 0014_moderation_rules). No row: the shipped rules apply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from tending.store.schema import Key, Timestamp, metadata

moderation_rules = Table(
    "moderation_rules",
    metadata,
    Column("community_id", Key, ForeignKey("communities.id"), primary_key=True),
    Column("source", Text, nullable=False),
    Column("saved_at", Timestamp, nullable=False),
    Column("saved_by", String(200), nullable=False),
)


def get_rules_source(conn: Connection, community_id: int) -> str | None:
    return conn.execute(
        select(moderation_rules.c.source).where(moderation_rules.c.community_id == community_id)
    ).scalar_one_or_none()


def save_rules_source(
    conn: Connection, community_id: int, *, source: str, at: datetime, actor: str
) -> None:
    values = {"source": source, "saved_at": at, "saved_by": actor[:200]}
    changed = conn.execute(
        update(moderation_rules)
        .where(moderation_rules.c.community_id == community_id)
        .values(**values)
    ).rowcount
    if not changed:
        conn.execute(insert(moderation_rules).values(community_id=community_id, **values))


def delete_rules_source(conn: Connection, community_id: int) -> bool:
    return bool(
        conn.execute(
            delete(moderation_rules).where(moderation_rules.c.community_id == community_id)
        ).rowcount
    )


def get_queued_since(
    conn: Connection, community_id: int, *, signals: list[str], since: datetime | None
) -> list[dict[str, Any]]:
    """The queue's items (any status) of `signals` about what happened since `since`: what the scans
    found for the signals a backtest compares by on/off only (reposts, heated threads, drift)."""
    from tending.store.moderation import moderation_items as items

    query = select(
        items.c.id,
        items.c.activity_id,
        items.c.member_id,
        items.c.signal,
        items.c.score,
        items.c.occurred_at,
        items.c.evidence,
    ).where(items.c.community_id == community_id, items.c.signal.in_(signals))
    if since is not None:
        query = query.where(items.c.occurred_at >= since)
    return [dict(row._mapping) for row in conn.execute(query.order_by(items.c.id))]


def get_items_created(
    conn: Connection, community_id: int, *, at: datetime, signals: list[str]
) -> list[dict[str, Any]]:
    """The queue items of `signals` a scan created at `at` (a scan stamps its items with its clock)."""
    from tending.store.moderation import moderation_items as items

    if not signals:
        return []
    query = (
        select(items.c.id, items.c.signal, items.c.score, items.c.evidence)
        .where(
            items.c.community_id == community_id,
            items.c.created_at == at,
            items.c.signal.in_(signals),
        )
        .order_by(items.c.id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
