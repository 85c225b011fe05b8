"""The outbox: every message tending will send, is sending, or sent, as rows with a unique key.

Tables (all created by migration 0004_outbox):
- outbox: one row per message (a private message, an e-mail, or a public post), unique by
  (community_id, key), where the key names the member(s), the rule and the occurrence. Inserting a key
  twice is a no-op, so running a playbook twice, or two workers at once, never drafts a message twice.
- outbox_recipients: the members a message is for (private, email) or names (post), as real rows, so a
  member's messages can be found and cancelled; per-recipient delivery instant and external reference.
- delivery_rooms: the direct room (Matrix) opened for a member, cached so each member gets one room.
- onboarding_playbooks: the playbook enabled in a community, its start instant and its last run.

States: drafted -> approved -> sending -> sent; failed (gave up after retries, or needs a human check);
skipped (a human, do-not-contact, a member who left, a holdout, or too late). `sending` is transient: a row
found there after a crash is either resent with the same transaction id (idempotent channels) or marked
needs_check (see actions/outbox.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
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
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from tending.models import MESSAGE_SENT
from tending.store.schema import Key, Timestamp, activities, community_fk, metadata, upsert_dialect

DRAFTED = "drafted"
APPROVED = "approved"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
STATUSES = (DRAFTED, APPROVED, SENDING, SENT, FAILED, SKIPPED)

PRIVATE = "private"
EMAIL = "email"
POST = "post"
STAFF = "staff"  # a note to the community's staff about the members concerned; not sent to them
CHANNELS = (PRIVATE, EMAIL, POST, STAFF)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("key", String(300), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("subject", String(300)),
    Column("body", Text, nullable=False),
    Column("language", String(8)),
    Column("due_at", Timestamp, nullable=False),
    Column("status", String(20), nullable=False),
    Column("skip_reason", String(50)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Timestamp),
    Column("last_error", Text),
    Column("needs_check", Boolean, nullable=False, default=False),
    Column("external_ref", String(500)),
    Column("claim_token", String(64)),
    Column("claimed_at", Timestamp),
    Column("created_by", String(200), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("sent_at", Timestamp),
    UniqueConstraint("community_id", "key"),
    Index(None, "community_id", "status", "due_at"),
    Index(None, "community_id", "rule", "due_at"),
)

# The outbox page's two tabs, each with a partial index in the listing's order (migration 0019): on
# PostgreSQL "status IN (four states) ORDER BY due_at DESC LIMIT 50" read the (status, due_at) index
# as four ranges, then sorted 100,000 drafted rows; the partial index is read in order, 50 rows.
# The IN list is written literally (literal_execute) so that the planner can match it to the index.
PENDING_TAB = (DRAFTED, APPROVED, SENDING, FAILED)
DONE_TAB = (SENT, SKIPPED)


def tab_condition(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


for _name, _tab in (("ix_outbox_pending", PENDING_TAB), ("ix_outbox_done", DONE_TAB)):
    # Partial on PostgreSQL too (the migration says `postgresql_where`); not repeated here, as
    # for ix_activities_contributions: naming a PostgreSQL option loads that dialect at every start.
    Index(
        _name,
        outbox.c.community_id,
        outbox.c.due_at,
        outbox.c.id,
        sqlite_where=text(tab_condition(_tab)),
    )

outbox_recipients = Table(
    "outbox_recipients",
    metadata,
    community_fk(),
    Column("outbox_id", Key, ForeignKey("outbox.id"), primary_key=True),
    Column("member_id", Key, primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Column("sent_at", Timestamp),
    Column("external_ref", String(500)),
    Index(None, "community_id", "member_id"),
)

delivery_rooms = Table(
    "delivery_rooms",
    metadata,
    Column("community_id", Key, ForeignKey("communities.id"), primary_key=True),
    Column("transport", String(20), primary_key=True),
    Column("address", String(300), primary_key=True),
    Column("room_id", String(300), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

onboarding_playbooks = Table(
    "onboarding_playbooks",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("name", String(300), nullable=False),
    Column("source", Text, nullable=False),
    Column("since", Timestamp, nullable=False),
    Column("last_run_at", Timestamp),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("community_id"),
)


# What a playbook did that is not a message (tagging a member), keyed like outbox rows so it happens once.
playbook_actions = Table(
    "playbook_actions",
    metadata,
    Column("community_id", Key, ForeignKey("communities.id"), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("rule", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("member_id", Key),
    Column("done_at", Timestamp, nullable=False),
)


@dataclass(slots=True)
class OutboxMessage:
    id: int
    community_id: int
    key: str
    rule: str
    channel: str
    subject: str | None
    body: str
    language: str | None
    due_at: datetime
    status: str
    skip_reason: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    needs_check: bool
    external_ref: str | None
    claim_token: str | None
    claimed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    member_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Recipient:
    member_id: int
    position: int
    sent_at: datetime | None
    external_ref: str | None


# -- writing ----------------------------------------------------------------------------------------


def insert_message(conn: Connection, row: dict[str, Any], member_ids: list[int]) -> int | None:
    """Insert one outbox row and its recipients; None (and nothing written) when the key exists.

    INSERT ... ON CONFLICT DO NOTHING makes the unique key the arbiter, so two writers racing on the
    same key both succeed and exactly one row exists.
    """
    dialect = upsert_dialect(conn)
    statement = (
        dialect.insert(outbox)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["community_id", "key"])
        .returning(outbox.c.id)
    )
    new_id = conn.execute(statement).scalar()
    if new_id is None:
        return None
    if member_ids:
        conn.execute(
            insert(outbox_recipients),
            [
                {
                    "community_id": row["community_id"],
                    "outbox_id": new_id,
                    "member_id": member_id,
                    "position": i,
                }
                for i, member_id in enumerate(member_ids)
            ],
        )
    return int(new_id)


def update_message(
    conn: Connection,
    community_id: int,
    message_id: int,
    *,
    expect: Iterable[str] | None = None,
    **values: Any,
) -> bool:
    """Change one row; with `expect`, only when its status is one of those. True when a row changed."""
    statement = update(outbox).where(
        outbox.c.community_id == community_id, outbox.c.id == message_id
    )
    if expect is not None:
        statement = statement.where(outbox.c.status.in_(list(expect)))
    return bool(conn.execute(statement.values(**values)).rowcount)


def mark_recipient_sent(
    conn: Connection,
    community_id: int,
    message_id: int,
    member_id: int,
    *,
    at: datetime,
    external_ref: str | None,
) -> None:
    conn.execute(
        update(outbox_recipients)
        .where(
            outbox_recipients.c.community_id == community_id,
            outbox_recipients.c.outbox_id == message_id,
            outbox_recipients.c.member_id == member_id,
        )
        .values(sent_at=at, external_ref=external_ref)
    )


def insert_timeline_entries(
    conn: Connection,
    community_id: int,
    message: OutboxMessage,
    member_ids: list[int],
    *,
    at: datetime,
) -> None:
    """One `message_sent` activity per member, source "tending", source_id "outbox:<id>:<member>".

    Written here rather than through store/ingest.py: the Ingestor keys members by (platform, external id)
    and would create a "tending" member; a message sent is not the member's own activity, so it must not
    move their activity rollups either (ingest's rollup SQL leaves message_sent out for the same reason).
    Re-recording the same message is a no-op thanks to the activities' unique (source, source_id).
    """
    if not member_ids:
        return
    wanted = {f"outbox:{message.id}:{member_id}": member_id for member_id in member_ids}
    existing = set(
        conn.execute(
            select(activities.c.source_id).where(
                activities.c.community_id == community_id,
                activities.c.source == "tending",
                activities.c.source_id.in_(list(wanted)),
            )
        ).scalars()
    )
    rows = [
        {
            "community_id": community_id,
            "member_id": member_id,
            "kind": MESSAGE_SENT,
            "occurred_at": at,
            "text": message.body,
            "source": "tending",
            "source_id": source_id,
            "extra": {"outbox_id": message.id, "rule": message.rule, "channel": message.channel},
        }
        for source_id, member_id in wanted.items()
        if source_id not in existing
    ]
    if rows:
        conn.execute(insert(activities), rows)


def move_recipients(
    conn: Connection, community_id: int, *, from_member: int, to_member: int
) -> list[int]:
    """A merge: readdress `from_member`'s messages (sent or not) to `to_member`, so the person's history and
    pending messages follow them. A message already addressed to both keeps the kept member's row (the other
    is dropped: one person gets it once). Playbook actions follow too. Returns the ids of the messages that
    were addressed to `from_member`."""
    theirs = set(
        conn.execute(
            select(outbox_recipients.c.outbox_id).where(
                outbox_recipients.c.community_id == community_id,
                outbox_recipients.c.member_id == from_member,
            )
        ).scalars()
    )
    if theirs:
        ours = set(
            conn.execute(
                select(outbox_recipients.c.outbox_id).where(
                    outbox_recipients.c.community_id == community_id,
                    outbox_recipients.c.member_id == to_member,
                    outbox_recipients.c.outbox_id.in_(sorted(theirs)),
                )
            ).scalars()
        )
        if ours:
            conn.execute(
                delete(outbox_recipients).where(
                    outbox_recipients.c.community_id == community_id,
                    outbox_recipients.c.member_id == from_member,
                    outbox_recipients.c.outbox_id.in_(sorted(ours)),
                )
            )
        conn.execute(
            update(outbox_recipients)
            .where(
                outbox_recipients.c.community_id == community_id,
                outbox_recipients.c.member_id == from_member,
            )
            .values(member_id=to_member)
        )
    conn.execute(
        update(playbook_actions)
        .where(
            playbook_actions.c.community_id == community_id,
            playbook_actions.c.member_id == from_member,
        )
        .values(member_id=to_member)
    )
    return sorted(theirs)


def get_rules_addressed_to(
    conn: Connection,
    community_id: int,
    member_id: int,
    *,
    statuses: Iterable[str],
    channels: Iterable[str],
    exclude: Iterable[int] = (),
) -> set[str]:
    """The rules of the messages addressed to a member in these statuses and channels."""
    statement = (
        select(outbox.c.rule)
        .distinct()
        .join(outbox_recipients, outbox_recipients.c.outbox_id == outbox.c.id)
        .where(
            outbox.c.community_id == community_id,
            outbox_recipients.c.member_id == member_id,
            outbox.c.status.in_(list(statuses)),
            outbox.c.channel.in_(list(channels)),
        )
    )
    excluded = list(exclude)
    if excluded:
        statement = statement.where(outbox.c.id.not_in(excluded))
    return set(conn.execute(statement).scalars())


# -- claiming -----------------------------------------------------------------------------------------


def _due_clause(community_id: int, now: datetime) -> Any:
    return and_(
        outbox.c.community_id == community_id,
        outbox.c.status == APPROVED,
        outbox.c.due_at <= now,
        or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
    )


def claim_rows(
    conn: Connection, community_id: int, *, now: datetime, token: str, limit: int
) -> list[int]:
    """Move up to `limit` approved, due rows to `sending` under `token`; return their ids.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows without
    waiting. SQLite: one conditional UPDATE (a write statement takes the database's write lock before
    reading), so a row can be claimed by one worker only; the others see it no longer `approved`.
    """
    values = {
        "status": SENDING,
        "claim_token": token,
        "claimed_at": now,
        "updated_at": now,
        "attempts": outbox.c.attempts + 1,
    }
    if conn.dialect.name == "postgresql":
        ids = list(
            conn.execute(
                select(outbox.c.id)
                .where(_due_clause(community_id, now))
                .order_by(outbox.c.due_at, outbox.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if ids:
            conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(**values))
        return ids
    chosen = (
        select(outbox.c.id)
        .where(_due_clause(community_id, now))
        .order_by(outbox.c.due_at, outbox.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    conn.execute(
        update(outbox).where(outbox.c.id.in_(chosen), outbox.c.status == APPROVED).values(**values)
    )
    return list(
        conn.execute(
            select(outbox.c.id).where(
                outbox.c.community_id == community_id,
                outbox.c.claim_token == token,
                outbox.c.status == SENDING,
            )
        ).scalars()
    )


def claim_row(
    conn: Connection, community_id: int, message_id: int, *, now: datetime, token: str
) -> bool:
    """Claim one approved row now, whatever its due instant (a human asked to send it)."""
    return bool(
        conn.execute(
            update(outbox)
            .where(
                outbox.c.community_id == community_id,
                outbox.c.id == message_id,
                outbox.c.status == APPROVED,
            )
            .values(
                status=SENDING,
                claim_token=token,
                claimed_at=now,
                updated_at=now,
                attempts=outbox.c.attempts + 1,
            )
        ).rowcount
    )


def get_stale_sending(
    conn: Connection, community_id: int, *, before: datetime
) -> list[OutboxMessage]:
    """Rows left in `sending` since before `before`: their worker crashed or was killed mid-send."""
    ids = list(
        conn.execute(
            select(outbox.c.id).where(
                outbox.c.community_id == community_id,
                outbox.c.status == SENDING,
                outbox.c.claimed_at < before,
            )
        ).scalars()
    )
    return get_messages(conn, community_id, ids)


# -- reading --------------------------------------------------------------------------------------------


def _message(row: Any, member_ids: list[int]) -> OutboxMessage:
    values = {
        name: getattr(row, name) for name in OutboxMessage.__slots__ if name not in ("member_ids",)
    }
    return OutboxMessage(**values, member_ids=member_ids)


def _recipients_of(conn: Connection, community_id: int, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in ids}
    for start in range(0, len(ids), 2000):
        rows = conn.execute(
            select(outbox_recipients.c.outbox_id, outbox_recipients.c.member_id)
            .where(
                outbox_recipients.c.community_id == community_id,
                outbox_recipients.c.outbox_id.in_(ids[start : start + 2000]),
            )
            .order_by(outbox_recipients.c.outbox_id, outbox_recipients.c.position)
        )
        for outbox_id, member_id in rows:
            found[outbox_id].append(member_id)
    return found


def get_messages(conn: Connection, community_id: int, ids: list[int]) -> list[OutboxMessage]:
    if not ids:
        return []
    rows = list(
        conn.execute(
            select(outbox)
            .where(outbox.c.community_id == community_id, outbox.c.id.in_(ids))
            .order_by(outbox.c.due_at, outbox.c.id)
        )
    )
    recipients = _recipients_of(conn, community_id, [row.id for row in rows])
    return [_message(row, recipients[row.id]) for row in rows]


def get_message(conn: Connection, community_id: int, message_id: int) -> OutboxMessage | None:
    found = get_messages(conn, community_id, [message_id])
    return found[0] if found else None


def get_message_by_key(conn: Connection, community_id: int, key: str) -> OutboxMessage | None:
    message_id = conn.execute(
        select(outbox.c.id).where(outbox.c.community_id == community_id, outbox.c.key == key)
    ).scalar()
    return None if message_id is None else get_message(conn, community_id, message_id)


def get_recipients(conn: Connection, community_id: int, message_id: int) -> list[Recipient]:
    rows = conn.execute(
        select(outbox_recipients)
        .where(
            outbox_recipients.c.community_id == community_id,
            outbox_recipients.c.outbox_id == message_id,
        )
        .order_by(outbox_recipients.c.position)
    )
    return [
        Recipient(
            member_id=r.member_id,
            position=r.position,
            sent_at=r.sent_at,
            external_ref=r.external_ref,
        )
        for r in rows
    ]


def list_messages(
    conn: Connection,
    community_id: int,
    *,
    statuses: list[str] | None = None,
    rule: str | None = None,
    member_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[OutboxMessage]:
    query = select(outbox.c.id).where(outbox.c.community_id == community_id)
    if statuses:
        query = query.where(outbox.c.status.in_(statuses))
    if rule:
        query = query.where(outbox.c.rule == rule)
    if member_id is not None:
        query = query.where(
            outbox.c.id.in_(
                select(outbox_recipients.c.outbox_id).where(
                    outbox_recipients.c.community_id == community_id,
                    outbox_recipients.c.member_id == member_id,
                )
            )
        )
    ids = list(
        conn.execute(
            query.order_by(outbox.c.due_at.desc(), outbox.c.id.desc()).limit(limit).offset(offset)
        ).scalars()
    )
    return sorted(get_messages(conn, community_id, ids), key=lambda m: (m.due_at, m.id))


def get_keys_since(
    conn: Connection, community_id: int, *, rules: list[str], since: datetime
) -> set[str]:
    """Keys of the outbox rows and playbook actions of these rules due at or after `since`."""
    found = set(
        conn.execute(
            select(outbox.c.key).where(
                outbox.c.community_id == community_id,
                outbox.c.rule.in_(rules),
                outbox.c.due_at >= since,
            )
        ).scalars()
    )
    found.update(
        conn.execute(
            select(playbook_actions.c.key).where(
                playbook_actions.c.community_id == community_id,
                playbook_actions.c.rule.in_(rules),
                playbook_actions.c.done_at >= since,
            )
        ).scalars()
    )
    return found


def insert_playbook_action(
    conn: Connection,
    community_id: int,
    *,
    key: str,
    rule: str,
    action: str,
    member_id: int | None,
    at: datetime,
) -> bool:
    """Record an action done once; False when its key was already recorded."""
    dialect = upsert_dialect(conn)
    result = conn.execute(
        dialect.insert(playbook_actions)
        .values(
            community_id=community_id,
            key=key,
            rule=rule,
            action=action,
            member_id=member_id,
            done_at=at,
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


def get_last_contacted(
    conn: Connection, community_id: int, member_ids: list[int]
) -> dict[int, datetime]:
    """When each member was last sent a private message or e-mail (posts naming them do not count)."""
    found: dict[int, datetime] = {}
    for start in range(0, len(member_ids), 2000):
        rows = conn.execute(
            select(outbox_recipients.c.member_id, func.max(outbox_recipients.c.sent_at))
            .join(outbox, outbox.c.id == outbox_recipients.c.outbox_id)
            .where(
                outbox_recipients.c.community_id == community_id,
                outbox_recipients.c.member_id.in_(member_ids[start : start + 2000]),
                outbox_recipients.c.sent_at.is_not(None),
                outbox.c.channel.in_([PRIVATE, EMAIL]),
            )
            .group_by(outbox_recipients.c.member_id)
        )
        for member_id, at in rows:
            if at is not None:
                found[member_id] = at
    return found


def count_messages(
    conn: Connection, community_id: int, *, statuses: list[str] | None = None
) -> int:
    query = select(func.count()).select_from(outbox).where(outbox.c.community_id == community_id)
    if statuses:
        query = query.where(outbox.c.status.in_(statuses))
    return int(conn.execute(query).scalar_one())


def count_by_status(conn: Connection, community_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(outbox.c.status, func.count())
        .where(outbox.c.community_id == community_id)
        .group_by(outbox.c.status)
    )
    return {status: int(count) for status, count in rows}


# -- rooms ------------------------------------------------------------------------------------------------


def get_room(conn: Connection, community_id: int, *, transport: str, address: str) -> str | None:
    return conn.execute(
        select(delivery_rooms.c.room_id).where(
            delivery_rooms.c.community_id == community_id,
            delivery_rooms.c.transport == transport,
            delivery_rooms.c.address == address,
        )
    ).scalar()


def save_room(
    conn: Connection, community_id: int, *, transport: str, address: str, room_id: str, at: datetime
) -> None:
    dialect = upsert_dialect(conn)
    conn.execute(
        dialect.insert(delivery_rooms)
        .values(
            community_id=community_id,
            transport=transport,
            address=address,
            room_id=room_id,
            created_at=at,
        )
        .on_conflict_do_nothing()
    )


# -- playbooks ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EnabledPlaybook:
    community_id: int
    name: str
    source: str
    since: datetime
    last_run_at: datetime | None


def get_enabled_playbook(conn: Connection, community_id: int) -> EnabledPlaybook | None:
    row = conn.execute(
        select(onboarding_playbooks).where(onboarding_playbooks.c.community_id == community_id)
    ).first()
    if row is None:
        return None
    return EnabledPlaybook(
        community_id=row.community_id,
        name=row.name,
        source=row.source,
        since=row.since,
        last_run_at=row.last_run_at,
    )


def save_playbook(
    conn: Connection, community_id: int, *, name: str, source: str, since: datetime, at: datetime
) -> None:
    changed = conn.execute(
        update(onboarding_playbooks)
        .where(onboarding_playbooks.c.community_id == community_id)
        .values(name=name, source=source, since=since, last_run_at=None, updated_at=at)
    ).rowcount
    if not changed:
        conn.execute(
            insert(onboarding_playbooks).values(
                community_id=community_id,
                name=name,
                source=source,
                since=since,
                created_at=at,
                updated_at=at,
            )
        )


def set_playbook_last_run(conn: Connection, community_id: int, *, at: datetime) -> None:
    conn.execute(
        update(onboarding_playbooks)
        .where(onboarding_playbooks.c.community_id == community_id)
        .values(last_run_at=at)
    )


# -- what is stuck ----------------------------------------------------------------------------------------


def get_stuck_counts(
    conn: Connection,
    community_id: int,
    *,
    now: datetime,
    stale_before: datetime,
    overdue_before: datetime,
) -> dict[str, int]:
    """Rows that need someone: flagged for a human check, failed, left `sending` by a dead worker, and
    approved rows due for a while that nothing sent (no worker running, or a configuration mistake)."""
    c = outbox.c
    mine = c.community_id == community_id
    queries = {
        "needs_check": and_(mine, c.status == FAILED, c.needs_check.is_(True)),
        "failed": and_(mine, c.status == FAILED, c.needs_check.is_(False)),
        "stale_sending": and_(mine, c.status == SENDING, c.claimed_at < stale_before),
        "overdue": and_(
            mine,
            c.status == APPROVED,
            c.due_at < overdue_before,
            or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
        ),
    }
    return {
        name: int(conn.execute(select(func.count()).where(where)).scalar_one())
        for name, where in queries.items()
    }


def get_queued_channels(conn: Connection, community_id: int) -> set[str]:
    """The channels of the approved rows waiting to be sent."""
    return set(
        conn.execute(
            select(outbox.c.channel)
            .where(outbox.c.community_id == community_id, outbox.c.status == APPROVED)
            .distinct()
        ).scalars()
    )


# -- the outbox as a queue: filters and pages (tending.actions.outbox_queue) ------------------------------


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """What an outbox listing shows and what a bulk approve or skip takes (empty: no condition)."""

    statuses: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    member_ids: tuple[int, ...] = ()
    due_after: datetime | None = None
    due_before: datetime | None = None


def _message_conditions(community_id: int, where: MessageFilter) -> list[Any]:
    found: list[Any] = [outbox.c.community_id == community_id]
    if where.statuses:
        order = {s: n for n, s in enumerate(PENDING_TAB + DONE_TAB)}
        known = sorted(set(where.statuses), key=lambda s: (order.get(s, len(order)), s))
        found.append(
            outbox.c.status.in_(bindparam("statuses", known, expanding=True, literal_execute=True))
        )
    if where.rules:
        found.append(outbox.c.rule.in_(where.rules))
    if where.channels:
        found.append(outbox.c.channel.in_(where.channels))
    if where.languages:
        found.append(outbox.c.language.in_(where.languages))
    if where.member_ids:
        found.append(
            outbox.c.id.in_(
                select(outbox_recipients.c.outbox_id).where(
                    outbox_recipients.c.community_id == community_id,
                    outbox_recipients.c.member_id.in_(where.member_ids),
                )
            )
        )
    if where.due_after is not None:
        found.append(outbox.c.due_at >= where.due_after)
    if where.due_before is not None:
        found.append(outbox.c.due_at < where.due_before)
    return found


def find_message_ids(
    conn: Connection,
    community_id: int,
    where: MessageFilter,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = True,
) -> list[int]:
    query = message_ids_query(
        community_id, where, limit=limit, offset=offset, newest_first=newest_first
    )
    return [int(i) for i in conn.execute(query).scalars()]


def message_ids_query(
    community_id: int,
    where: MessageFilter,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = True,
) -> Any:
    """The SELECT of find_message_ids (its plan is tested: the tabs' partial indexes)."""
    order = (
        (outbox.c.due_at.desc(), outbox.c.id.desc())
        if newest_first
        else (outbox.c.due_at.asc(), outbox.c.id.asc())
    )
    return (
        select(outbox.c.id)
        .where(*_message_conditions(community_id, where))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )


def count_matching_messages(conn: Connection, community_id: int, where: MessageFilter) -> int:
    query = (
        select(func.count()).select_from(outbox).where(*_message_conditions(community_id, where))
    )
    return int(conn.execute(query).scalar_one())


# One index lookup per rule on (community_id, rule, due_at), where SELECT DISTINCT read every row:
# PostgreSQL has no skip scan, and spent 50 ms on 100,000 messages for a list of four names.
RULES_SQL = text(
    "WITH RECURSIVE found(rule) AS ("
    " SELECT min(rule) FROM outbox WHERE community_id = :cid"
    " UNION ALL"
    " SELECT (SELECT min(o.rule) FROM outbox o WHERE o.community_id = :cid AND o.rule > found.rule)"
    " FROM found WHERE found.rule IS NOT NULL"
    ") SELECT rule FROM found WHERE rule IS NOT NULL"
)


def get_rules(conn: Connection, community_id: int) -> list[str]:
    """The rules that drafted messages in the community, for the listing's filter."""
    return sorted(str(r) for (r,) in conn.execute(RULES_SQL, {"cid": community_id}))


def update_messages(
    conn: Connection, community_id: int, ids: list[int], *, expect: Iterable[str], **values: Any
) -> int:
    """update_message for many rows still in one of `expect`; how many changed."""
    changed = 0
    for start in range(0, len(ids), 2000):
        statement = (
            update(outbox)
            .where(
                outbox.c.community_id == community_id,
                outbox.c.id.in_(ids[start : start + 2000]),
                outbox.c.status.in_(list(expect)),
            )
            .values(**values)
        )
        changed += int(conn.execute(statement).rowcount or 0)
    return changed
