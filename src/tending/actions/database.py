"""Opening the database (migrated on first use) for the shells, and what they print about it."""

from __future__ import annotations

from tending.store import open_store
from tending.store.dashboard import analyze_if_never_analyzed, get_data_stamp
from tending.store.engine import (
    check_database_exists,
    describe_database_error,
    is_database_unavailable,
    sqlite_path,
)

__all__ = [
    "analyze_if_never_analyzed",
    "check_database_exists",
    "describe_database_error",
    "get_data_stamp",
    "is_database_unavailable",
    "open_store",
    "sqlite_path",
]
