"""Messages deleted on the platform after they were stored (a live connector saw them go).

A deletion removes the activity, the reactions to it and what was derived from them (message scores,
moderation items and fingerprints), rebuilds the rollups of the members concerned, and is recorded in
activity_deletions: the ingest (store/ingest.py) then leaves the message out of any later import or sync,
so an old export imported again does not bring it back. Counts are those an import of the platform as it
is now would give (importers skip deleted posts). Recording twice changes nothing. Table: migration
0017_connector_edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    String,
    Table,
    UniqueConstraint,
    and_,
    column,
    delete,
    or_,
    select,
    table,
    update,
)

from tending.models import ActivityDeletion, ActivityEdit
from tending.store.schema import Key, Timestamp, activities, community_fk, metadata, upsert_dialect

activity_deletions = Table(
    "activity_deletions",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("source", String(50), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("deleted_at", Timestamp),  # when the platform says, if it does
    Column("recorded_at", Timestamp, nullable=False),
    UniqueConstraint("community_id", "source", "source_id"),
)


def holds_deletions(conn: Connection, community_id: int) -> bool:
    return (
        conn.execute(
            select(activity_deletions.c.id)
            .where(activity_deletions.c.community_id == community_id)
            .limit(1)
        ).first()
        is not None
    )


def get_deleted_keys(
    conn: Connection, community_id: int, keys: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these (source, source_id) were recorded as deleted."""
    wanted = sorted(set(keys))
    found: set[tuple[str, str]] = set()
    d = activity_deletions
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            (row.source, row.source_id)
            for row in conn.execute(
                select(d.c.source, d.c.source_id).where(
                    d.c.community_id == community_id,
                    or_(*(and_(d.c.source == s, d.c.source_id == i) for s, i in chunk)),
                )
            )
        )
    return found


def apply_edits(conn: Connection, community_id: int, edits: list[ActivityEdit]) -> int:
    """The new texts of edited messages; returns how many activities changed (an edit already applied,
    or of a message not held, changes nothing)."""
    latest: dict[tuple[str, str], ActivityEdit] = {(e.source, e.source_id): e for e in edits}
    a = activities
    changed = 0
    for (source, source_id), edit in latest.items():
        changed += int(
            conn.execute(
                update(a)
                .where(
                    a.c.community_id == community_id,
                    a.c.source == source,
                    a.c.source_id == source_id,
                    a.c.text.is_not(None),
                    a.c.text != (edit.text or ""),
                )
                .values(text=edit.text or "")
            ).rowcount
        )
    return changed


def apply_deletions(
    conn: Connection, community_id: int, deletions: list[ActivityDeletion], *, now: datetime
) -> tuple[int, list[int]]:
    """Record the deletions and remove what they name. Returns (messages removed, the members whose
    rollups must be rebuilt)."""
    if not deletions:
        return 0, []
    dialect = upsert_dialect(conn)
    keys = {(d.source, d.source_id): d for d in deletions}
    for (source, source_id), deletion in keys.items():
        conn.execute(
            dialect.insert(activity_deletions)
            .values(
                community_id=community_id,
                source=source,
                source_id=source_id,
                deleted_at=deletion.deleted_at,
                recorded_at=now,
            )
            .on_conflict_do_nothing()
        )
    a = activities
    removed = 0
    ids: list[int] = []
    members: set[int] = set()
    for source, source_id in keys:
        rows = conn.execute(
            select(a.c.id, a.c.member_id, a.c.source_id).where(
                a.c.community_id == community_id,
                a.c.source == source,
                or_(
                    a.c.source_id == source_id,
                    and_(a.c.kind == "reaction", a.c.parent_source_id == source_id),
                ),
            )
        ).all()
        removed += sum(1 for row in rows if row.source_id == source_id)
        ids.extend(row.id for row in rows)
        members.update(row.member_id for row in rows)
    if ids:
        _remove_activities(conn, community_id, ids)
    return removed, sorted(members)


# what is derived from an activity, by table name: their modules import the ingest, which imports this one
DERIVED = tuple(
    table(name, column("activity_id"))
    for name in ("message_scores", "moderation_fingerprints", "moderation_items")
)


def _remove_activities(conn: Connection, community_id: int, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for derived in DERIVED:
            conn.execute(delete(derived).where(derived.c.activity_id.in_(chunk)))
        conn.execute(
            update(activities)
            .where(activities.c.community_id == community_id, activities.c.parent_id.in_(chunk))
            .values(parent_id=None)
        )
        conn.execute(
            delete(activities).where(
                activities.c.community_id == community_id, activities.c.id.in_(chunk)
            )
        )
