"""Communities: the shells' door to listing, finding, creating and configuring them.

Reads that are exactly one store call are re-exported here rather than wrapped: one definition, and
the shells still reach it only through actions/.
"""

from __future__ import annotations

from tending.store.communities import (
    do_create_community,
    do_update_community_settings,
    find_community,
    get_communities,
    get_community_by_id,
    resolve_community,
)

__all__ = [
    "do_create_community",
    "do_update_community_settings",
    "find_community",
    "get_communities",
    "get_community_by_id",
    "resolve_community",
]
