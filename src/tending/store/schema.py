"""Tables of the foundation. Every table carries community_id, and no query needs to join across
communities, so the store can be sharded by community (see docs/scaling.md).

Instants are stored as integer microseconds since the Unix epoch, UTC (see tending.timeutil).
Later capabilities add their tables in their own modules, on the same `metadata`, and in their own
Alembic revisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from tending.timeutil import from_micros, to_micros

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A 64-bit key that is still SQLite's fast rowid alias.
Key = BigInteger().with_variant(Integer(), "sqlite")


class Timestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as BIGINT microseconds since the epoch."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


def upsert_dialect(conn: Any) -> Any:
    """The dialect module whose insert() knows ON CONFLICT, for this connection. Imported on use:
    loading the PostgreSQL dialect pulls in its every driver (asyncpg, asyncio), about 0.06 s at each
    command's start, which a command on SQLite never needs."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql
    from sqlalchemy.dialects import sqlite

    return sqlite


def community_fk() -> Column[int]:
    return Column("community_id", Key, ForeignKey("communities.id"), nullable=False)


communities = Table(
    "communities",
    metadata,
    Column("id", Key, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("platform", String(50), nullable=False),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("language", String(8), nullable=False, default="en"),
    Column("settings", JSON, nullable=False, default=dict),
    Column("created_at", Timestamp, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("platform", String(50), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("display_name", String(300)),
    Column("handle", String(300)),
    # joined_at is the platform's join date when the export has one (joined_at_exact), else the
    # member's first activity; the store keeps it so "joined before T" is an index lookup.
    Column("joined_at", Timestamp),
    Column("joined_at_exact", Boolean, nullable=False, default=False),
    Column("left_at", Timestamp),
    Column("language", String(8)),
    Column("is_staff", Boolean, nullable=False, default=False),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("do_not_contact", Boolean, nullable=False, default=False),
    Column("notes", Text),
    Column("merged_into", Key),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("community_id", "platform", "external_id"),
    Index(None, "community_id", "joined_at"),
)

member_tags = Table(
    "member_tags",
    metadata,
    community_fk(),
    Column("member_id", Key, ForeignKey("members.id"), primary_key=True),
    Column("tag", String(100), primary_key=True),
    Index(None, "community_id", "tag"),
)

identities = Table(
    "identities",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("member_id", Key, ForeignKey("members.id"), nullable=False),
    Column("platform", String(50), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("handle", String(300)),
    Column("email", String(320)),
    UniqueConstraint("community_id", "platform", "external_id"),
    Index(None, "community_id", "member_id"),
    Index(None, "community_id", "email"),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("platform", String(50), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("name", String(300)),
    UniqueConstraint("community_id", "platform", "external_id"),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("platform", String(50), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("channel_id", Key),
    Column("title", String(500)),
    Column("started_by", Key),
    Column("started_at", Timestamp),
    UniqueConstraint("community_id", "platform", "external_id"),
    Index(None, "community_id", "started_at"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("member_id", Key, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("thread_id", Key),
    Column("parent_id", Key),
    Column("parent_source_id", String(200)),
    Column("channel_id", Key),
    Column("text", Text),
    Column("url", String(1000)),
    Column("language", String(8)),
    Column("source", String(50), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("extra", JSON),
    UniqueConstraint("community_id", "source", "source_id"),
    Index(None, "community_id", "member_id", "occurred_at"),
    Index(None, "community_id", "occurred_at"),
    Index(None, "community_id", "thread_id", "occurred_at"),
)

member_stats = Table(
    "member_stats",
    metadata,
    Column("member_id", Key, primary_key=True),
    community_fk(),
    Column("first_activity_at", Timestamp),
    Column("last_activity_at", Timestamp),
    Column("first_contribution_at", Timestamp),
    Column("last_contribution_at", Timestamp),
    Column("contributions", Integer, nullable=False, default=0),
    Column("posts", Integer, nullable=False, default=0),
    Column("replies", Integer, nullable=False, default=0),
    Column("comments", Integer, nullable=False, default=0),
    Column("reactions", Integer, nullable=False, default=0),
    Index(None, "community_id", "last_contribution_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("occurred_at", Timestamp, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("member_id", Key),
    Column("details", JSON),
    Index(None, "community_id", "occurred_at"),
    Index(None, "community_id", "member_id"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("kind", String(50), nullable=False),
    Column("source_path", String(2000), nullable=False),
    Column("file_hash", String(64)),
    Column("status", String(20), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("duration_ms", Integer),
    Column("counts", JSON),
    Column("error", Text),
    Column("error_text", JSON),  # the error as TendingError.as_data, shown in the reader's language
    Index(None, "community_id", "started_at"),
)
