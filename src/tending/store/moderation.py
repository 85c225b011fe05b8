"""The moderation tables: the review queue, offender counts for escalation, and the fingerprints
(MinHash signatures, image dHashes) that let a later scan recognise a repost of older content.

Every table carries community_id; no query crosses communities. The tables are created by the
migration 0005_moderation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

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

from tending.models import CONTRIBUTION_KINDS
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
    UniqueConstraint("community_id", "signal", "subject_key"),
    Index(None, "community_id", "status", "occurred_at"),
    Index(None, "community_id", "member_id"),
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
        conn.execute(insert(moderation_items), fresh)
    return len(fresh)


def get_items(
    conn: Connection,
    community_id: int,
    *,
    status: str | None = OPEN,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    query = select(moderation_items).where(moderation_items.c.community_id == community_id)
    if status is not None:
        query = query.where(moderation_items.c.status == status)
    query = query.order_by(moderation_items.c.occurred_at.desc(), moderation_items.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [dict(row._mapping) for row in conn.execute(query)]


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


def get_item(conn: Connection, item_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(moderation_items).where(moderation_items.c.id == item_id)).first()
    return dict(row._mapping) if row else None


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


def get_member_brief(conn: Connection, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(
            members.c.id,
            members.c.display_name,
            members.c.handle,
            members.c.language,
            members.c.do_not_contact,
        ).where(members.c.community_id == community_id, members.c.id == member_id)
    ).first()
    return dict(row._mapping) if row else None
