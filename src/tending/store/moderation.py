"""The moderation tables: the review queue, offender counts for escalation, and the fingerprints
(MinHash signatures, image dHashes) that let a later scan recognise a repost of older content.

Every table carries community_id; no query crosses communities. The tables are created by the
migration 0005_moderation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

if TYPE_CHECKING:
    import numpy as np

from tending.models import CONTRIBUTION_KINDS, MemberBrief, QueueAppeal, QueueItem
from tending.store.ingest import batched
from tending.store.schema import (
    Key,
    Timestamp,
    activities,
    channels,
    community_fk,
    member_stats,
    members,
    metadata,
)

OPEN = "open"
DONE = "done"

moderation_items = Table(
    "moderation_items",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("activity_id", Key),  # None for community-level findings (a week of off-topic drift)
    Column("member_id", Key),
    Column("signal", String(30), nullable=False),
    # what the finding is about: "activity:<id>", "thread:<id>:<first id>", "week:<monday>"; rescanning
    # finds the same key and adds nothing
    Column("subject_key", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("status", String(20), nullable=False, default=OPEN),
    Column("action", String(20)),
    Column("reply", Text),
    Column("note", Text),
    Column("acted_by", String(200)),
    Column("acted_at", Timestamp),
    # a moderator's lease on the item (migration 0013): while it runs, no one else decides on it
    Column("claimed_by", String(200)),
    Column("claimed_until", Timestamp),
    # facts of the finding the queue filters on (0013): its channel, language, and the author's account
    # age in days when they posted
    Column("channel_id", Key),
    Column("language", String(8)),
    Column("account_age_days", Float),
    UniqueConstraint("community_id", "signal", "subject_key"),
    Index(None, "community_id", "status", "occurred_at"),
    Index(None, "community_id", "member_id"),
    Index("ix_moderation_items_queue_signal", "community_id", "status", "signal", "occurred_at"),
    Index("ix_moderation_items_decided_by", "community_id", "acted_by", "acted_at"),
    Index(
        "ix_moderation_items_filters",
        "community_id",
        "status",
        "signal",
        "channel_id",
        "score",
        "account_age_days",
        "language",
    ),
)

# A member disputes a decision (0013): the decision disputed is kept here, the outcome recorded once the
# reopened item is decided again.
moderation_appeals = Table(
    "moderation_appeals",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("item_id", Key, nullable=False),
    Column("member_id", Key),
    Column("statement", Text),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", Timestamp, nullable=False),
    Column("original_action", String(20), nullable=False),
    Column("original_reply", Text),
    Column("original_by", String(200)),
    Column("original_at", Timestamp),
    Column("outcome", String(20)),
    Column("decided_action", String(20)),
    Column("decided_by", String(200)),
    Column("decided_at", Timestamp),
    Index(None, "community_id", "item_id"),
)

moderation_offenders = Table(
    "moderation_offenders",
    metadata,
    Column("member_id", Key, primary_key=True),
    community_fk(),
    Column(
        "flags", Integer, nullable=False, default=0
    ),  # findings a moderator confirmed (any action but leave)
    Column("nudges", Integer, nullable=False, default=0),
    Column("notes", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("removals", Integer, nullable=False, default=0),
    Column("last_flag_at", Timestamp),
    Index(None, "community_id", "flags"),
)

moderation_fingerprints = Table(
    "moderation_fingerprints",
    metadata,
    Column("activity_id", Key, primary_key=True),
    Column("kind", String(10), primary_key=True),  # "text" or "image"
    Column("position", Integer, primary_key=True),  # which image of the activity (0 for text)
    community_fk(),
    Column("member_id", Key, nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    # MinHash (uint32 little-endian) or a 64-bit dHash; empty: a text too short to compare (marks it as seen)
    Column("signature", LargeBinary, nullable=False),
    Column("path", String(1000)),
    Index(None, "community_id", "kind", "occurred_at"),
)


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One activity as the scanner needs it, with its author's context."""

    id: int
    member_id: int
    kind: str
    occurred_at: datetime
    thread_id: int | None
    channel_id: int | None
    text: str
    language: str | None
    extra: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AuthorContext:
    joined_at: datetime | None
    first_contribution_at: datetime | None
    language: str | None
    is_staff: bool
    is_bot: bool
    do_not_contact: bool
    display_name: str | None


# -- activities to scan --------------------------------------------------------------------------------


def _scan_filter(community_id: int, since: datetime | None, *, by_id: bool = False) -> Any:
    """by_id: for keyset pagination in id order. SQLite otherwise picks a (community, ...) index and
    reads and sorts every contribution of the community for each batch (quadratic: a million-message
    scan spent most of its time there); `community_id + 0` keeps the condition but lets it walk the
    primary key from the last id instead."""
    community = activities.c.community_id + 0 if by_id else activities.c.community_id
    # a contribution without text is scanned when it carries something (a picture, for image reposts)
    condition = and_(
        community == community_id,
        activities.c.kind.in_(sorted(CONTRIBUTION_KINDS)),
        or_(activities.c.text.is_not(None), activities.c.extra.is_not(None)),
    )
    if since is not None:
        condition = and_(condition, activities.c.occurred_at >= since)
    return condition


def _scan_row(row: Any) -> ScanRow:
    values = list(row)
    values[6] = values[6] or ""  # text: an image-only message has none
    return ScanRow(*values)


def _walk_ids(conn: Connection) -> bool:
    """PostgreSQL plans by statistics and can use its indexes with the plain condition."""
    return conn.dialect.name == "sqlite"


def count_scannable(conn: Connection, community_id: int, *, since: datetime | None) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(activities).where(_scan_filter(community_id, since))
        ).scalar_one()
    )


SCAN_COLUMNS = (
    activities.c.id,
    activities.c.member_id,
    activities.c.kind,
    activities.c.occurred_at,
    activities.c.thread_id,
    activities.c.channel_id,
    activities.c.text,
    activities.c.language,
    activities.c.extra,
)


def _scan_batches(conn: Connection, condition: Any, batch_size: int) -> Iterator[list[ScanRow]]:
    """The activities matching `condition`, in batches ordered by id (keyset pagination: flat memory)."""
    last_id = 0
    while True:
        query = (
            select(*SCAN_COLUMNS)
            .where(condition, activities.c.id > last_id)
            .order_by(activities.c.id)
            .limit(batch_size)
        )
        rows = [_scan_row(row) for row in conn.execute(query)]
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def iter_scannable(
    conn: Connection, community_id: int, *, since: datetime | None, batch_size: int = 5000
) -> Iterator[list[ScanRow]]:
    """Contributions with text (or a picture), in batches ordered by id."""
    return _scan_batches(conn, _scan_filter(community_id, since, by_id=_walk_ids(conn)), batch_size)


def iter_unfingerprinted(
    conn: Connection, community_id: int, *, before: datetime, batch_size: int = 5000
) -> Iterator[list[ScanRow]]:
    """Contributions before `before` that have no text fingerprint yet (not even the empty marker)."""
    # "+ 0": looked up by the primary key (activity id), not by the community's index (which SQLite
    # chose, reading every fingerprint of the community for each activity)
    fingerprinted = select(moderation_fingerprints.c.activity_id).where(
        moderation_fingerprints.c.community_id + 0 == community_id,
        moderation_fingerprints.c.kind == "text",
        moderation_fingerprints.c.activity_id == activities.c.id,
    )
    return _scan_batches(
        conn,
        and_(
            _scan_filter(community_id, None, by_id=_walk_ids(conn)),
            activities.c.occurred_at < before,
            ~fingerprinted.exists(),
        ),
        batch_size,
    )


def sample_texts(conn: Connection, community_id: int, *, limit: int) -> list[str]:
    """An evenly spread sample of the community's contributions (the profile for off-topic drift)."""
    total = count_scannable(conn, community_id, since=None)
    step = max(total // limit, 1)
    query = (
        select(activities.c.text)
        .where(
            _scan_filter(community_id, None),
            activities.c.text.is_not(None),
            (activities.c.id % step) == 0,
        )
        .limit(limit)
    )
    return [text for (text,) in conn.execute(query)]


def get_author_contexts(
    conn: Connection, community_id: int, member_ids: Iterable[int]
) -> dict[int, AuthorContext]:
    # lookups by id use "community_id + 0": the rows are found by primary key and the community is still
    # checked; with the plain condition SQLite read the community's whole index for every chunk of ids
    found: dict[int, AuthorContext] = {}
    for chunk in batched(sorted(set(member_ids)), 2000):
        query = (
            select(
                members.c.id,
                members.c.joined_at,
                member_stats.c.first_contribution_at,
                members.c.language,
                members.c.is_staff,
                members.c.is_bot,
                members.c.do_not_contact,
                members.c.display_name,
            )
            .select_from(members.outerjoin(member_stats, member_stats.c.member_id == members.c.id))
            .where(members.c.community_id + 0 == community_id, members.c.id.in_(chunk))
        )  # by the key
        for row in conn.execute(query):
            found[row[0]] = AuthorContext(*row[1:])
    return found


def get_channel_names(conn: Connection, community_id: int) -> dict[int, str]:
    rows = conn.execute(
        select(channels.c.id, channels.c.name).where(channels.c.community_id == community_id)
    )
    return {cid: name or "" for cid, name in rows}


def get_activity_texts(
    conn: Connection, community_id: int, ids: Iterable[int]
) -> dict[int, tuple[str, datetime, int, str]]:
    """id -> (text, occurred_at, member_id, kind), for the evidence of reposts."""
    found = {}
    for chunk in batched(sorted(set(ids)), 2000):
        rows = conn.execute(
            select(
                activities.c.id,
                activities.c.text,
                activities.c.occurred_at,
                activities.c.member_id,
                activities.c.kind,
            ).where(activities.c.community_id + 0 == community_id, activities.c.id.in_(chunk))
        )
        for aid, text, at, mid, kind in rows:
            found[aid] = (text or "", at, mid, kind)
    return found


# -- fingerprints ----------------------------------------------------------------------------------------


def bulk_add_fingerprints(conn: Connection, community_id: int, rows: list[dict[str, Any]]) -> int:
    """rows: activity_id, kind, position, member_id, occurred_at, signature, path. Existing ones are kept."""
    if not rows:
        return 0
    ids = sorted({r["activity_id"] for r in rows})
    existing: set[tuple[int, str, int]] = set()
    for chunk in batched(ids, 2000):
        # by the primary key (activity ids are unique across communities; the community is checked on
        # the rows): with the community in the WHERE clause, SQLite chose the community's index and read
        # every fingerprint of the community for each chunk
        found = conn.execute(
            select(
                moderation_fingerprints.c.activity_id,
                moderation_fingerprints.c.kind,
                moderation_fingerprints.c.position,
                moderation_fingerprints.c.community_id,
            ).where(moderation_fingerprints.c.activity_id.in_(chunk))
        )
        existing.update(
            (aid, kind, position) for aid, kind, position, cid in found if cid == community_id
        )
    fresh = [
        {"community_id": community_id, **r}
        for r in rows
        if (r["activity_id"], r["kind"], r["position"]) not in existing
    ]
    if fresh:
        conn.execute(insert(moderation_fingerprints), fresh)
    return len(fresh)


@dataclass
class Fingerprints:
    activity_ids: np.ndarray
    member_ids: np.ndarray
    occurred: np.ndarray  # microseconds since the epoch
    signatures: np.ndarray  # one row per fingerprint
    paths: list[str | None]


def get_fingerprints(conn: Connection, community_id: int, kind: str, *, width: int) -> Fingerprints:
    """Every fingerprint of a kind in the community; signatures as a (n, width) uint32 or (n,) uint64 array."""
    import numpy as np

    query = select(
        moderation_fingerprints.c.activity_id,
        moderation_fingerprints.c.member_id,
        moderation_fingerprints.c.occurred_at,
        moderation_fingerprints.c.signature,
        moderation_fingerprints.c.path,
    ).where(
        moderation_fingerprints.c.community_id == community_id,
        moderation_fingerprints.c.kind == kind,
    )
    ids, mids, at, blobs, paths = [], [], [], [], []
    for aid, mid, occurred, blob, path in conn.execute(query.execution_options(yield_per=20000)):
        if not blob:
            continue  # the marker of a text too short to compare
        ids.append(aid)
        mids.append(mid)
        at.append(int(occurred.timestamp() * 1_000_000))
        blobs.append(blob)
        paths.append(path)
    dtype = np.dtype("<u4") if kind == "text" else np.dtype("<u8")
    signatures = np.frombuffer(b"".join(blobs), dtype=dtype)
    if kind == "text":
        signatures = signatures.reshape(len(ids), width)
    return Fingerprints(
        np.array(ids, dtype=np.int64),
        np.array(mids, dtype=np.int64),
        np.array(at, dtype=np.int64),
        signatures,
        paths,
    )


# -- queue items ---------------------------------------------------------------------------------------


def bulk_add_items(
    conn: Connection, community_id: int, items: list[dict[str, Any]], *, now: datetime
) -> int:
    """Insert findings not yet in the queue (unique by signal and subject). Returns how many were new."""
    if not items:
        return 0
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        wanted.setdefault((item["signal"], item["subject_key"]), item)
    existing: set[tuple[str, str]] = set()
    for signal in sorted({s for s, _key in wanted}):
        keys = sorted(k for s, k in wanted if s == signal)
        for chunk in batched(keys, 2000):
            # community, signal and keys: the unique index answers it (without the signal, the lookup
            # read every item of the community, and a million-message scan slowed down as its queue grew)
            existing.update(
                conn.execute(
                    select(moderation_items.c.signal, moderation_items.c.subject_key).where(
                        moderation_items.c.community_id == community_id,
                        moderation_items.c.signal == signal,
                        moderation_items.c.subject_key.in_(chunk),
                    )
                ).all()
            )
    fresh = [
        {
            "community_id": community_id,
            "created_at": now,
            "status": OPEN,
            "activity_id": None,
            "member_id": None,
            **item,
        }
        for key, item in wanted.items()
        if key not in existing
    ]
    if fresh:
        _add_facts(conn, community_id, fresh)
        conn.execute(insert(moderation_items), fresh)
    return len(fresh)


def _add_facts(conn: Connection, community_id: int, rows: list[dict[str, Any]]) -> None:
    """The channel, language and account age the queue filters on, from each item's activity, evidence
    and author (kept when the scanner gave them)."""
    facts: dict[int, tuple[int | None, datetime | None]] = {}
    ids = sorted({r["activity_id"] for r in rows if r.get("activity_id")})
    for chunk in batched(ids, 2000):
        found = conn.execute(
            select(activities.c.id, activities.c.channel_id, members.c.joined_at)
            .select_from(activities.outerjoin(members, members.c.id == activities.c.member_id))
            .where(activities.c.community_id + 0 == community_id, activities.c.id.in_(chunk))
        )
        facts.update({aid: (channel, joined) for aid, channel, joined in found})
    for row in rows:
        channel, joined = facts.get(row.get("activity_id") or 0, (None, None))
        evidence = row.get("evidence")
        lang = evidence.get("lang") if isinstance(evidence, dict) else None
        row.setdefault("channel_id", channel)
        row.setdefault("language", lang[:8] if isinstance(lang, str) else None)
        if "account_age_days" not in row:
            age = (
                row["occurred_at"] - joined if joined is not None and row.get("member_id") else None
            )
            row["account_age_days"] = age.total_seconds() / 86400 if age is not None else None


def get_items(
    conn: Connection,
    community_id: int,
    *,
    status: str | None = OPEN,
    limit: int | None = None,
    offset: int = 0,
) -> list[QueueItem]:
    query = select(moderation_items).where(moderation_items.c.community_id == community_id)
    if status is not None:
        query = query.where(moderation_items.c.status == status)
    query = query.order_by(moderation_items.c.occurred_at.desc(), moderation_items.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [_item(row) for row in conn.execute(query)]


def count_items(conn: Connection, community_id: int, *, status: str | None = OPEN) -> int:
    query = (
        select(func.count())
        .select_from(moderation_items)
        .where(moderation_items.c.community_id == community_id)
    )
    if status is not None:
        query = query.where(moderation_items.c.status == status)
    return int(conn.execute(query).scalar_one())


def get_members_with_open_findings(conn: Connection, community_id: int, *, signal: str) -> set[int]:
    """Members with at least one open finding of `signal` (the check-in list leaves spammers out)."""
    rows = conn.execute(
        select(moderation_items.c.member_id)
        .distinct()
        .where(
            moderation_items.c.community_id == community_id,
            moderation_items.c.signal == signal,
            moderation_items.c.status == OPEN,
            moderation_items.c.member_id.is_not(None),
        )
    )
    return {int(member_id) for (member_id,) in rows}


def get_threads_with_open_findings(
    conn: Connection, community_id: int, *, signal: str, thread_ids: Iterable[int]
) -> set[int]:
    """Among `thread_ids`, the threads whose first message has an open finding of `signal`."""
    wanted = list(dict.fromkeys(int(t) for t in thread_ids))
    found: set[int] = set()
    for chunk in batched(wanted, 500):
        rows = conn.execute(
            select(activities.c.thread_id)
            .distinct()
            .select_from(
                moderation_items.join(activities, activities.c.id == moderation_items.c.activity_id)
            )
            .where(
                moderation_items.c.community_id == community_id,
                moderation_items.c.signal == signal,
                moderation_items.c.status == OPEN,
                activities.c.community_id == community_id,
                activities.c.kind == "post",
                activities.c.thread_id.in_(chunk),
            )
        )
        found |= {int(t) for (t,) in rows}
    return found


def get_item(conn: Connection, item_id: int) -> QueueItem | None:
    row = conn.execute(select(moderation_items).where(moderation_items.c.id == item_id)).first()
    return _item(row) if row else None


def update_item_action(
    conn: Connection,
    item_id: int,
    *,
    action: str,
    actor: str,
    at: datetime,
    reply: str | None,
    note: str | None,
) -> None:
    conn.execute(
        update(moderation_items)
        .where(moderation_items.c.id == item_id)
        .values(status=DONE, action=action, acted_by=actor, acted_at=at, reply=reply, note=note)
    )


# -- offenders -----------------------------------------------------------------------------------------

OFFENDER_COUNTERS = {"nudge": "nudges", "note": "notes", "warn": "warnings", "remove": "removals"}


def get_offender_counts(
    conn: Connection, community_id: int, member_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    found = {}
    for chunk in batched(sorted(set(member_ids)), 2000):
        rows = conn.execute(
            select(moderation_offenders).where(
                moderation_offenders.c.community_id == community_id,
                moderation_offenders.c.member_id.in_(chunk),
            )
        )
        for row in rows:
            found[row.member_id] = {
                "flags": row.flags,
                "nudges": row.nudges,
                "notes": row.notes,
                "warnings": row.warnings,
                "removals": row.removals,
            }
    return found


def bump_offender(
    conn: Connection, community_id: int, member_id: int, *, action: str, at: datetime
) -> None:
    """Count a confirmed finding against a member (the basis of escalation)."""
    counter = OFFENDER_COUNTERS[action]
    current = get_offender_counts(conn, community_id, [member_id]).get(member_id)
    if current is None:
        row = {
            "member_id": member_id,
            "community_id": community_id,
            "flags": 1,
            "nudges": 0,
            "notes": 0,
            "warnings": 0,
            "removals": 0,
            "last_flag_at": at,
        }
        row[counter] = 1
        conn.execute(insert(moderation_offenders).values(row))
        return
    conn.execute(
        update(moderation_offenders)
        .where(moderation_offenders.c.member_id == member_id)
        .values({"flags": current["flags"] + 1, counter: current[counter] + 1, "last_flag_at": at})
    )


def move_member(conn: Connection, community_id: int, *, from_member: int, to_member: int) -> int:
    """A merge: `from_member`'s findings, fingerprints and offender counts become `to_member`'s, so repeat
    offences escalate across the person's accounts. Returns how many queue items moved."""
    moved = conn.execute(
        update(moderation_items)
        .where(
            moderation_items.c.community_id == community_id,
            moderation_items.c.member_id == from_member,
        )
        .values(member_id=to_member)
    ).rowcount
    conn.execute(
        update(moderation_fingerprints)
        .where(
            moderation_fingerprints.c.community_id == community_id,
            moderation_fingerprints.c.member_id == from_member,
        )
        .values(member_id=to_member)
    )
    rows = {
        row.member_id: row
        for row in conn.execute(
            select(moderation_offenders).where(
                moderation_offenders.c.community_id == community_id,
                moderation_offenders.c.member_id.in_([from_member, to_member]),
            )
        )
    }
    other = rows.get(from_member)
    if other is not None:
        conn.execute(
            delete(moderation_offenders).where(moderation_offenders.c.member_id == from_member)
        )
        kept = rows.get(to_member)
        if kept is None:
            conn.execute(
                insert(moderation_offenders).values({**other._mapping, "member_id": to_member})
            )
        else:
            counters = ("flags", "nudges", "notes", "warnings", "removals")
            latest = [at for at in (kept.last_flag_at, other.last_flag_at) if at is not None]
            conn.execute(
                update(moderation_offenders)
                .where(moderation_offenders.c.member_id == to_member)
                .values(
                    {
                        **{name: getattr(kept, name) + getattr(other, name) for name in counters},
                        "last_flag_at": max(latest) if latest else None,
                    }
                )
            )
    return int(moved or 0)


def get_member_brief(conn: Connection, community_id: int, member_id: int) -> MemberBrief | None:
    row = conn.execute(
        select(
            members.c.id,
            members.c.display_name,
            members.c.handle,
            members.c.language,
            members.c.do_not_contact,
        ).where(members.c.community_id == community_id, members.c.id == member_id)
    ).first()
    return cast(MemberBrief, dict(row._mapping)) if row else None


# -- the team queue: filters, claims, decisions, reopening, appeals ---------------------------------------

SORTS = ("newest", "oldest", "score")


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """What a listing shows and what `--where` acts on: every field narrows (empty: no condition)."""

    status: str | None = OPEN  # open, done, or None for both
    signals: tuple[str, ...] = ()
    channel_ids: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    min_score: float | None = None
    max_score: float | None = None
    member_ids: tuple[int, ...] = ()
    occurred_after: datetime | None = None  # the item's age: newer than
    occurred_before: datetime | None = None  # older than
    account_younger_than_days: float | None = None  # the author's account age when they posted
    claimed_by: str | None = None  # a holder's name; "" for items nobody holds
    claim_now: datetime | None = None  # the instant claims are judged at (needed with claimed_by)
    ids: tuple[int, ...] = ()  # only these items (a preview's rows)


def _conditions(community_id: int, where: ItemFilter) -> list[Any]:
    items = moderation_items.c
    found: list[Any] = [items.community_id == community_id]
    if where.status is not None:
        found.append(items.status == where.status)
    if where.ids:
        found.append(items.id.in_(where.ids))
    if where.signals:
        found.append(items.signal.in_(where.signals))
    if where.channel_ids:
        found.append(items.channel_id.in_(where.channel_ids))
    if where.languages:
        found.append(items.language.in_(where.languages))
    if where.min_score is not None:
        found.append(items.score >= where.min_score)
    if where.max_score is not None:
        found.append(items.score <= where.max_score)
    if where.member_ids:
        found.append(items.member_id.in_(where.member_ids))
    if where.occurred_after is not None:
        found.append(items.occurred_at >= where.occurred_after)
    if where.occurred_before is not None:
        found.append(items.occurred_at < where.occurred_before)
    if where.account_younger_than_days is not None:
        found.append(items.account_age_days < where.account_younger_than_days)
    if where.claimed_by is not None:
        now = where.claim_now
        assert now is not None, "claimed_by needs claim_now"
        live = and_(items.claimed_by.is_not(None), items.claimed_until > now)
        found.append(
            ~live if where.claimed_by == "" else and_(live, items.claimed_by == where.claimed_by)
        )
    return found


def _order(sort: str) -> list[Any]:
    items = moderation_items.c
    if sort == "oldest":
        return [items.occurred_at.asc(), items.id.asc()]
    if sort == "score":
        return [items.score.desc(), items.id.desc()]
    return [items.occurred_at.desc(), items.id.desc()]


def find_items(
    conn: Connection,
    community_id: int,
    where: ItemFilter,
    *,
    sort: str = "newest",
    limit: int | None,
    offset: int = 0,
) -> list[QueueItem]:
    query = (
        select(moderation_items).where(*_conditions(community_id, where)).order_by(*_order(sort))
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [_item(row) for row in conn.execute(query)]


def count_matching(conn: Connection, community_id: int, where: ItemFilter) -> int:
    query = (
        select(func.count()).select_from(moderation_items).where(*_conditions(community_id, where))
    )
    return int(conn.execute(query).scalar_one())


def find_item_ids(
    conn: Connection, community_id: int, where: ItemFilter, *, limit: int
) -> list[int]:
    """The ids matching `where`, oldest first, at most `limit` (a bulk action's selection)."""
    query = (
        select(moderation_items.c.id)
        .where(*_conditions(community_id, where))
        .order_by(*_order("oldest"))
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def get_items_by_id(
    conn: Connection, community_id: int, ids: Iterable[int]
) -> dict[int, QueueItem]:
    found: dict[int, QueueItem] = {}
    for chunk in batched(sorted(set(ids)), 2000):
        rows = conn.execute(
            select(moderation_items).where(
                moderation_items.c.community_id + 0 == community_id,
                moderation_items.c.id.in_(chunk),
            )
        )
        found.update({row.id: _item(row) for row in rows})
    return found


def _free_for(holder: str, now: datetime) -> Any:
    """Nobody else holds the item at `now`: no claim, an expired one, or `holder`'s own."""
    items = moderation_items.c
    return or_(items.claimed_by.is_(None), items.claimed_until <= now, items.claimed_by == holder)


def set_claims(
    conn: Connection,
    community_id: int,
    ids: list[int],
    *,
    holder: str | None,
    until: datetime | None,
    free_for: str,
    now: datetime,
) -> set[int]:
    """Give (holder) or drop (None) the claim on the open items among `ids` that nobody but `free_for`
    holds at `now`: one UPDATE per chunk, so of two moderators claiming at once only one wins an item.
    Returns the ids changed."""
    changed: set[int] = set()
    for chunk in batched(sorted(set(ids)), 2000):
        condition = and_(
            moderation_items.c.community_id == community_id,
            moderation_items.c.id.in_(chunk),
            moderation_items.c.status == OPEN,
            _free_for(free_for, now),
        )
        wanted = set(conn.execute(select(moderation_items.c.id).where(condition)).scalars())
        if wanted:
            conn.execute(
                update(moderation_items)
                .where(condition, moderation_items.c.id.in_(sorted(wanted)))
                .values(claimed_by=holder, claimed_until=until)
            )
        changed |= wanted
    return changed


def decide_item(
    conn: Connection,
    item_id: int,
    *,
    action: str,
    actor: str,
    holder: str,
    at: datetime,
    reply: str | None,
    note: str | None,
) -> bool:
    """Close an open item nobody else holds; False (nothing written) when it is closed or held: the
    store, not the caller, makes sure two moderators never decide on the same item."""
    result = conn.execute(
        update(moderation_items)
        .where(
            moderation_items.c.id == item_id,
            moderation_items.c.status == OPEN,
            _free_for(holder, at),
        )
        .values(
            status=DONE,
            action=action,
            acted_by=actor,
            acted_at=at,
            reply=reply,
            note=note,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return bool(result.rowcount)


def reopen_item(conn: Connection, item_id: int) -> bool:
    """Put a decided item back in the queue (its decision stays in the audit log and any appeal)."""
    result = conn.execute(
        update(moderation_items)
        .where(moderation_items.c.id == item_id, moderation_items.c.status == DONE)
        .values(status=OPEN, action=None, acted_by=None, acted_at=None, reply=None)
    )
    return bool(result.rowcount)


def unbump_offender(conn: Connection, community_id: int, member_id: int, *, action: str) -> None:
    """Take back a confirmed finding counted by bump_offender (a decision undone)."""
    counter = OFFENDER_COUNTERS[action]
    current = get_offender_counts(conn, community_id, [member_id]).get(member_id)
    if current is None:
        return
    conn.execute(
        update(moderation_offenders)
        .where(moderation_offenders.c.member_id == member_id)
        .values({"flags": max(current["flags"] - 1, 0), counter: max(current[counter] - 1, 0)})
    )


def insert_appeal(conn: Connection, community_id: int, row: dict[str, Any]) -> int:
    result = conn.execute(
        insert(moderation_appeals)
        .values(community_id=community_id, **row)
        .returning(moderation_appeals.c.id)
    )
    return int(result.scalar_one())


def get_appeals(
    conn: Connection, community_id: int, item_ids: Iterable[int]
) -> dict[int, list[QueueAppeal]]:
    """item id -> its appeals, oldest first."""
    found: dict[int, list[QueueAppeal]] = {}
    for chunk in batched(sorted(set(item_ids)), 2000):
        rows = conn.execute(
            select(moderation_appeals)
            .where(
                moderation_appeals.c.community_id == community_id,
                moderation_appeals.c.item_id.in_(chunk),
            )
            .order_by(moderation_appeals.c.opened_at, moderation_appeals.c.id)
        )
        for row in rows:
            found.setdefault(row.item_id, []).append(cast(QueueAppeal, dict(row._mapping)))
    return found


def decide_appeal(conn: Connection, appeal_id: int, **values: Any) -> None:
    conn.execute(
        update(moderation_appeals)
        .where(moderation_appeals.c.id == appeal_id, moderation_appeals.c.outcome.is_(None))
        .values(**values)
    )


def get_member_items(conn: Connection, community_id: int, member_id: int) -> list[QueueItem]:
    """Every finding about a member, newest first (their case file)."""
    query = (
        select(moderation_items)
        .where(
            moderation_items.c.community_id == community_id,
            moderation_items.c.member_id == member_id,
        )
        .order_by(moderation_items.c.occurred_at.desc(), moderation_items.c.id.desc())
    )
    return [_item(row) for row in conn.execute(query)]


def _item(row: Any) -> QueueItem:
    return cast(QueueItem, dict(row._mapping))


def get_channel_ids(
    conn: Connection, community_id: int, names: Iterable[str]
) -> dict[str, list[int]]:
    """Channel name (case-insensitive) -> the ids of the channels of that name."""
    wanted = {n.casefold() for n in names}
    found: dict[str, list[int]] = {}
    for cid, name in get_channel_names(conn, community_id).items():
        if name.casefold() in wanted:
            found.setdefault(name.casefold(), []).append(cid)
    return found


def get_last_decided(
    conn: Connection, community_id: int, *, actor: str, since: datetime
) -> list[QueueItem]:
    """The items `actor` closed in their latest decision since `since` (a bulk decision shares its
    instant): what an undo reopens."""
    items = moderation_items.c
    mine = and_(
        items.community_id == community_id,
        items.acted_by == actor,
        items.status == DONE,
        items.acted_at >= since,
    )
    last = conn.execute(select(func.max(items.acted_at)).where(mine)).scalar()
    if last is None:
        return []
    rows = conn.execute(
        select(moderation_items).where(mine, items.acted_at == last).order_by(items.id)
    )
    return [_item(row) for row in rows]


def get_member_briefs(
    conn: Connection, community_id: int, member_ids: Iterable[int]
) -> dict[int, MemberBrief]:
    """get_member_brief for many members, one query per 2,000."""
    found: dict[int, MemberBrief] = {}
    for chunk in batched(sorted(set(member_ids)), 2000):
        rows = conn.execute(
            select(
                members.c.id,
                members.c.display_name,
                members.c.handle,
                members.c.language,
                members.c.do_not_contact,
            ).where(members.c.community_id + 0 == community_id, members.c.id.in_(chunk))
        )
        found.update({row.id: cast(MemberBrief, dict(row._mapping)) for row in rows})
    return found


def decide_items(
    conn: Connection,
    ids: list[int],
    *,
    action: str,
    actor: str,
    holder: str,
    at: datetime,
    note: str | None,
) -> int:
    """decide_item for many items drafting no reply, one UPDATE per 2,000; how many it closed (fewer
    than asked: some were closed or claimed meanwhile, and the caller rolls back)."""
    closed = 0
    for chunk in batched(sorted(set(ids)), 2000):
        result = conn.execute(
            update(moderation_items)
            .where(
                moderation_items.c.id.in_(chunk),
                moderation_items.c.status == OPEN,
                _free_for(holder, at),
            )
            .values(
                status=DONE,
                action=action,
                acted_by=actor,
                acted_at=at,
                reply=None,
                note=note,
                claimed_by=None,
                claimed_until=None,
            )
        )
        closed += int(result.rowcount or 0)
    return closed


def save_offender_counts(
    conn: Connection,
    community_id: int,
    counts: dict[int, dict[str, int]],
    *,
    existing: set[int],
    at: datetime,
) -> None:
    """Write members' counters as a batch of decisions left them (insert for those not yet counted)."""
    for member_id, values in counts.items():
        if member_id in existing:
            conn.execute(
                update(moderation_offenders)
                .where(moderation_offenders.c.member_id == member_id)
                .values({**values, "last_flag_at": at})
            )
        else:
            conn.execute(
                insert(moderation_offenders).values(
                    {
                        "member_id": member_id,
                        "community_id": community_id,
                        **values,
                        "last_flag_at": at,
                    }
                )
            )
