"""State changes of the outbox. Everything that drafts, approves, skips, edits, claims or records a
message goes through these functions; each writes an audit event (never the message body).

The contract other areas call:

    do_draft_message(conn, community, *, member_ids, rule, channel, body, due_at, key, subject=None,
                     approved=False, actor="system") -> int | None

returns the new row's id, or None when a row with that key already exists in the community (the key
names member, rule and occurrence, e.g. "checkin:42:2026-03-01"): calling it twice is harmless.

Sending (tending.delivery) is: claim_due (commits rows to `sending`), send, then do_mark_sent or
do_mark_failed. A row found still `sending` after its lease (the worker died between sending and
recording) is handed to do_recover_stale: resent with the same transaction id where the channel makes
that idempotent, otherwise marked failed with needs_check for a human, never resent silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.errors import NotFoundError, UsageError
from tending.models import Community
from tending.store import outbox as store
from tending.store.audit import record_event
from tending.store.checkins import mark_contacted
from tending.store.onboarding import get_addressees
from tending.store.outbox import (
    APPROVED,
    CHANNELS,
    DRAFTED,
    EMAIL,
    FAILED,
    PRIVATE,
    SENDING,
    SENT,
    SKIPPED,
    STAFF,
    OutboxMessage,
)
from tending.store.outbox import (
    count_by_status as count_by_status,
)  # reads re-exported for the shells
from tending.store.outbox import get_message as get_message
from tending.store.outbox import get_message_by_key as get_message_by_key
from tending.store.outbox import list_messages as list_messages
from tending.timeutil import ensure_utc, utcnow

CHECKIN_RULE = "checkin"  # the rule of the private messages drafted by tending.actions.checkins

# Waits before retry n (after the n-th failed attempt); after MAX_ATTEMPTS the row shows as failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed row still `sending` after this long was abandoned by a worker that crashed or was killed.
SENDING_LEASE = timedelta(minutes=10)


def _audit(
    conn: Connection,
    community: Community,
    message_id: int,
    action: str,
    *,
    actor: str,
    member_ids: list[int] | None = None,
    at: datetime | None = None,
    **details: Any,
) -> None:
    member_id = member_ids[0] if member_ids and len(member_ids) == 1 else None
    record_event(
        conn,
        community.id,
        actor=actor,
        action=f"outbox.{action}",
        member_id=member_id,
        details={"outbox_id": message_id, **details},
        at=at,
    )


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise UsageError(f"channel: '{channel}' is not one of {', '.join(CHANNELS)}.")


def do_draft_message(
    conn: Connection,
    community: Community,
    *,
    member_ids: list[int],
    rule: str,
    channel: str,
    body: str,
    due_at: datetime,
    key: str,
    subject: str | None = None,
    approved: bool = False,
    actor: str = "system",
    language: str | None = None,
) -> int | None:
    """Put a message in the outbox (drafted, or approved to go when due). None if `key` already exists."""
    _check_channel(channel)
    if channel != STAFF and channel != "post" and not member_ids:
        raise UsageError(f"a {channel} message needs at least one member to send it to.")
    return _insert(
        conn,
        community,
        member_ids=member_ids,
        rule=rule,
        channel=channel,
        body=body,
        due_at=due_at,
        key=key,
        subject=subject,
        language=language,
        actor=actor,
        status=APPROVED if approved else DRAFTED,
    )


def do_record_skipped(
    conn: Connection,
    community: Community,
    *,
    member_ids: list[int],
    rule: str,
    channel: str,
    due_at: datetime,
    key: str,
    reason: str,
    body: str = "",
    subject: str | None = None,
    language: str | None = None,
    actor: str = "system",
) -> int | None:
    """Record an occurrence that will not be sent (a holdout, too late), so it is neither redone nor lost."""
    _check_channel(channel)
    return _insert(
        conn,
        community,
        member_ids=member_ids,
        rule=rule,
        channel=channel,
        body=body,
        due_at=due_at,
        key=key,
        subject=subject,
        language=language,
        actor=actor,
        status=SKIPPED,
        skip_reason=reason,
    )


def _insert(
    conn: Connection,
    community: Community,
    *,
    member_ids: list[int],
    status: str,
    actor: str,
    skip_reason: str | None = None,
    **fields: Any,
) -> int | None:
    now = utcnow()
    row = {
        "community_id": community.id,
        **fields,
        "due_at": ensure_utc(fields["due_at"]),
        "status": status,
        "skip_reason": skip_reason,
        "attempts": 0,
        "needs_check": False,
        "created_by": actor,
        "created_at": now,
        "updated_at": now,
    }
    message_id = store.insert_message(conn, row, list(dict.fromkeys(member_ids)))
    if message_id is not None:
        _audit(
            conn,
            community,
            message_id,
            "drafted" if status != SKIPPED else "skipped",
            actor=actor,
            member_ids=member_ids,
            rule=fields["rule"],
            channel=fields["channel"],
            key=fields["key"],
            status=status,
            reason=skip_reason,
        )
    return message_id


def _get(conn: Connection, community: Community, message_id: int) -> OutboxMessage:
    message = store.get_message(conn, community.id, message_id)
    if message is None:
        raise NotFoundError(f"the outbox of '{community.name}' has no message {message_id}.")
    return message


def _refuse(message: OutboxMessage, verb: str) -> UsageError:
    return UsageError(f"message {message.id} is {message.status}: it cannot be {verb}.")


def do_approve(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    actor: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Let a drafted message go when due. Approving a failed one queues it again (a human's explicit resend)."""
    now = now or utcnow()
    message = _get(conn, community, message_id)
    if message.status not in (DRAFTED, FAILED):
        raise _refuse(message, "approved")
    store.update_message(
        conn,
        community.id,
        message_id,
        expect=(DRAFTED, FAILED),
        status=APPROVED,
        needs_check=False,
        next_attempt_at=None,
        attempts=0,
        updated_at=now,
    )
    _audit(
        conn,
        community,
        message_id,
        "approved",
        actor=actor,
        member_ids=message.member_ids,
        at=now,
        previous=message.status,
    )
    return _get(conn, community, message_id)


def do_skip(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    actor: str,
    reason: str = "human",
    claimed: bool = False,
    now: datetime | None = None,
) -> OutboxMessage:
    """Decide a message will not be sent. `claimed`: the sender itself drops a row it holds (everyone it
    was for is now do-not-contact or gone)."""
    now = now or utcnow()
    message = _get(conn, community, message_id)
    allowed = (DRAFTED, APPROVED, FAILED, SENDING) if claimed else (DRAFTED, APPROVED, FAILED)
    if message.status not in allowed:
        raise _refuse(message, "skipped")
    store.update_message(
        conn,
        community.id,
        message_id,
        expect=allowed,
        status=SKIPPED,
        skip_reason=reason,
        needs_check=False,
        updated_at=now,
    )
    _audit(
        conn,
        community,
        message_id,
        "skipped",
        actor=actor,
        member_ids=message.member_ids,
        at=now,
        reason=reason,
    )
    return _get(conn, community, message_id)


def do_edit(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    actor: str,
    body: str | None = None,
    subject: str | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage:
    """Change the text, subject or due instant of a message not yet sent."""
    message = _get(conn, community, message_id)
    if message.status not in (DRAFTED, APPROVED, FAILED):
        raise _refuse(message, "edited")
    changes: dict[str, Any] = {}
    if body is not None:
        if not body.strip():
            raise UsageError("body: a message cannot be empty.")
        changes["body"] = body
    if subject is not None:
        changes["subject"] = subject
    if due_at is not None:
        changes["due_at"] = ensure_utc(due_at)
    if changes:
        store.update_message(conn, community.id, message_id, updated_at=utcnow(), **changes)
        _audit(
            conn,
            community,
            message_id,
            "edited",
            actor=actor,
            member_ids=message.member_ids,
            fields=sorted(changes),
        )
    return _get(conn, community, message_id)


def claim_due(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    limit: int = 20,
    token: str | None = None,
) -> list[OutboxMessage]:
    """Take up to `limit` approved rows that are due for sending; commit the transaction before sending.

    Safe with concurrent workers: each row is claimed by exactly one (see store.outbox.claim_rows).
    """
    token = token or uuid.uuid4().hex
    ids = store.claim_rows(conn, community.id, now=ensure_utc(now), token=token, limit=limit)
    return store.get_messages(conn, community.id, ids)


def claim_one(
    conn: Connection, community: Community, message_id: int, *, now: datetime
) -> OutboxMessage:
    """Claim one approved message for sending now, before its due instant if need be."""
    message = _get(conn, community, message_id)
    if not store.claim_row(
        conn, community.id, message_id, now=ensure_utc(now), token=uuid.uuid4().hex
    ):
        raise UsageError(
            f"message {message_id} is {message.status}: only an approved message can be sent "
            "(approve it first)."
        )
    return _get(conn, community, message_id)


def do_mark_recipient_sent(
    conn: Connection,
    community: Community,
    message: OutboxMessage,
    member_id: int,
    *,
    now: datetime,
    external_ref: str | None = None,
) -> None:
    """Record that one recipient got their copy (private messages and e-mails go one by one)."""
    store.mark_recipient_sent(
        conn, community.id, message.id, member_id, at=now, external_ref=external_ref
    )
    if message.channel != STAFF:
        store.insert_timeline_entries(conn, community.id, message, [member_id], at=now)


def do_mark_sent(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    now: datetime,
    external_ref: str | None = None,
    actor: str = "worker",
    record_recipients: bool = True,
) -> OutboxMessage:
    """Record a delivered message: status sent, and a message_sent entry in each member's timeline.

    record_recipients=False when the sender already recorded each recipient it reached
    (do_mark_recipient_sent): the others (do-not-contact, left since drafting) stay unsent.
    """
    message = _get(conn, community, message_id)
    if message.status == SENT:
        return message
    store.update_message(
        conn,
        community.id,
        message_id,
        status=SENT,
        sent_at=now,
        updated_at=now,
        external_ref=external_ref or message.external_ref,
        last_error=None,
        needs_check=False,
        next_attempt_at=None,
    )
    if record_recipients:
        unsent = [
            r.member_id
            for r in store.get_recipients(conn, community.id, message_id)
            if r.sent_at is None
        ]
        for member_id in unsent:
            store.mark_recipient_sent(
                conn, community.id, message_id, member_id, at=now, external_ref=external_ref
            )
        if message.channel != STAFF:
            store.insert_timeline_entries(conn, community.id, message, unsent, at=now)
    if message.rule == CHECKIN_RULE:
        # the check-in names its message by outbox id (or by key when the key already existed)
        mark_contacted(conn, community.id, message_refs=[str(message.id), message.key], at=now)
    _audit(
        conn,
        community,
        message_id,
        "sent",
        actor=actor,
        member_ids=message.member_ids,
        at=now,
        channel=message.channel,
        rule=message.rule,
    )
    return _get(conn, community, message_id)


def do_mark_failed(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    now: datetime,
    error: str,
    retry: bool = True,
    actor: str = "worker",
) -> OutboxMessage:
    """Record a failed attempt: retried with backoff, then `failed` with the error after MAX_ATTEMPTS.

    `retry=False` fails at once (an error no retry can fix: a member without an address, a refused token).
    """
    message = _get(conn, community, message_id)
    attempts = max(message.attempts, 1)
    if retry and attempts < MAX_ATTEMPTS:
        wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
        store.update_message(
            conn,
            community.id,
            message_id,
            status=APPROVED,
            next_attempt_at=now + wait,
            last_error=error,
            claim_token=None,
            updated_at=now,
        )
        _audit(
            conn,
            community,
            message_id,
            "retry_scheduled",
            actor=actor,
            at=now,
            attempts=attempts,
            retry_at=(now + wait).isoformat(),
        )
    else:
        store.update_message(
            conn,
            community.id,
            message_id,
            status=FAILED,
            next_attempt_at=None,
            last_error=error,
            claim_token=None,
            updated_at=now,
        )
        _audit(
            conn,
            community,
            message_id,
            "failed",
            actor=actor,
            member_ids=message.member_ids,
            at=now,
            attempts=attempts,
        )
    return _get(conn, community, message_id)


def do_mark_needs_check(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    now: datetime,
    error: str,
    actor: str = "worker",
) -> OutboxMessage:
    """Stop: the message may or may not have arrived, and resending could duplicate it. A human decides
    (`outbox approve` resends it, `outbox mark-sent` records it as delivered, `outbox skip` drops it)."""
    store.update_message(
        conn,
        community.id,
        message_id,
        status=FAILED,
        needs_check=True,
        last_error=error,
        next_attempt_at=None,
        claim_token=None,
        updated_at=now,
    )
    _audit(conn, community, message_id, "needs_check", actor=actor, at=now)
    return _get(conn, community, message_id)


def do_confirm_sent(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    actor: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """A human checked the platform and found the message delivered: record it as sent."""
    message = _get(conn, community, message_id)
    if message.status != FAILED:
        raise _refuse(message, "marked as sent by hand")
    return do_mark_sent(conn, community, message_id, now=now or utcnow(), actor=actor)


BY_HAND = "by-hand"  # the external_ref of a message a human posted themselves


def do_mark_posted_by_hand(
    conn: Connection,
    community: Community,
    message_id: int,
    *,
    actor: str,
    now: datetime,
) -> OutboxMessage:
    """A human copied a drafted (or approved, or failed) message and posted it themselves, on a platform
    tending cannot post to (a Facebook group): record it as sent, so holdouts and reports count it.
    Refused for a message to someone who may not be contacted (do-not-contact, left): skip it instead."""
    message = _get(conn, community, message_id)
    if message.status not in (DRAFTED, APPROVED, FAILED):
        raise _refuse(message, "marked as posted by hand")
    if message.channel in (PRIVATE, EMAIL):
        people = get_addressees(conn, community.id, message.member_ids, transport="", now=now)
        if any(not people[m].contactable for m in message.member_ids if m in people):
            raise UsageError(
                f"message {message_id} is addressed to a member who may not be contacted "
                "(do-not-contact or left): skip it instead."
            )
    # guarded: a worker that claimed the row since (approved -> sending) keeps it
    if not store.update_message(
        conn, community.id, message_id, expect=(DRAFTED, APPROVED, FAILED), updated_at=now
    ):
        raise _refuse(_get(conn, community, message_id), "marked as posted by hand")
    _audit(
        conn,
        community,
        message_id,
        "posted_by_hand",
        actor=actor,
        member_ids=message.member_ids,
        at=now,
        previous=message.status,
    )
    return do_mark_sent(conn, community, message_id, now=now, external_ref=BY_HAND, actor=actor)


def do_recover_stale(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    is_idempotent: Callable[[OutboxMessage], bool],
    lease: timedelta = SENDING_LEASE,
) -> list[OutboxMessage]:
    """Deal with rows a dead worker left in `sending`: a row whose every recipient is recorded as sent is
    recorded as sent; others are requeued where resending is idempotent (the same transaction id), else
    marked needs_check, naming how many recipients are recorded (a resend skips them). Returns the rows
    handled."""
    stale = store.get_stale_sending(conn, community.id, before=now - lease)
    for message in stale:
        recipients = store.get_recipients(conn, community.id, message.id)
        reached = sum(r.sent_at is not None for r in recipients)
        if recipients and reached == len(recipients):
            do_mark_sent(conn, community, message.id, now=now, record_recipients=False)
        elif is_idempotent(message):
            store.update_message(
                conn,
                community.id,
                message.id,
                expect=(SENDING,),
                status=APPROVED,
                claim_token=None,
                next_attempt_at=None,
                updated_at=now,
            )
            _audit(conn, community, message.id, "requeued_after_crash", actor="worker", at=now)
        else:
            recorded = (
                (
                    f" ({reached} of {len(recipients)} recipients are recorded as sent and will not get "
                    "it again)"
                )
                if reached
                else ""
            )
            do_mark_needs_check(
                conn,
                community,
                message.id,
                now=now,
                error=(
                    f"the sender stopped while this message was being sent{recorded}; check on the platform "
                    "whether it arrived, then mark it sent, resend it (approve) or skip it"
                ),
            )
    return stale


def do_release_claim(
    conn: Connection, community: Community, message_id: int, *, now: datetime, error: str
) -> OutboxMessage:
    """Put a claimed row back in the queue untouched (the attempt does not count): nothing was sent, and
    the reason (a configuration mistake) is for the operator to fix, not for the message to fail on."""
    store.update_message(
        conn,
        community.id,
        message_id,
        expect=(SENDING,),
        status=APPROVED,
        claim_token=None,
        attempts=max(_get(conn, community, message_id).attempts - 1, 0),
        last_error=error,
        updated_at=now,
    )
    return _get(conn, community, message_id)


def is_claimed_by(message: OutboxMessage, token: str) -> bool:
    return message.status == SENDING and message.claim_token == token


@dataclass(frozen=True, slots=True)
class OutboxPage:
    total: int
    messages: list[OutboxMessage]


def get_outbox_page(
    conn: Connection, community: Community, *, statuses: list[str] | None, limit: int, offset: int
) -> OutboxPage:
    """One page of the outbox, the latest due first, and how many messages have these statuses."""
    for status in statuses or []:
        if status not in store.STATUSES:
            raise UsageError(
                f"status: '{status}' is not a status (choose from {', '.join(store.STATUSES)})."
            )
    found = store.list_messages(conn, community.id, statuses=statuses, limit=limit, offset=offset)
    return OutboxPage(
        store.count_messages(conn, community.id, statuses=statuses),
        sorted(found, key=lambda m: (m.due_at, m.id), reverse=True),
    )
