"""Communities: create, find, list, settings, delete (with the record of deletions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    update,
)

from tending.errors import UsageError
from tending.lib.settings import check_settings
from tending.models import LANGUAGES, Community
from tending.store.audit import record_event
from tending.store.schema import Key, Timestamp, communities, identities, metadata
from tending.texts import T_, Text
from tending.timeutil import get_zone, utcnow

# migration 0018_first_week; `former_community_id`, so that deleting a community never sweeps this record
community_deletions = Table(
    "community_deletions",
    metadata,
    Column("id", Key, primary_key=True),
    Column("former_community_id", Key, nullable=False),
    Column("name", String(200), nullable=False),
    Column("platform", String(50), nullable=False),
    Column("deleted_at", Timestamp(), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("details", JSON),
)


def _community(row: Any) -> Community:
    return Community(
        id=row.id,
        name=row.name,
        platform=row.platform,
        timezone=row.timezone,
        language=row.language,
        settings=dict(row.settings or {}),
    )


def get_communities(conn: Connection) -> list[Community]:
    return [
        _community(row) for row in conn.execute(select(communities).order_by(communities.c.name))
    ]


def find_community(conn: Connection, name: str) -> Community | None:
    row = conn.execute(select(communities).where(communities.c.name == name)).first()
    return _community(row) if row else None


def get_communities_knowing(
    conn: Connection, platform: str, external_ids: list[str]
) -> list[Community]:
    """The communities that already hold an identity of `platform` among `external_ids` (an export's
    first members): where an import of the same source went before. One lookup per community, through
    the (community, platform, external_id) unique index."""
    if not external_ids:
        return []
    found = []
    for community in get_communities(conn):
        hit = conn.execute(
            select(identities.c.id)
            .where(
                identities.c.community_id == community.id,
                identities.c.platform == platform,
                identities.c.external_id.in_(external_ids[:500]),
            )
            .limit(1)
        ).first()
        if hit is not None:
            found.append(community)
    return found


def get_community_by_id(conn: Connection, community_id: int) -> Community:
    row = conn.execute(select(communities).where(communities.c.id == community_id)).one()
    return _community(row)


def resolve_community(conn: Connection, name: str | None) -> Community:
    """The community a command works on: the one named, or the only one there is."""
    if name is not None:
        found = find_community(conn, name)
        if found is None:
            known = ", ".join(c.name for c in get_communities(conn)) or "none yet"
            raise UsageError(f"--community: no community named '{name}' (known: {known}).")
        return found
    every = get_communities(conn)
    if not every:
        raise UsageError(
            "the database holds no community yet: import an export first "
            "(tending import KIND PATH) or run tending demo."
        )
    if len(every) > 1:
        names = ", ".join(c.name for c in every)
        raise UsageError(
            f"the database holds several communities ({names}): choose one with --community NAME."
        )
    return every[0]


def do_create_community(
    conn: Connection,
    name: str,
    *,
    platform: str,
    timezone: str = "UTC",
    language: str = "en",
    settings: dict[str, Any] | None = None,
    actor: str = "system",
) -> Community:
    get_zone(timezone)
    check_settings(settings or {})
    if not name.strip():
        raise UsageError(Text(T_("--community: a community needs a non-empty name.")))
    result = conn.execute(
        insert(communities).values(
            name=name,
            platform=platform,
            timezone=timezone,
            language=language,
            settings=settings or {},
            created_at=utcnow(),
        )
    )
    community_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    record_event(
        conn,
        community_id,
        actor=actor,
        action="community.created",
        details={"platform": platform, "timezone": timezone, "language": language},
    )
    return get_community_by_id(conn, community_id)


def get_or_create_community(
    conn: Connection, name: str, *, platform: str, timezone: str = "UTC", language: str = "en"
) -> Community:
    return find_community(conn, name) or do_create_community(
        conn, name, platform=platform, timezone=timezone, language=language
    )


def do_update_community_settings(
    conn: Connection, community: Community, changes: dict[str, Any], *, actor: str
) -> Community:
    merged = {**community.settings, **changes}
    check_settings(merged)
    conn.execute(
        update(communities).where(communities.c.id == community.id).values(settings=merged)
    )
    record_event(
        conn, community.id, actor=actor, action="community.settings_changed", details=changes
    )
    return get_community_by_id(conn, community.id)


def do_update_community(
    conn: Connection,
    community: Community,
    *,
    name: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    actor: str,
) -> Community:
    """Rename a community, or change its time zone or language (what its drafts and dates follow).
    Each change is checked first (one sentence naming the option) and audited."""
    changes: dict[str, Any] = {}
    if name is not None and name != community.name:
        if not name.strip():
            raise UsageError(Text(T_("--name: a community needs a non-empty name.")))
        if find_community(conn, name) is not None:
            raise UsageError(
                Text(T_("--name: a community named '%(name)s' already exists."), name=name)
            )
        changes["name"] = name
    if timezone is not None and timezone != community.timezone:
        get_zone(timezone)
        changes["timezone"] = timezone
    if language is not None and language != community.language:
        if language not in LANGUAGES:
            raise UsageError(
                Text(
                    T_("--language: '%(language)s' is not one of %(known)s."),
                    language=language,
                    known=", ".join(LANGUAGES),
                )
            )
        changes["language"] = language
    if changes:
        conn.execute(update(communities).where(communities.c.id == community.id).values(**changes))
        record_event(conn, community.id, actor=actor, action="community.updated", details=changes)
    return get_community_by_id(conn, community.id)


def _tables_of_communities(conn: Connection) -> list[Table]:
    """Every table of the database that carries a community's id, dependants first (read from the database,
    not from this version's code, so tables of other capabilities are included)."""
    present = MetaData()
    present.reflect(conn)
    return [
        table
        for table in reversed(present.sorted_tables)
        if table.name != "communities" and "community_id" in table.c
    ]


def count_community_rows(conn: Connection, community_id: int) -> dict[str, int]:
    """How many rows each table holds for the community (tables holding none left out)."""
    counts = {}
    for table in _tables_of_communities(conn):
        n = conn.execute(
            select(func.count()).select_from(table).where(table.c.community_id == community_id)
        ).scalar_one()
        if n:
            counts[table.name] = int(n)
    return counts


def delete_community_rows(conn: Connection, community_id: int) -> dict[str, int]:
    """Remove a community and every row that carries its id, in every table the database holds; returns
    how many rows went from each table (tables that held none left out)."""
    removed = {}
    for table in _tables_of_communities(conn):
        result = conn.execute(table.delete().where(table.c.community_id == community_id))
        if result.rowcount:
            removed[table.name] = int(result.rowcount)
    conn.execute(communities.delete().where(communities.c.id == community_id))
    return removed


def record_community_deletion(
    conn: Connection, community: Community, *, actor: str, details: dict[str, Any]
) -> None:
    conn.execute(
        insert(community_deletions).values(
            former_community_id=community.id,
            name=community.name,
            platform=community.platform,
            deleted_at=utcnow(),
            actor=actor,
            details=details,
        )
    )


def get_community_deletions(conn: Connection) -> list[dict[str, Any]]:
    query = select(community_deletions).order_by(community_deletions.c.id)
    return [dict(row._mapping) for row in conn.execute(query)]
