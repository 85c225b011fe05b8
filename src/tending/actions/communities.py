"""Communities: the shells' door to listing, finding, creating and configuring them.

Reads that are exactly one store call are re-exported here rather than wrapped: one definition, and
the shells still reach it only through actions/.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import NoResultFound

from tending.errors import NotFoundError, UsageError
from tending.models import Community
from tending.store.audit import record_event
from tending.store.communities import (
    count_community_rows,
    delete_community_rows,
    do_create_community,
    do_update_community,
    do_update_community_settings,
    find_community,
    get_communities,
    get_community_by_id,
    get_community_deletions,
    record_community_deletion,
    resolve_community,
)
from tending.store.tombstones import move_tombstones
from tending.texts import T_, Text

__all__ = [
    "CommunityFootprint",
    "do_create_community",
    "do_delete_community",
    "do_set_start_url",
    "do_update_community",
    "do_update_community_settings",
    "find_community",
    "get_communities",
    "get_community",
    "get_community_by_id",
    "get_community_deletions",
    "get_community_footprint",
    "resolve_community",
]


def get_community(conn: Connection, community_id: int) -> Community:
    """The community with this id, or NotFoundError (what the JSON API's paths name)."""
    try:
        return get_community_by_id(conn, community_id)
    except NoResultFound:
        raise NotFoundError(
            f"community_id: no community {community_id} (see /api/v1/communities)."
        ) from None


START_TITLES = {"fr": "Commencer ici", "en": "Start here"}


def do_set_start_url(conn: Connection, community: Community, url: str, *, actor: str) -> Community:
    """The community's "start here" link, offered in its onboarding messages in place of the
    playbook's (the built-in playbook's is a placeholder that must never reach real members)."""
    if not url.startswith(("https://", "http://")):
        raise UsageError(
            Text(T_("--start-url: '%(url)s' is not a web address (https://...)."), url=url)
        )
    link = {"title": START_TITLES.get(community.language, START_TITLES["en"]), "url": url}
    return do_update_community_settings(conn, community, {"onboarding_links": [link]}, actor=actor)


@dataclass(frozen=True, slots=True)
class CommunityFootprint:
    """What a community holds, by table (the rows a deletion removes)."""

    rows: dict[str, int]

    def count(self, table: str) -> int:
        return self.rows.get(table, 0)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def get_community_footprint(conn: Connection, community: Community) -> CommunityFootprint:
    return CommunityFootprint(rows=count_community_rows(conn, community.id))


def do_delete_community(
    conn: Connection,
    community: Community,
    *,
    actor: str,
    tombstones_to: Community | None = None,
) -> CommunityFootprint:
    """Delete the community and every row that carries its id, in the caller's transaction (all or nothing).

    Its erased members' tombstones must outlive it, or a later import would bring those people back: a
    community holding tombstones is refused unless `tombstones_to` names the community that takes them over
    (the one a duplicate import doubled, usually). The deletion's audit row is kept in community_deletions."""
    footprint = get_community_footprint(conn, community)
    stones = footprint.count("member_tombstones")
    moved = 0
    if stones and tombstones_to is None:
        raise UsageError(
            f"'{community.name}' holds {stones} tombstone(s) of erased members, which keep them from being "
            "imported again; give --tombstones-to COMMUNITY to hand them to the community that stays."
        )
    if tombstones_to is not None:
        if tombstones_to.id == community.id:
            raise UsageError("--tombstones-to: name another community than the one deleted.")
        moved = move_tombstones(conn, community.id, tombstones_to.id)
        record_event(
            conn,
            tombstones_to.id,
            actor=actor,
            action="community.tombstones_received",
            details={"from": community.name, "tombstones": moved},
        )
    removed = delete_community_rows(conn, community.id)
    details = {"rows": removed, "tombstones_moved": moved}
    if tombstones_to is not None:
        details["tombstones_to"] = tombstones_to.name
    record_community_deletion(conn, community, actor=actor, details=details)
    return CommunityFootprint(rows=removed)
