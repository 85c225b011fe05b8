"""Communities: the list and one by its id (what the JSON API's paths name)."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import NoResultFound

from tending.errors import NotFoundError
from tending.models import Community
from tending.store import communities as store


def get_communities(conn: Connection) -> list[Community]:
    return store.get_communities(conn)


def get_community(conn: Connection, community_id: int) -> Community:
    try:
        return store.get_community_by_id(conn, community_id)
    except NoResultFound:
        raise NotFoundError(f"community_id: no community {community_id} (see /api/v1/communities).") from None
