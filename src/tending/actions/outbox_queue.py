"""The outbox as a queue a team works through: filtered pages with "N of M", and approve or skip of
many messages at once, after a preview. A bulk call is checked whole first (unknown ids, messages in a
state that refuses the verb, too many at once): it refuses in one sentence and changes nothing; then
each message goes through do_approve or do_skip (one audit row each), in the caller's transaction.
A person's approval or skip is undone by reopening the messages (do_reopen_messages), or the latest
decision of the last hour at once (do_undo_last_outbox_decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.actions.moderation_queue import MAX_BULK, UNDO_WITHIN, parse_days
from tending.actions.outbox import do_approve, do_skip
from tending.errors import ConflictError, NotFoundError, UsageError
from tending.models import Community
from tending.store import outbox as store
from tending.store.audit import EventQuery, bulk_record_events, find_events
from tending.store.onboarding import get_external_ids
from tending.store.outbox import (
    APPROVED,
    CHANNELS,
    DRAFTED,
    FAILED,
    SKIPPED,
    STATUSES,
    MessageFilter,
    OutboxMessage,
)
from tending.timeutil import isoformat_utc, utcnow

VERBS = {"approve": (DRAFTED, FAILED), "skip": (DRAFTED, store.APPROVED, FAILED)}
PAST = {"approve": "approved", "skip": "skipped"}

__all__ = ["STATUSES", "MessageFilter"]


def build_outbox_filter(
    conn: Connection,
    community: Community,
    *,
    now: datetime,
    statuses: tuple[str, ...] = (),
    rules: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    members: tuple[str, ...] = (),
    due_within: str | None = None,
    overdue: bool = False,
) -> MessageFilter:
    """The outbox listing's filters by the names the CLI and the web use, checked."""
    from tending.actions.moderation_queue import build_filter

    for status in statuses:
        if status not in STATUSES:
            raise UsageError(
                f"--status: '{status[:20]}' is not a status (choose from {', '.join(STATUSES)})."
            )
    for channel in channels:
        if channel not in CHANNELS:
            raise UsageError(
                f"--channel: '{channel[:20]}' is not a channel (choose from {', '.join(CHANNELS)})."
            )
    member_ids = (
        build_filter(conn, community, now=now, members=members).member_ids if members else ()
    )
    return MessageFilter(
        statuses=tuple(statuses),
        rules=tuple(rules),
        channels=tuple(channels),
        languages=tuple(lang.strip().lower() for lang in languages),
        member_ids=member_ids,
        due_before=now
        if overdue
        else (
            now + timedelta(days=parse_days(due_within, field="--due-within"))
            if due_within
            else None
        ),
    )


@dataclass(frozen=True, slots=True)
class OutboxListing:
    total: int
    offset: int
    messages: list[OutboxMessage]  # in the listing's order


def get_outbox_listing(
    conn: Connection,
    community: Community,
    where: MessageFilter,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = True,
    total: int | None = None,
) -> OutboxListing:
    """One page of the messages `where` lists, and how many it lists (`total` when the caller
    counted them already)."""
    ids = store.find_message_ids(
        conn, community.id, where, limit=limit, offset=offset, newest_first=newest_first
    )
    if total is None:
        total = (
            offset + len(ids)
            if len(ids) < limit and (ids or offset == 0)
            else store.count_matching_messages(conn, community.id, where)
        )
    return OutboxListing(total, offset, get_outbox_messages(conn, community, ids))


OUTBOX_EXPORT_COLUMNS = (
    "id",
    "rule",
    "channel",
    "status",
    "due_at",
    "members",
    "language",
    "needs_check",
    "attempts",
    "last_error",
    "skip_reason",
    "sent_at",
    "subject",
    "body",
)


def get_outbox_export(
    conn: Connection, community: Community, where: MessageFilter, *, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many messages `where` lists, and the first `limit` (the latest due first) as export rows."""
    listing = get_outbox_listing(conn, community, where, limit=limit)
    return listing.total, get_export_rows(conn, community, listing.messages)


def get_export_rows(
    conn: Connection, community: Community, messages: list[OutboxMessage]
) -> list[dict[str, Any]]:
    """Messages as the exports write them (OUTBOX_EXPORT_COLUMNS): members by the platform's id
    (tending's #N for one the platform does not name), instants in UTC."""
    external = get_external_ids(
        conn, community.id, sorted({m for msg in messages for m in msg.member_ids})
    )
    return [
        {
            "id": m.id,
            "rule": m.rule,
            "channel": m.channel,
            "status": m.status,
            "due_at": isoformat_utc(m.due_at),
            "members": [external.get(i) or f"#{i}" for i in m.member_ids],
            "language": m.language,
            "needs_check": m.needs_check,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "skip_reason": m.skip_reason,
            "sent_at": isoformat_utc(m.sent_at),
            "subject": m.subject,
            "body": m.body,
        }
        for m in messages
    ]


def get_outbox_rules(conn: Connection, community: Community) -> list[str]:
    return store.get_rules(conn, community.id)


@dataclass(frozen=True, slots=True)
class OutboxPreview:
    verb: str
    message_ids: list[int]
    by_rule: dict[str, int]
    by_channel: dict[str, int]
    members: int


def _some(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown if len(ids) <= 5 else f"{shown} and {len(ids) - 5} more"


def _named_messages(
    conn: Connection, community: Community, wanted: list[int]
) -> dict[int, OutboxMessage]:
    """The messages of these ids, or one sentence naming those the community's outbox does not have."""
    messages = {m.id: m for m in store.get_messages(conn, community.id, wanted)}
    missing = [i for i in wanted if i not in messages]
    if missing:
        raise NotFoundError(
            f"MESSAGE_IDS: the outbox of '{community.name}' has no message {_some(missing)}; "
            "nothing was changed."
        )
    return messages


def _refusal(wanted: list[int], refused: list[int], states: set[str], done: str) -> ConflictError:
    """Some of the messages are in a state that refuses the verb (`done`: its past participle)."""
    shown = sorted(states)
    if len(wanted) == 1:
        return ConflictError(f"message {refused[0]} is {shown[0]}: it cannot be {done}.")
    one = len(refused) == 1
    return ConflictError(
        f"MESSAGE_IDS: {'message' if one else 'messages'} {_some(refused)} "
        f"{'is' if one else 'are'} {' or '.join(shown)}: "
        f"{'it' if one else 'they'} cannot be {done}; nothing was changed."
    )


def get_outbox_preview(
    conn: Connection,
    community: Community,
    ids: list[int],
    verb: str,
    *,
    where: MessageFilter | None = None,
) -> OutboxPreview:
    """What approving or skipping these messages (and those `where` lists) would do, checked whole."""
    if verb not in VERBS:
        raise UsageError(f"ACTION: '{verb[:20]}' is not one of approve, skip.")
    wanted = list(dict.fromkeys(ids))
    if where is not None:
        taken = set(wanted)
        wanted += [
            i
            for i in store.find_message_ids(
                conn, community.id, where, limit=MAX_BULK + 1, newest_first=False
            )
            if i not in taken
        ]
    if not wanted:
        raise UsageError("MESSAGE_IDS: name at least one message, or filters that list some.")
    if len(wanted) > MAX_BULK:
        count = len(wanted) if where is None else f"more than {MAX_BULK}"
        raise UsageError(
            f"MESSAGE_IDS: {count} messages at once is too many (at most {MAX_BULK}); narrow the "
            "selection or act in pages. Nothing was changed."
        )
    messages = _named_messages(conn, community, wanted)
    refused = [i for i in wanted if messages[i].status not in VERBS[verb]]
    if refused:  # a single message: the sentence of do_approve and do_skip
        raise _refusal(wanted, refused, {messages[i].status for i in refused}, PAST[verb])
    chosen = [messages[i] for i in wanted]
    by_rule: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for m in chosen:
        by_rule[m.rule] = by_rule.get(m.rule, 0) + 1
        by_channel[m.channel] = by_channel.get(m.channel, 0) + 1
    return OutboxPreview(
        verb,
        wanted,
        dict(sorted(by_rule.items())),
        dict(sorted(by_channel.items())),
        len({r for m in chosen for r in m.member_ids}),
    )


def do_bulk_outbox(
    conn: Connection,
    community: Community,
    ids: list[int],
    verb: str,
    *,
    actor: str,
    where: MessageFilter | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Approve or skip many messages: checked whole, then the rows do_approve or do_skip would write
    (one UPDATE per 2,000) and one audit row per message, as they write it, all at the instant `now`
    (what do_undo_last_outbox_decision finds them by)."""
    preview = get_outbox_preview(conn, community, ids, verb, where=where)
    chosen = preview.message_ids
    now = now or utcnow()
    if len(chosen) == 1 and where is None:
        if verb == "approve":
            do_approve(conn, community, chosen[0], actor=actor, now=now)
        else:
            do_skip(conn, community, chosen[0], actor=actor, now=now)
        return chosen
    messages = {m.id: m for m in store.get_messages(conn, community.id, chosen)}
    if verb == "approve":
        values = {
            "status": store.APPROVED,
            "needs_check": False,
            "next_attempt_at": None,
            "attempts": 0,
            "updated_at": now,
        }
    else:
        values = {
            "status": SKIPPED,
            "skip_reason": "human",
            "needs_check": False,
            "updated_at": now,
        }
    if store.update_messages(conn, community.id, chosen, expect=VERBS[verb], **values) < len(
        chosen
    ):
        raise ConflictError(
            "MESSAGE_IDS: some messages were sent or changed meanwhile; nothing was changed."
        )
    bulk_record_events(
        conn,
        [_event(community, messages[i], verb, actor, now) for i in chosen],
    )
    return chosen


def _event(
    community: Community, message: OutboxMessage, verb: str, actor: str, now: datetime
) -> dict[str, Any]:
    details: dict[str, Any] = {"outbox_id": message.id}
    if verb == "approve":
        details["previous"] = message.status
    else:
        details["reason"] = "human"
    return {
        "community_id": community.id,
        "actor": actor,
        "action": f"outbox.{PAST[verb]}",
        "member_id": message.member_ids[0] if len(message.member_ids) == 1 else None,
        "occurred_at": now,
        "details": details,
    }


# -- reopening: the undo of a person's approval or skip ---------------------------------------------------

HUMAN = "human"  # the skip_reason of a person's skip (the CLI, the web, the API)
REOPENABLE = (APPROVED, SKIPPED)


def _state(message: OutboxMessage) -> str:
    if message.status == SKIPPED and message.skip_reason != HUMAN:
        return f"skipped by tending ({message.skip_reason or 'no reason'})"
    return message.status


def _reopenable(message: OutboxMessage) -> bool:
    return message.status == APPROVED or (
        message.status == SKIPPED and message.skip_reason == HUMAN
    )


def get_outbox_messages(
    conn: Connection, community: Community, ids: list[int]
) -> list[OutboxMessage]:
    """The community's messages of these ids, in their order (unknown ids left out)."""
    found = {m.id: m for m in store.get_messages(conn, community.id, ids)}
    return [found[i] for i in ids if i in found]


def do_reopen_messages(
    conn: Connection,
    community: Community,
    ids: list[int],
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> list[int]:
    """Put approved messages (not yet being sent) and messages a person skipped back to drafted, to be
    decided again: one audit row each (outbox.reopened, with the previous status). Checked whole first,
    as do_bulk_outbox: a message sent, being sent (claimed by a worker), posted by hand, still drafted,
    or skipped by tending itself (a holdout, too late, do-not-contact, erased, merged) refuses the whole
    call in one sentence naming the ids, and nothing changes.

    A message skipped by tending is never reopened: a holdout's skipped row is the control group of the
    holdout report (store.onboarding.get_holdout_outcomes counts skipped rows with reason holdout), and
    the others record why the message must not go. A person's skip counts nowhere (neither messaged nor
    holdout); reopened, the message is drafted again, so it shows with the pending messages and goes out
    only once approved. The UPDATE only matches rows still in the state they were read in: if a worker
    claimed an approved message meanwhile, ConflictError, and the caller's transaction rolls back."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise UsageError("MESSAGE_IDS: name at least one message to reopen.")
    if len(wanted) > MAX_BULK:
        raise UsageError(
            f"MESSAGE_IDS: {len(wanted)} messages at once is too many (at most {MAX_BULK}); "
            "nothing was changed."
        )
    messages = _named_messages(conn, community, wanted)
    refused = [i for i in wanted if not _reopenable(messages[i])]
    if refused:
        raise _refusal(wanted, refused, {_state(messages[i]) for i in refused}, "reopened")
    values = {
        "status": DRAFTED,
        "skip_reason": None,
        "next_attempt_at": None,
        "claim_token": None,
        "needs_check": False,
        "updated_at": now,
    }
    changed = 0
    for status in REOPENABLE:
        some = [i for i in wanted if messages[i].status == status]
        if some:
            changed += store.update_messages(conn, community.id, some, expect=(status,), **values)
    if changed < len(wanted):
        raise ConflictError(
            "MESSAGE_IDS: some messages were sent or changed meanwhile; nothing was changed."
        )
    bulk_record_events(
        conn,
        [
            {
                "community_id": community.id,
                "actor": actor,
                "action": "outbox.reopened",
                "member_id": messages[i].member_ids[0]
                if len(messages[i].member_ids) == 1
                else None,
                "occurred_at": now,
                "details": {"outbox_id": i, "previous": messages[i].status, "reason": reason},
            }
            for i in wanted
        ],
    )
    return wanted


@dataclass(frozen=True, slots=True)
class LastOutboxDecision:
    message_ids: list[int]  # those still as the decision left them (approved, or skipped)
    verb: str  # approve or skip
    at: datetime


def get_last_outbox_decision(
    conn: Connection, community: Community, *, actor: str, now: datetime
) -> LastOutboxDecision | None:
    """The actor's latest approval or skip of the last hour (one message, or all of a bulk decision: its
    audit rows share their instant), with the messages still as it left them; None when there is none,
    or when none of its messages can be reopened any more (sent, claimed, decided again, undone)."""
    query = EventQuery(
        actions=("outbox.approved", "outbox.skipped"), actor=actor, since=now - UNDO_WITHIN
    )
    latest = find_events(conn, community.id, query, limit=1)
    if not latest:
        return None
    at, action = latest[0]["occurred_at"], latest[0]["action"]
    same = EventQuery(actions=(action,), actor=actor, since=at)
    events = [
        e
        for e in find_events(conn, community.id, same, limit=MAX_BULK + 1)
        if e["occurred_at"] == at
    ]
    ids = sorted({int(e["details"]["outbox_id"]) for e in events})
    verb = "approve" if action == "outbox.approved" else "skip"
    decided = APPROVED if verb == "approve" else SKIPPED
    still = [
        m.id
        for m in store.get_messages(conn, community.id, ids)
        if m.status == decided and _reopenable(m)
    ]
    return LastOutboxDecision(sorted(still), verb, at) if still else None


def do_undo_last_outbox_decision(
    conn: Connection, community: Community, *, actor: str, now: datetime
) -> LastOutboxDecision:
    """Reopen the messages of the actor's latest approval or skip of the last hour (one audit row each)."""
    last = get_last_outbox_decision(conn, community, actor=actor, now=now)
    if last is None:
        raise ConflictError("there is no approval or skip of yours from the last hour to undo.")
    do_reopen_messages(conn, community, last.message_ids, actor=actor, now=now, reason="undo")
    return last
