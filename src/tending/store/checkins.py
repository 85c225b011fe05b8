"""Check-ins: the private conversations tending helps moderators start, and what came of them.

One row per check-in. It is what makes "never contact anyone twice within 90 days" and "did the member
contribute within 30 days after?" answerable. The table is created by migration 0003_checkins.

Contract with the outbox (tending.actions.outbox, built by the onboarding work): when that module is
importable, a check-in's message is drafted there and `message_ref` holds the outbox's reference (its
return value, as text); otherwise the drafted text is kept here in `draft_text`, for a moderator to send by
hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Index,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)

from tending.store.schema import Key, Timestamp, community_fk, metadata
from tending.timeutil import to_micros

checkins = Table(
    "checkins",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("member_id", Key, nullable=False),
    Column(
        "reason", String(50), nullable=False
    ),  # the main reason: newcomer_silent, rhythm_dropped, unanswered
    Column(
        "details", JSON
    ),  # every reason found, with its figures (no message text, no personal data)
    Column("drafted_at", Timestamp, nullable=False),
    Column("contacted_at", Timestamp),  # set when the message is known to have gone out
    Column("actor", String(200), nullable=False),
    Column("message_ref", String(200)),  # the outbox's reference for the drafted message
    Column("draft_text", Text),  # the draft itself when no outbox is installed
    Column("outcome", String(20)),  # contributed | silent, once known; NULL while pending
    Column("outcome_at", Timestamp),  # the first contribution after the check-in, if any
    Index(None, "community_id", "member_id", "drafted_at"),
    Index(None, "community_id", "drafted_at"),
)

CONTRIBUTED = "contributed"
SILENT = "silent"


@dataclass(slots=True)
class Checkin:
    id: int
    member_id: int
    reason: str
    details: dict[str, Any]
    drafted_at: datetime
    contacted_at: datetime | None
    actor: str
    message_ref: str | None
    draft_text: str | None
    outcome: str | None
    outcome_at: datetime | None


def _checkin(row: Any) -> Checkin:
    return Checkin(
        id=row.id,
        member_id=row.member_id,
        reason=row.reason,
        details=dict(row.details or {}),
        drafted_at=row.drafted_at,
        contacted_at=row.contacted_at,
        actor=row.actor,
        message_ref=row.message_ref,
        draft_text=row.draft_text,
        outcome=row.outcome,
        outcome_at=row.outcome_at,
    )


def insert_checkin(
    conn: Connection,
    community_id: int,
    member_id: int,
    *,
    reason: str,
    details: dict[str, Any],
    drafted_at: datetime,
    actor: str,
) -> int:
    result = conn.execute(
        insert(checkins).values(
            community_id=community_id,
            member_id=member_id,
            reason=reason,
            details=details,
            drafted_at=drafted_at,
            actor=actor,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def set_checkin_message(
    conn: Connection,
    community_id: int,
    checkin_id: int,
    *,
    message_ref: str | None,
    draft_text: str | None,
) -> None:
    conn.execute(
        update(checkins)
        .where(checkins.c.community_id == community_id, checkins.c.id == checkin_id)
        .values(message_ref=message_ref, draft_text=draft_text)
    )


def get_checkin(conn: Connection, community_id: int, checkin_id: int) -> Checkin | None:
    row = conn.execute(
        select(checkins).where(checkins.c.community_id == community_id, checkins.c.id == checkin_id)
    ).first()
    return _checkin(row) if row else None


def get_checkins(
    conn: Connection, community_id: int, *, member_id: int | None = None, limit: int = 200
) -> list[Checkin]:
    query = select(checkins).where(checkins.c.community_id == community_id)
    if member_id is not None:
        query = query.where(checkins.c.member_id == member_id)
    query = query.order_by(checkins.c.drafted_at.desc(), checkins.c.id.desc()).limit(limit)
    return [_checkin(row) for row in conn.execute(query)]


def get_recently_contacted(conn: Connection, community_id: int, *, since: datetime) -> set[int]:
    """Members with a check-in drafted after `since` (a draft counts: it is on its way to them)."""
    rows = conn.execute(
        select(checkins.c.member_id)
        .where(checkins.c.community_id == community_id, checkins.c.drafted_at > since)
        .distinct()
    )
    return {member_id for (member_id,) in rows}


def move_checkins(conn: Connection, community_id: int, *, from_member: int, to_member: int) -> int:
    result = conn.execute(
        update(checkins)
        .where(checkins.c.community_id == community_id, checkins.c.member_id == from_member)
        .values(member_id=to_member)
    )
    return int(result.rowcount or 0)


def mark_contacted(
    conn: Connection, community_id: int, *, message_refs: list[str], at: datetime
) -> int:
    """The outbox delivered a check-in's message (named by its outbox id or key): record when the member was
    contacted, once. Returns how many check-ins were marked."""
    result = conn.execute(
        update(checkins)
        .where(
            checkins.c.community_id == community_id,
            checkins.c.message_ref.in_(message_refs),
            checkins.c.contacted_at.is_(None),
        )
        .values(contacted_at=at)
    )
    return int(result.rowcount or 0)


def do_settle_checkin_outcomes(
    conn: Connection, community_id: int, *, now: datetime, outcome_days: int = 30
) -> int:
    """Write the outcome of check-ins whose follow-up window has closed or that already got an answer.

    Outcome: `contributed` when the member made a contribution in (drafted_at, drafted_at + outcome_days];
    `silent` when that window closed without one. Returns how many rows were settled.
    """
    window = outcome_days * 86_400_000_000
    pending = conn.execute(
        select(checkins.c.id, checkins.c.member_id, checkins.c.drafted_at).where(
            checkins.c.community_id == community_id, checkins.c.outcome.is_(None)
        )
    ).all()
    settled = 0
    for checkin_id, member_id, drafted_at in pending:
        start = to_micros(drafted_at)
        first = conn.execute(
            text(
                "SELECT min(occurred_at) FROM activities WHERE community_id = :cid AND member_id = :mid "
                "AND kind IN ('post', 'reply', 'comment') AND occurred_at > :start AND occurred_at <= :end"
            ),
            {"cid": community_id, "mid": member_id, "start": start, "end": start + window},
        ).scalar()
        if first is not None and first <= to_micros(now):
            values: dict[str, Any] = {
                "outcome": CONTRIBUTED,
                "outcome_at": drafted_at + timedelta(microseconds=int(first) - start),
            }
        elif now > drafted_at + timedelta(days=outcome_days):
            values = {"outcome": SILENT}
        else:
            continue
        conn.execute(update(checkins).where(checkins.c.id == checkin_id).values(**values))
        settled += 1
    return settled
