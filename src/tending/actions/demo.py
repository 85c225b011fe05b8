"""The demo community: build it (generator in tending.demo, rows through store/), read its summary back,
or remove it before a fresh build."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from tending.actions.moderation import ScanSummary, do_scan_community
from tending.demo.generator import DEMO_NAME, MIN_MEMBERS, TIMEZONE, ProgressFn, build_demo
from tending.store.communities import get_community_by_id
from tending.store.demo import delete_community_rows, get_database_size, get_demo_summary

__all__ = [
    "DEMO_NAME",
    "MIN_MEMBERS",
    "SCAN_DAYS",
    "TIMEZONE",
    "ProgressFn",
    "build_demo",
    "delete_community_rows",
    "do_scan_recent",
    "get_database_size",
    "get_demo_summary",
]

SCAN_DAYS = 90  # the demo's moderation queue: what a moderator would find after a quarter of use


def do_scan_recent(
    conn: Connection, community_id: int, *, now: datetime, days: int = SCAN_DAYS
) -> ScanSummary:
    """Scan the demo's last `days` days into the review queue, so the moderation page of a fresh demo
    shows its planted spam, reposts and insults (the whole two years would take ~4x longer, for items
    nobody reviews months later)."""
    community = get_community_by_id(conn, community_id)
    return do_scan_community(conn, community, now=now, since=now - timedelta(days=days), workers=1)
