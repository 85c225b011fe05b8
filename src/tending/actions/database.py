"""Opening the database (migrated on first use) for the shells, and what they print about it."""

from __future__ import annotations

from tending.store import open_store
from tending.store.dashboard import analyze_if_never_analyzed
from tending.store.engine import sqlite_path

__all__ = ["analyze_if_never_analyzed", "open_store", "sqlite_path"]
