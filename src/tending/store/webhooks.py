"""Webhooks out: the URLs a community's staff asked to be told about events, and one row per delivery.

Tables (created by migration 0009_api_tokens):
- webhooks: a URL, the events it wants, the secret that signs its payloads (kept in clear: signing needs
  it, as a Discord webhook URL or an SMTP password does), and one cursor per event, the highest row id
  already turned into deliveries (a new webhook starts at the present, not with the history).
- webhook_deliveries: one row per (webhook, event occurrence), unique by (webhook_id, key) where the key
  names the event and its row ("moderation.item:42"). Enqueueing twice is a no-op, so two ticks, or two
  workers, never deliver an event twice. States: pending -> sending -> sent, or failed after the last
  attempt; a pending row waits for next_attempt_at (backoff after an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from tending.store.alerts import alerts
from tending.store.moderation import moderation_items
from tending.store.schema import Key, Timestamp, community_fk, members, metadata

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("cursors", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("created_by", String(320), nullable=False),
    Index(None, "community_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("webhook_id", Key, ForeignKey("webhooks.id"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("sent_at", Timestamp),
    Column("claim_token", String(64)),
    Column("last_error", String(300)),
    UniqueConstraint("webhook_id", "key"),
    Index(None, "community_id", "status", "next_attempt_at"),
)

# the table each event comes from, whose ids the cursors follow
SOURCES = {"moderation.item": moderation_items, "alert.raised": alerts, "member.joined": members}


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    community_id: int
    url: str
    events: tuple[str, ...]
    secret: str
    cursors: dict[str, int]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: int
    webhook_id: int
    event: str
    key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        community_id=row.community_id,
        url=row.url,
        events=tuple(row.events),
        secret=row.secret,
        cursors={k: int(v) for k, v in (row.cursors or {}).items()},
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event=row.event,
        key=row.key,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


def get_last_ids(conn: Connection, community_id: int) -> dict[str, int]:
    """The highest id of each event's table in the community: where a new webhook's cursors start."""
    return {
        event: int(
            conn.execute(
                select(func.coalesce(func.max(table.c.id), 0)).where(
                    table.c.community_id == community_id
                )
            ).scalar_one()
        )
        for event, table in SOURCES.items()
    }


def insert_webhook(
    conn: Connection,
    community_id: int,
    *,
    url: str,
    events: list[str],
    secret: str,
    cursors: dict[str, int],
    at: datetime,
    actor: str,
) -> Webhook:
    result = conn.execute(
        insert(webhooks).values(
            community_id=community_id,
            url=url,
            events=events,
            secret=secret,
            cursors=cursors,
            created_at=at,
            created_by=actor,
        )
    )
    found = get_webhook(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]
    assert found is not None
    return found


def get_webhook(conn: Connection, webhook_id: int) -> Webhook | None:
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
    return _webhook(row) if row else None


def get_webhooks(conn: Connection, community_id: int) -> list[Webhook]:
    query = select(webhooks).where(webhooks.c.community_id == community_id).order_by(webhooks.c.id)
    return [_webhook(row) for row in conn.execute(query)]


def delete_webhook(conn: Connection, webhook_id: int) -> None:
    conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
    conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))


def set_cursor(conn: Connection, webhook: Webhook, event: str, last_id: int) -> None:
    conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook.id)
        .values(cursors={**webhook.cursors, event: last_id})
    )


def get_new_rows(
    conn: Connection, community_id: int, event: str, *, after: int, limit: int
) -> list[dict[str, Any]]:
    """The event's rows created after id `after`, oldest first (members: not bots, not merged away)."""
    table = SOURCES[event]
    query = select(table).where(table.c.community_id == community_id, table.c.id > after)
    if event == "member.joined":
        query = query.where(table.c.is_bot.is_(False), table.c.merged_into.is_(None))
    return [dict(row._mapping) for row in conn.execute(query.order_by(table.c.id).limit(limit))]


def get_max_id(conn: Connection, community_id: int, event: str) -> int:
    table = SOURCES[event]
    return int(
        conn.execute(
            select(func.coalesce(func.max(table.c.id), 0)).where(
                table.c.community_id == community_id
            )
        ).scalar_one()
    )


def insert_delivery(
    conn: Connection,
    community_id: int,
    *,
    webhook_id: int,
    event: str,
    key: str,
    payload: dict[str, Any],
    at: datetime,
) -> bool:
    """Add a pending delivery unless (webhook, key) already has one. Returns whether a row was added."""
    exists = conn.execute(
        select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.webhook_id == webhook_id, webhook_deliveries.c.key == key
        )
    ).first()
    if exists is not None:
        return False
    conn.execute(
        insert(webhook_deliveries).values(
            community_id=community_id,
            webhook_id=webhook_id,
            event=event,
            key=key,
            payload=payload,
            status=PENDING,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
    return True


def claim_deliveries(
    conn: Connection, community_id: int, *, now: datetime, token: str, limit: int
) -> list[WebhookDelivery]:
    """Move up to `limit` due pending rows to sending under `token` (attempts + 1): a row another worker
    claimed in between is not updated (the status check is in the UPDATE), so it is never sent twice."""
    due = and_(
        webhook_deliveries.c.community_id == community_id,
        webhook_deliveries.c.status == PENDING,
        webhook_deliveries.c.next_attempt_at <= now,
    )
    ids = list(
        conn.execute(
            select(webhook_deliveries.c.id)
            .where(due)
            .order_by(webhook_deliveries.c.id)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return []
    conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id.in_(ids), webhook_deliveries.c.status == PENDING)
        .values(
            status=SENDING,
            claim_token=token,
            attempts=webhook_deliveries.c.attempts + 1,
            next_attempt_at=now,
        )
    )
    query = select(webhook_deliveries).where(
        webhook_deliveries.c.claim_token == token, webhook_deliveries.c.status == SENDING
    )
    return [_delivery(row) for row in conn.execute(query.order_by(webhook_deliveries.c.id))]


def finish_delivery(
    conn: Connection,
    delivery_id: int,
    *,
    status: str,
    at: datetime,
    next_attempt_at: datetime | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "claim_token": None, "last_error": error}
    if status == SENT:
        values["sent_at"] = at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(
        update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values)
    )


def recover_stale(conn: Connection, community_id: int, *, before: datetime) -> int:
    """Rows a dead worker left in sending (claimed before `before`) go back to pending; a receiver dedupes
    on the X-Tending-Delivery header."""
    result = conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.community_id == community_id,
            webhook_deliveries.c.status == SENDING,
            webhook_deliveries.c.next_attempt_at <= before,
        )
        .values(status=PENDING, claim_token=None)
    )
    return int(result.rowcount or 0)


def count_deliveries(conn: Connection, community_id: int) -> dict[int, dict[str, int]]:
    """How many deliveries each webhook has in each status."""
    query = (
        select(webhook_deliveries.c.webhook_id, webhook_deliveries.c.status, func.count())
        .where(webhook_deliveries.c.community_id == community_id)
        .group_by(webhook_deliveries.c.webhook_id, webhook_deliveries.c.status)
    )
    found: dict[int, dict[str, int]] = {}
    for webhook_id, status, count in conn.execute(query):
        found.setdefault(int(webhook_id), {})[status] = int(count)
    return found


def get_deliveries(
    conn: Connection, community_id: int, *, webhook_id: int | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    query = select(webhook_deliveries).where(webhook_deliveries.c.community_id == community_id)
    if webhook_id is not None:
        query = query.where(webhook_deliveries.c.webhook_id == webhook_id)
    return [
        _delivery(row)
        for row in conn.execute(query.order_by(webhook_deliveries.c.id.desc()).limit(limit))
    ]
