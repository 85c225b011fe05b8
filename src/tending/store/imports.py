"""The import log: one row per import (source, file hash, counts, duration, status)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from tending.models import ImportLogEntry
from tending.store.schema import imports


def record_import(
    conn: Connection,
    community_id: int,
    *,
    kind: str,
    source_path: str,
    file_hash: str | None,
    status: str,
    started_at: datetime,
    finished_at: datetime,
    duration_ms: int,
    counts: dict[str, Any],
    error: str | None = None,
    error_text: dict[str, Any] | None = None,
) -> int:
    result = conn.execute(
        insert(imports).values(
            community_id=community_id,
            kind=kind,
            source_path=source_path,
            file_hash=file_hash,
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            duration_ms=duration_ms,
            counts=counts,
            error=error,
            error_text=error_text,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_imports(
    conn: Connection, community_id: int, *, limit: int = 50, offset: int = 0
) -> list[ImportLogEntry]:
    """The most recent imports first."""
    query = (
        select(imports)
        .where(imports.c.community_id == community_id)
        .order_by(imports.c.started_at.desc(), imports.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ImportLogEntry(**row._mapping) for row in conn.execute(query)]


def count_imports(conn: Connection, community_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(imports).where(imports.c.community_id == community_id)
        ).scalar_one()
    )
