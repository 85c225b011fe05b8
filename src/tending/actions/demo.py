"""The demo community: build it (generator in tending.demo, rows through store/), read its summary back,
or remove it before a fresh build."""

from __future__ import annotations

from tending.demo.generator import DEMO_NAME, MIN_MEMBERS, TIMEZONE, ProgressFn, build_demo
from tending.store.demo import delete_community_rows, get_database_size, get_demo_summary

__all__ = [
    "DEMO_NAME",
    "MIN_MEMBERS",
    "TIMEZONE",
    "ProgressFn",
    "build_demo",
    "delete_community_rows",
    "get_database_size",
    "get_demo_summary",
]
