"""Members' rights in the store: what tending holds about a person (export), erasure, tombstones, retention.

Tables (migration 0010_member_rights):
- installation_secrets: secrets generated once per installation (the key of the tombstones' HMAC);
- member_tombstones: one row per platform identity of an erased member, keyed by
  HMAC-SHA256(secret, platform + NUL + external id), never the id itself, so the ingest can recognise a
  returning identity and leave it out without tending keeping who it was;
- retention_runs: when the retention pass last ran for a community (the worker runs it once a day).

Erasure keeps every row that a count or a rollup is made of (the member row, the activities with their
kinds, instants, threads and channels, the rollup tables) and removes or overwrites what says who the person
was or what they wrote (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from tending.store.checkins import checkins
from tending.store.moderation import moderation_fingerprints, moderation_items, moderation_offenders
from tending.store.outbox import (
    APPROVED,
    DRAFTED,
    FAILED,
    SKIPPED,
    delivery_rooms,
    outbox,
    outbox_recipients,
)
from tending.store.rollups import reads_sql
from tending.store.schema import (
    Key,
    Timestamp,
    activities,
    audit_events,
    channels,
    identities,
    member_tags,
    members,
    metadata,
    threads,
    upsert_dialect,
)
from tending.store.tombstones import get_installation_secret, tombstone_key

CHUNK = 2000
ERASED_TEXT = "[erased]"  # what replaces an erased member's name in a message that named others too

retention_runs = Table(
    "retention_runs",
    metadata,
    Column("community_id", Key, ForeignKey("communities.id"), primary_key=True),
    Column("last_run_at", Timestamp, nullable=False),
    Column("cleared", Integer, nullable=False),
)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- who a person is in the store ------------------------------------------------------------------------------


def get_person_ids(conn: Connection, community_id: int, member_id: int) -> list[int]:
    """The member and every member merged into them (directly or through a chain), kept member first."""
    found = [member_id]
    frontier = [member_id]
    while frontier:
        frontier = [
            m
            for m in conn.execute(
                select(members.c.id).where(
                    members.c.community_id == community_id, members.c.merged_into.in_(frontier)
                )
            ).scalars()
            if m not in found
        ]
        found.extend(frontier)
    return found


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(query)]


def get_person_data(
    conn: Connection, community_id: int, ids: list[int]
) -> dict[str, list[dict[str, Any]]]:
    """Every row tending holds about these members, table by table (the export's raw material)."""
    a, t, ch = activities, threads, channels
    data: dict[str, list[dict[str, Any]]] = {
        "members": _rows(
            conn,
            select(members)
            .where(members.c.community_id == community_id, members.c.id.in_(ids))
            .order_by(members.c.id),
        ),
        "identities": _rows(
            conn,
            select(
                identities.c.member_id,
                identities.c.platform,
                identities.c.external_id,
                identities.c.handle,
                identities.c.email,
            )
            .where(identities.c.community_id == community_id, identities.c.member_id.in_(ids))
            .order_by(identities.c.id),
        ),
        "tags": _rows(
            conn,
            select(member_tags.c.member_id, member_tags.c.tag)
            .where(member_tags.c.community_id == community_id, member_tags.c.member_id.in_(ids))
            .order_by(member_tags.c.tag),
        ),
        "activities": _rows(
            conn,
            select(
                a.c.id,
                a.c.member_id,
                a.c.kind,
                a.c.occurred_at,
                a.c.source,
                a.c.source_id,
                a.c.text,
                a.c.url,
                a.c.language,
                t.c.title.label("thread_title"),
                ch.c.name.label("channel"),
            )
            .select_from(
                a.outerjoin(t, t.c.id == a.c.thread_id).outerjoin(ch, ch.c.id == a.c.channel_id)
            )
            .where(a.c.community_id == community_id, a.c.member_id.in_(ids))
            .order_by(a.c.occurred_at, a.c.id),
        ),
        "checkins": _rows(
            conn,
            select(checkins)
            .where(checkins.c.community_id == community_id, checkins.c.member_id.in_(ids))
            .order_by(checkins.c.drafted_at),
        ),
        "moderation_items": _rows(
            conn,
            select(moderation_items)
            .where(
                moderation_items.c.community_id == community_id,
                moderation_items.c.member_id.in_(ids),
            )
            .order_by(moderation_items.c.occurred_at, moderation_items.c.id),
        ),
        "moderation_counts": _rows(
            conn,
            select(moderation_offenders).where(
                moderation_offenders.c.community_id == community_id,
                moderation_offenders.c.member_id.in_(ids),
            ),
        ),
        "audit": _rows(
            conn,
            select(audit_events)
            .where(audit_events.c.community_id == community_id, audit_events.c.member_id.in_(ids))
            .order_by(audit_events.c.occurred_at, audit_events.c.id),
        ),
    }
    message_ids = sorted(
        set(
            conn.execute(
                select(outbox_recipients.c.outbox_id).where(
                    outbox_recipients.c.community_id == community_id,
                    outbox_recipients.c.member_id.in_(ids),
                )
            ).scalars()
        )
    )
    data["messages"] = _rows(
        conn,
        select(
            outbox.c.id,
            outbox.c.rule,
            outbox.c.channel,
            outbox.c.subject,
            outbox.c.body,
            outbox.c.language,
            outbox.c.status,
            outbox.c.due_at,
            outbox.c.sent_at,
            outbox.c.created_at,
        )
        .where(outbox.c.community_id == community_id, outbox.c.id.in_(message_ids))
        .order_by(outbox.c.due_at, outbox.c.id),
    )
    return data


# -- erasure ---------------------------------------------------------------------------------------------------


def get_erasure_counts(conn: Connection, community_id: int, ids: list[int]) -> dict[str, int]:
    """What an erasure of these members would remove or anonymise, counted (the confirmation)."""

    def count(table: Any, *conditions: Any) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.community_id == community_id, *conditions)
            ).scalar_one()
        )

    return {
        "accounts": count(identities, identities.c.member_id.in_(ids)),
        "activities": count(activities, activities.c.member_id.in_(ids)),
        "texts": count(activities, activities.c.member_id.in_(ids), activities.c.text.is_not(None)),
        "tags": count(member_tags, member_tags.c.member_id.in_(ids)),
        "notes": count(members, members.c.id.in_(ids), members.c.notes.is_not(None)),
        "messages": count(outbox_recipients, outbox_recipients.c.member_id.in_(ids)),
        "checkins": count(checkins, checkins.c.member_id.in_(ids)),
        "moderation_items": count(moderation_items, moderation_items.c.member_id.in_(ids)),
    }


def get_identity_pairs(conn: Connection, community_id: int, ids: list[int]) -> set[tuple[str, str]]:
    """Every (platform, external id) these members are known by: their identities and their own rows."""
    pairs = {
        (r.platform, r.external_id)
        for r in conn.execute(
            select(identities.c.platform, identities.c.external_id).where(
                identities.c.community_id == community_id, identities.c.member_id.in_(ids)
            )
        )
    }
    pairs.update(
        (r.platform, r.external_id)
        for r in conn.execute(
            select(members.c.platform, members.c.external_id).where(
                members.c.community_id == community_id, members.c.id.in_(ids)
            )
        )
    )
    return pairs


def _names_of(conn: Connection, community_id: int, ids: list[int]) -> list[str]:
    """The person's names and handles, longest first (a name containing a handle is replaced whole)."""
    names: set[str] = set()
    for row in conn.execute(
        select(members.c.display_name, members.c.handle).where(
            members.c.community_id == community_id, members.c.id.in_(ids)
        )
    ):
        names.update(n for n in (row.display_name, row.handle) if n)
    for row in conn.execute(
        select(identities.c.handle, identities.c.email).where(
            identities.c.community_id == community_id, identities.c.member_id.in_(ids)
        )
    ):
        names.update(n for n in (row.handle, row.email) if n)
    return sorted((n for n in names if len(n.strip()) >= 2), key=len, reverse=True)


def redact(text: str | None, names: list[str]) -> str | None:
    if not text:
        return text
    for name in names:
        text = text.replace(name, ERASED_TEXT)
    return text


def _anonymous_extra(dialect: str) -> Any:
    """The JSON `extra` of an erased activity: only the read count a rollup is made of, else nothing."""
    from sqlalchemy import text as sql

    reads = reads_sql(dialect)
    build = "json_build_object" if dialect == "postgresql" else "json_object"
    cast = "::json" if dialect == "postgresql" else ""
    return sql(f"CASE WHEN {reads} IS NOT NULL THEN {build}('reads', {reads}){cast} END")


def erase_rows(
    conn: Connection, community_id: int, ids: list[int], *, now: datetime
) -> dict[str, int]:
    """Remove or overwrite everything that says who these members were or what they wrote; keep what the
    counts are made of. Returns how many rows of each kind were changed (no personal data)."""
    cid = community_id
    if conn.dialect.name == "sqlite":
        # overwrite what is deleted with zeros, so the file keeps no copy in its free pages (the default of
        # some builds only); PostgreSQL's dead tuples go at the next vacuum (docs/privacy.md)
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    names = _names_of(conn, cid, ids)
    addresses = get_identity_pairs(conn, cid, ids)
    emails = {
        r
        for r in conn.execute(
            select(identities.c.email).where(
                identities.c.community_id == cid,
                identities.c.member_id.in_(ids),
                identities.c.email.is_not(None),
            )
        ).scalars()
    }
    done: dict[str, int] = {}
    done["messages"] = _erase_messages(conn, cid, ids, names, now=now)
    a = activities
    done["activities"] = int(
        conn.execute(
            update(a)
            .where(a.c.community_id == cid, a.c.member_id.in_(ids))
            .values(
                text=None,
                url=None,
                parent_source_id=None,
                extra=_anonymous_extra(conn.dialect.name),
            )
        ).rowcount
    )
    _hide_ids_in_source_ids(
        conn, cid, ids, {external_id for _platform, external_id in addresses} | emails, now=now
    )
    done["threads"] = int(
        conn.execute(
            update(threads)
            .where(threads.c.community_id == cid, threads.c.started_by.in_(ids))
            .values(title=None)
        ).rowcount
    )
    activity_ids = (
        select(a.c.id).where(a.c.community_id == cid, a.c.member_id.in_(ids)).scalar_subquery()
    )
    done["moderation_items"] = int(
        conn.execute(
            delete(moderation_items).where(
                moderation_items.c.community_id == cid,
                or_(
                    moderation_items.c.member_id.in_(ids),
                    moderation_items.c.activity_id.in_(activity_ids),
                ),
            )
        ).rowcount
    )
    conn.execute(
        delete(moderation_offenders).where(
            moderation_offenders.c.community_id == cid, moderation_offenders.c.member_id.in_(ids)
        )
    )
    conn.execute(
        delete(moderation_fingerprints).where(
            moderation_fingerprints.c.community_id == cid,
            moderation_fingerprints.c.member_id.in_(ids),
        )
    )
    done["checkins"] = int(
        conn.execute(
            update(checkins)
            .where(checkins.c.community_id == cid, checkins.c.member_id.in_(ids))
            .values(draft_text=None)
        ).rowcount
    )
    done["tags"] = int(
        conn.execute(
            delete(member_tags).where(
                member_tags.c.community_id == cid, member_tags.c.member_id.in_(ids)
            )
        ).rowcount
    )
    done["accounts"] = int(
        conn.execute(
            delete(identities).where(
                identities.c.community_id == cid, identities.c.member_id.in_(ids)
            )
        ).rowcount
    )
    room_addresses = sorted({external_id for _platform, external_id in addresses} | emails)
    for chunk in _chunks(room_addresses):
        conn.execute(
            delete(delivery_rooms).where(
                delivery_rooms.c.community_id == cid, delivery_rooms.c.address.in_(chunk)
            )
        )
    _erase_audit_details(conn, cid, ids)
    m = members
    erased_id = (
        literal("erased:") + func.cast(m.c.id, String)
        if conn.dialect.name == "postgresql"
        else literal("erased:").op("||")(m.c.id)
    )
    conn.execute(
        update(m)
        .where(m.c.community_id == cid, m.c.id.in_(ids))
        .values(
            external_id=erased_id,
            display_name=None,
            handle=None,
            notes=None,
            do_not_contact=True,
            updated_at=now,
        )
    )
    return done


def _hide_ids_in_source_ids(
    conn: Connection, cid: int, ids: list[int], secret_ids: set[str], *, now: datetime
) -> None:
    """Some platforms' activity ids contain the member's id ("joined:<user>", "<message>:<emoji>:<user>"):
    each such part becomes a keyed hash. The rest of the id stays, so a later import of the same export
    recognises the activities already stored and counts nothing twice."""
    secret = get_installation_secret(conn, now=now)
    changes = []
    for activity_id, source_id in conn.execute(
        select(activities.c.id, activities.c.source_id).where(
            activities.c.community_id == cid, activities.c.member_id.in_(ids)
        )
    ):
        parts = source_id.split(":")
        if any(part in secret_ids for part in parts):
            hidden = ":".join(
                "erased-" + tombstone_key(secret, "source_id", part)[:24]
                if part in secret_ids
                else part
                for part in parts
            )
            changes.append({"b_id": activity_id, "b_source_id": hidden})
    if changes:
        conn.execute(
            update(activities)
            .where(activities.c.id == bindparam("b_id"))
            .values(source_id=bindparam("b_source_id")),
            changes,
        )


def _erase_messages(
    conn: Connection, cid: int, ids: list[int], names: list[str], *, now: datetime
) -> int:
    """Messages for the person alone lose their text (and those still waiting will never go); a message
    that named others too (a welcome post) keeps its text with the person's names replaced."""
    o, r = outbox, outbox_recipients
    theirs = sorted(
        set(
            conn.execute(
                select(r.c.outbox_id).where(r.c.community_id == cid, r.c.member_id.in_(ids))
            ).scalars()
        )
    )
    changed = 0
    for chunk in _chunks(theirs):
        shared = set(
            conn.execute(
                select(r.c.outbox_id)
                .distinct()
                .where(r.c.community_id == cid, r.c.outbox_id.in_(chunk), r.c.member_id.not_in(ids))
            ).scalars()
        )
        alone = [i for i in chunk if i not in shared]
        if alone:
            conn.execute(
                update(o)
                .where(o.c.community_id == cid, o.c.id.in_(alone))
                .values(body="", subject=None, last_error=None, updated_at=now)
            )
            conn.execute(
                update(o)
                .where(
                    o.c.community_id == cid,
                    o.c.id.in_(alone),
                    o.c.status.in_((DRAFTED, APPROVED, FAILED)),
                )
                .values(status=SKIPPED, skip_reason="erased")
            )
        for row in conn.execute(
            select(o.c.id, o.c.body, o.c.subject, o.c.last_error).where(
                o.c.community_id == cid, o.c.id.in_(sorted(shared))
            )
        ).all():
            conn.execute(
                update(o)
                .where(o.c.id == row.id)
                .values(
                    body=redact(row.body, names) or "",
                    subject=redact(row.subject, names),
                    last_error=redact(row.last_error, names),
                )
            )
            for entry in conn.execute(
                select(activities.c.id, activities.c.text).where(
                    activities.c.community_id == cid,
                    activities.c.source == "tending",
                    activities.c.source_id.like(f"outbox:{row.id}:%"),
                )
            ).all():
                conn.execute(
                    update(activities)
                    .where(activities.c.id == entry.id)
                    .values(text=redact(entry.text, names))
                )
        changed += len(chunk)
    return changed


def _erase_audit_details(conn: Connection, cid: int, ids: list[int]) -> None:
    """Audit rows about the person stay (what was done, when, by whom); a tag is free text, so it goes."""
    table = audit_events
    for row in conn.execute(
        select(table.c.id, table.c.details).where(
            table.c.community_id == cid, table.c.member_id.in_(ids)
        )
    ).all():
        details = row.details
        if isinstance(details, dict) and "tag" in details:
            conn.execute(
                update(table)
                .where(table.c.id == row.id)
                .values(details={k: v for k, v in details.items() if k != "tag"})
            )


# -- retention -------------------------------------------------------------------------------------------------


def get_activity_id_range(conn: Connection, community_id: int) -> tuple[int, int]:
    low, high = conn.execute(
        select(func.min(activities.c.id), func.max(activities.c.id)).where(
            activities.c.community_id == community_id
        )
    ).one()
    return int(low or 0), int(high or 0)


def count_texts_before(conn: Connection, community_id: int, *, before: datetime) -> dict[str, int]:
    a = activities
    texts = int(
        conn.execute(
            select(func.count())
            .select_from(a)
            .where(
                a.c.community_id == community_id, a.c.occurred_at < before, a.c.text.is_not(None)
            )
        ).scalar_one()
    )
    bodies = int(
        conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.community_id == community_id,
                outbox.c.status.in_(("sent", SKIPPED)),
                outbox.c.updated_at < before,
                outbox.c.body != "",
            )
        ).scalar_one()
    )
    return {"texts": texts, "message_bodies": bodies}


def clear_texts_in_range(
    conn: Connection, community_id: int, *, before: datetime, low_id: int, high_id: int
) -> int:
    """Remove the texts of the community's activities with an id in (low_id, high_id] older than `before`:
    one statement over a primary-key range, so it holds the write lock for as long as that range takes."""
    a = activities
    # `+ 0`: keep the planner on the primary-key range; the (community, instant) index would read every old
    # activity of the community at each batch
    return int(
        conn.execute(
            update(a)
            .where(
                a.c.id > low_id,
                a.c.id <= high_id,
                (a.c.community_id + literal_column("0")) == community_id,
                (a.c.occurred_at + literal_column("0")) < before,
                a.c.text.is_not(None),
            )
            .values(text=None)
        ).rowcount
    )


def clear_message_bodies(conn: Connection, community_id: int, *, before: datetime) -> int:
    """The texts of messages sent (or dropped) before `before`; their rows, states and instants stay."""
    return int(
        conn.execute(
            update(outbox)
            .where(
                outbox.c.community_id == community_id,
                outbox.c.status.in_(("sent", SKIPPED)),
                outbox.c.updated_at < before,
                outbox.c.body != "",
            )
            .values(body="", last_error=None)
        ).rowcount
    )


def get_last_retention_run(conn: Connection, community_id: int) -> datetime | None:
    return conn.execute(
        select(retention_runs.c.last_run_at).where(retention_runs.c.community_id == community_id)
    ).scalar()


def set_last_retention_run(
    conn: Connection, community_id: int, *, at: datetime, cleared: int
) -> None:
    dialect = upsert_dialect(conn)
    statement = dialect.insert(retention_runs).values(
        community_id=community_id, last_run_at=at, cleared=cleared
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["community_id"], set_={"last_run_at": at, "cleared": cleared}
        )
    )
