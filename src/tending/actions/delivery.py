"""Delivering what is approved and due: claim rows (one worker per row), send, record. The only caller of
the transports.

Order of events for one row, each step its own transaction:
1. claim_due: approved & due -> sending (attempts + 1), committed before any network call;
2. for a private message or e-mail, each recipient in turn: checked again (do-not-contact, left), sent,
   and recorded at once (recipient sent_at + a message_sent timeline entry), so a retry or a crash never
   re-sends to someone already recorded;
3. the row -> sent; or, on error: retried with backoff, failed, or needs_check (partial delivery).
Rows a dead worker left in `sending` are recovered at the next tick (actions.outbox.do_recover_stale).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from tending.actions.outbox import (
    claim_due,
    do_mark_failed,
    do_mark_needs_check,
    do_mark_recipient_sent,
    do_mark_sent,
    do_recover_stale,
    do_release_claim,
    do_skip,
)
from tending.actions.posts import do_recheck_post
from tending.delivery.base import (
    ConfigurationError,
    DeliveryError,
    Outbound,
    PartialDelivery,
    Sent,
    Transport,
)
from tending.delivery.config import Router, merged_delivery
from tending.models import Community
from tending.store.onboarding import get_addressees
from tending.store.outbox import OutboxMessage, get_recipients
from tending.store.outbox import get_room as store_get_room
from tending.store.outbox import save_room as store_save_room
from tending.timeutil import utcnow

log = logging.getLogger(__name__)
PER_MEMBER = ("private", "email")


@dataclass
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    needs_check: int = 0
    recovered: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def deliver_due(
    engine: Engine,
    community: Community,
    *,
    now: datetime,
    router: Router,
    limit: int = 1,
    max_rows: int = 1000,
) -> DeliveryCounts:
    """Send every approved message due at `now` (up to max_rows this tick). Rows are claimed one at a time
    by default: a claimed row is one being sent, so a crash leaves one row to check, not a batch of 20
    that had never been sent (89 of 92 flagged rows were such bystanders)."""
    counts = DeliveryCounts()
    with engine.begin() as conn:
        counts.recovered = len(
            do_recover_stale(
                conn, community, now=now, is_idempotent=lambda m: router.is_idempotent(m.channel)
            )
        )
    token = uuid.uuid4().hex
    handled = 0
    while handled < max_rows:
        with engine.begin() as conn:
            batch = claim_due(conn, community, now=now, limit=limit, token=token)
        if not batch:
            break
        for message in batch:
            try:
                deliver_one(engine, community, message, now=now, router=router, counts=counts)
            except (ConfigurationError, DBAPIError):
                raise
            except Exception as error:
                text = f"unexpected error while sending ({type(error).__name__}); retried later"
                log.warning("outbox %s: %s", message.id, text)
                recorded(engine, _failed(community, message.id, now=now, error=text))
                counts.retrying += 1
        handled += len(batch)
    return counts


def deliver_one(
    engine: Engine,
    community: Community,
    message: OutboxMessage,
    *,
    now: datetime,
    router: Router,
    counts: DeliveryCounts,
) -> None:
    """Send one claimed row and record the outcome. A ConfigurationError puts the row back in the queue
    untouched and is raised again: the tick stops there, the configuration is the operator's to fix."""
    try:
        external_ref = _send(engine, community, message, now=now, router=router)
    except ConfigurationError as error:
        text = str(error)
        recorded(
            engine, lambda conn: do_release_claim(conn, community, message.id, now=now, error=text)
        )
        raise
    except PartialDelivery as error:
        text = str(error)
        recorded(
            engine,
            lambda conn: do_mark_needs_check(conn, community, message.id, now=now, error=text),
        )
        counts.needs_check += 1
        return
    except DeliveryError as error:
        text, retry = str(error), error.retry
        after = recorded(
            engine,
            lambda conn: do_mark_failed(
                conn, community, message.id, now=now, error=text, retry=retry
            ),
        )
        counts.retrying += after.status == "approved"
        counts.failed += after.status == "failed"
        log.warning("outbox %s: %s", message.id, error)
        return
    if external_ref is _HELD:
        counts.skipped += 1
        return
    if external_ref is _ALL_SKIPPED:
        recorded(
            engine,
            lambda conn: do_skip(
                conn,
                community,
                message.id,
                actor="worker",
                reason="do_not_contact_or_left",
                claimed=True,
            ),
        )
        counts.skipped += 1
        return
    recorded(
        engine,
        lambda conn: do_mark_sent(
            conn,
            community,
            message.id,
            now=now,
            external_ref=external_ref,
            record_recipients=message.channel not in PER_MEMBER,
        ),
    )
    counts.sent += 1


T = TypeVar("T")
RECORD_PATIENCE_S = (
    600.0  # how long an outcome waits for a busy database before the row is left to recovery
)


def recorded(
    engine: Engine, write: Callable[[Connection], T], *, patience: float = RECORD_PATIENCE_S
) -> T:
    """Run `write` in its own transaction, waiting out a busy or unreachable database: what it records
    (a message went out) has happened and must not be lost to a lock held by an import. After `patience`
    seconds the error is raised; the row stays `sending` and recovery deals with it."""
    deadline = time.monotonic() + patience
    wait = 0.5
    while True:
        try:
            with engine.begin() as conn:
                return write(conn)
        except OperationalError as error:
            if time.monotonic() + wait > deadline:
                raise
            if wait == 0.5:
                log.warning(
                    "database busy or unreachable while recording a send (%s); waiting",
                    type(error.orig).__name__,
                )
            time.sleep(wait)
            wait = min(wait * 2, 30.0)


_ALL_SKIPPED = "\x00all-skipped"
_HELD = (
    "\x00held"  # a post that would name someone it may not: re-rendered, skipped or back to drafted
)


def _outbound(
    message: OutboxMessage, *, member_id: int | None, address: str | None, name: str | None
) -> Outbound:
    return Outbound(
        community_id=message.community_id,
        outbox_id=message.id,
        member_id=member_id,
        address=address,
        recipient_name=name,
        subject=message.subject,
        body=message.body,
        kind=message.channel,
        attempt=message.attempts,
    )


def _send(
    engine: Engine, community: Community, message: OutboxMessage, *, now: datetime, router: Router
) -> str | None:
    transport = router.transport(message.channel)
    if message.channel == "post":
        with engine.begin() as conn:
            rechecked = do_recheck_post(conn, community, message, now=now)
        if rechecked is None:
            return _HELD
        message = rechecked
    if message.channel not in PER_MEMBER:
        return transport.send(
            _outbound(message, member_id=None, address=None, name=None)
        ).external_ref
    with engine.connect() as conn:
        pending = [
            r.member_id for r in get_recipients(conn, community.id, message.id) if r.sent_at is None
        ]
        people = get_addressees(conn, community.id, pending, transport=transport.name, now=now)
    reachable = [people[m] for m in pending if m in people and people[m].contactable]
    if not reachable and pending:
        return _ALL_SKIPPED
    refs: list[str] = []
    for person in reachable:
        sent: Sent = transport.send(
            _outbound(message, member_id=person.member_id, address=person.address, name=person.name)
        )
        recorded(
            engine,
            _recipient_sent(community, message, person.member_id, now=now, ref=sent.external_ref),
        )
        if sent.external_ref:
            refs.append(sent.external_ref)
    return ",".join(refs)[:500] or None


def _failed(
    community: Community, message_id: int, *, now: datetime, error: str
) -> Callable[[Connection], object]:
    return lambda conn: do_mark_failed(
        conn, community, message_id, now=now, error=error, retry=True
    )


def _recipient_sent(
    community: Community, message: OutboxMessage, member_id: int, *, now: datetime, ref: str | None
) -> Callable[[Connection], None]:
    return lambda conn: do_mark_recipient_sent(
        conn, community, message, member_id, now=now, external_ref=ref
    )


def make_router(
    engine: Engine,
    community: Community,
    delivery_section: dict[str, object],
    *,
    overrides: dict[str, Transport] | None = None,
) -> Router:
    """The router for one community: its delivery settings, and the Matrix direct-room cache in the store."""

    def get_room(transport: str, address: str) -> str | None:
        with engine.connect() as conn:
            return store_get_room(conn, community.id, transport=transport, address=address)

    def save_room(transport: str, address: str, room_id: str) -> None:
        with engine.begin() as conn:
            store_save_room(
                conn,
                community.id,
                transport=transport,
                address=address,
                room_id=room_id,
                at=utcnow(),
            )

    return Router(
        merged_delivery(dict(delivery_section), community.settings),
        platform=community.platform,
        room_store=(get_room, save_room),
        overrides=overrides,
    )
