"""Communities: the shells' door to listing, finding, creating and configuring them.

Reads that are exactly one store call are re-exported here rather than wrapped: one definition, and
the shells still reach it only through actions/.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import NoResultFound

from tending.errors import NotFoundError, UsageError
from tending.models import Community
from tending.store.communities import (
    do_create_community,
    do_update_community,
    do_update_community_settings,
    find_community,
    get_communities,
    get_community_by_id,
    resolve_community,
)

__all__ = [
    "do_create_community",
    "do_set_start_url",
    "do_update_community",
    "do_update_community_settings",
    "find_community",
    "get_communities",
    "get_community",
    "get_community_by_id",
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
        raise UsageError(f"--start-url: '{url}' is not a web address (https://...).")
    link = {"title": START_TITLES.get(community.language, START_TITLES["en"]), "url": url}
    return do_update_community_settings(conn, community, {"onboarding_links": [link]}, actor=actor)
