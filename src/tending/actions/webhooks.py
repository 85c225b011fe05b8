"""Webhooks out: adding and removing a community's webhooks, turning new events into deliveries, and
sending what is due (the worker's tick calls do_enqueue_webhook_events then do_send_webhooks).

Events: `moderation.item` (a new item in the review queue), `alert.raised` (an early warning), and
`member.joined` (a member tending did not know before, bots left out). Payloads hold ids, kinds and
instants, never a name, an e-mail or a message's text: the receiver asks the JSON API for more with its
own token, so a webhook URL never becomes a copy of the members' data.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Connection, Engine

from tending.delivery.base import DeliveryError
from tending.delivery.webhooks import post_payload, webhook_client
from tending.errors import NotFoundError, UsageError
from tending.models import Community
from tending.store import webhooks as store
from tending.store.audit import record_event
from tending.store.webhooks import Webhook, WebhookDelivery
from tending.timeutil import isoformat_utc

EVENTS = ("moderation.item", "alert.raised", "member.joined")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
STALE_AFTER = timedelta(minutes=10)
BATCH = 500


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"URL: '{url}' is not an http(s) URL.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise UsageError(
            "URL: use https (plain http is accepted for 127.0.0.1 and localhost only)."
        )
    return url.strip()


def check_events(events: list[str]) -> list[str]:
    if not events:
        raise UsageError(f"--event: name at least one event ({', '.join(EVENTS)}).")
    for event in events:
        if event not in EVENTS:
            raise UsageError(
                f"--event: '{event}' is not an event (choose from {', '.join(EVENTS)})."
            )
    return sorted(set(events), key=EVENTS.index)


@dataclass(frozen=True, slots=True)
class NewWebhook:
    webhook: Webhook
    secret: str


def do_add_webhook(
    conn: Connection,
    community: Community,
    url: str,
    *,
    events: list[str],
    actor: str,
    now: datetime,
) -> NewWebhook:
    """A webhook for these events from now on (its cursors start at the newest rows: no history)."""
    url, events = check_url(url), check_events(events)
    secret = secrets.token_hex(32)
    webhook = store.insert_webhook(
        conn,
        community.id,
        url=url,
        events=events,
        secret=secret,
        cursors=store.get_last_ids(conn, community.id),
        at=now,
        actor=actor,
    )
    record_event(
        conn,
        community.id,
        actor=actor,
        action="webhook.added",
        at=now,
        details={"webhook_id": webhook.id, "events": events, "host": urlsplit(url).hostname},
    )
    return NewWebhook(webhook, secret)


def get_webhooks(conn: Connection, community: Community) -> list[Webhook]:
    return store.get_webhooks(conn, community.id)


def do_remove_webhook(
    conn: Connection, community: Community, webhook_id: int, *, actor: str, now: datetime
) -> None:
    webhook = store.get_webhook(conn, webhook_id)
    if webhook is None or webhook.community_id != community.id:
        raise NotFoundError(f"ID: no webhook {webhook_id} in community '{community.name}'.")
    store.delete_webhook(conn, webhook_id)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="webhook.removed",
        at=now,
        details={"webhook_id": webhook_id},
    )


def _data(event: str, row: dict[str, Any]) -> dict[str, Any]:
    if event == "moderation.item":
        return {
            "item_id": row["id"],
            "signal": row["signal"],
            "score": row["score"],
            "member_id": row["member_id"],
            "activity_id": row["activity_id"],
            "occurred_at": isoformat_utc(row["occurred_at"]),
        }
    if event == "alert.raised":
        return {
            "alert_id": row["id"],
            "kind": row["kind"],
            "severity": row["severity"],
            "summary": row["summary"],
            "as_of": isoformat_utc(row["as_of"]),
        }
    return {
        "member_id": row["id"],
        "platform": row["platform"],
        "joined_at": isoformat_utc(row["joined_at"]),
        "is_staff": bool(row["is_staff"]),
    }


def payload_of(community: Community, event: str, key: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": event,
        "key": key,
        "community": {"id": community.id, "name": community.name},
        "data": _data(event, row),
    }


def do_enqueue_webhook_events(conn: Connection, community: Community, *, now: datetime) -> int:
    """One pending delivery per webhook and event row created since its cursor. The key (event and row id)
    is unique per webhook, so enqueueing twice adds nothing. Returns how many deliveries were added."""
    added = 0
    for webhook in store.get_webhooks(conn, community.id):
        for event in webhook.events:
            rows = store.get_new_rows(
                conn, community.id, event, after=webhook.cursors.get(event, 0), limit=BATCH
            )
            for row in rows:
                key = f"{event}:{row['id']}"
                added += store.insert_delivery(
                    conn,
                    community.id,
                    webhook_id=webhook.id,
                    event=event,
                    key=key,
                    payload=payload_of(community, event, key, row),
                    at=now,
                )
            if rows:
                store.set_cursor(conn, webhook, event, rows[-1]["id"])
                webhook = store.get_webhook(conn, webhook.id) or webhook
    return added


@dataclass
class WebhookCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "recovered": self.recovered,
        }


def do_send_webhooks(
    engine: Engine,
    community: Community,
    *,
    now: datetime,
    http: httpx.Client | None = None,
    max_rows: int = 1000,
) -> WebhookCounts:
    """Claim due deliveries (a transaction each batch, before any network call), post each, record the
    outcome at once: a retry after an error waits BACKOFF; after MAX_ATTEMPTS it is failed."""
    counts = WebhookCounts()
    with engine.begin() as conn:
        counts.recovered = store.recover_stale(conn, community.id, before=now - STALE_AFTER)
        urls = {w.id: w for w in store.get_webhooks(conn, community.id)}
    own = http is None
    http = http or webhook_client()
    token, handled = uuid.uuid4().hex, 0
    try:
        while handled < max_rows:
            with engine.begin() as conn:
                batch = store.claim_deliveries(conn, community.id, now=now, token=token, limit=50)
            if not batch:
                break
            for delivery in batch:
                _send_one(
                    engine, urls[delivery.webhook_id], delivery, http=http, now=now, counts=counts
                )
            handled += len(batch)
    finally:
        if own:
            http.close()
    return counts


def _send_one(
    engine: Engine,
    webhook: Webhook,
    delivery: WebhookDelivery,
    *,
    http: httpx.Client,
    now: datetime,
    counts: WebhookCounts,
) -> None:
    try:
        post_payload(
            http,
            webhook.url,
            secret=webhook.secret,
            event=delivery.event,
            delivery=f"{webhook.id}:{delivery.key}",
            payload=delivery.payload,
        )
    except DeliveryError as error:
        retry = error.retry and delivery.attempts < MAX_ATTEMPTS
        with engine.begin() as conn:
            store.finish_delivery(
                conn,
                delivery.id,
                status=store.PENDING if retry else store.FAILED,
                at=now,
                next_attempt_at=now + BACKOFF[delivery.attempts - 1] if retry else None,
                error=str(error)[:300],
            )
        counts.retrying += retry
        counts.failed += not retry
        counts.errors.append(str(error))
        return
    with engine.begin() as conn:
        store.finish_delivery(conn, delivery.id, status=store.SENT, at=now)
    counts.sent += 1


def get_deliveries(
    conn: Connection, community: Community, *, webhook_id: int | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    return store.get_deliveries(conn, community.id, webhook_id=webhook_id, limit=limit)


def get_delivery_counts(conn: Connection, community: Community) -> dict[int, dict[str, int]]:
    """Per webhook, how many deliveries are pending, sending, sent and failed."""
    counts = store.count_deliveries(conn, community.id)
    return {
        webhook.id: {
            status: counts.get(webhook.id, {}).get(status, 0)
            for status in (store.PENDING, store.SENDING, store.SENT, store.FAILED)
        }
        for webhook in store.get_webhooks(conn, community.id)
    }
