"""The workers' heartbeats: what each `tending worker` last did, so `tending status` and /healthz can say
whether delivery is alive and what it is stuck on. One row per worker (host:pid), written once a tick."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from tending.store.schema import Timestamp, metadata

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker", String(200), primary_key=True),
    Column("started_at", Timestamp(), nullable=False),
    Column("last_tick_at", Timestamp(), nullable=False),
    Column("last_ok_at", Timestamp(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("last_summary", Text(), nullable=True),
    Column("ticks", Integer(), nullable=False, server_default="0"),
)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker: str
    started_at: datetime
    last_tick_at: datetime
    last_ok_at: datetime | None
    last_error: str | None
    last_summary: list[dict[str, Any]] | None
    ticks: int


def record_heartbeat(
    conn: Connection,
    worker: str,
    *,
    started_at: datetime,
    at: datetime,
    summary: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> None:
    """One tick of `worker`: a summary when it went well, else the error (one sentence, no personal data)."""
    values: dict[str, Any] = {
        "last_tick_at": at,
        "last_error": error,
        "ticks": worker_heartbeats.c.ticks + 1,
    }
    if error is None:
        values.update(last_ok_at=at, last_summary=json.dumps(summary or [], default=str))
    changed = conn.execute(
        update(worker_heartbeats).where(worker_heartbeats.c.worker == worker).values(**values)
    ).rowcount
    if not changed:
        values["ticks"] = 1
        conn.execute(
            insert(worker_heartbeats).values(worker=worker, started_at=started_at, **values)
        )


def forget_heartbeats(conn: Connection, *, before: datetime) -> int:
    """Drop workers not heard of since `before` (stopped long ago)."""
    return int(
        conn.execute(
            delete(worker_heartbeats).where(worker_heartbeats.c.last_tick_at < before)
        ).rowcount
    )


def get_heartbeats(conn: Connection) -> list[Heartbeat]:
    rows = conn.execute(
        select(worker_heartbeats).order_by(worker_heartbeats.c.last_tick_at.desc())
    ).all()
    return [
        Heartbeat(
            worker=r.worker,
            started_at=r.started_at,
            last_tick_at=r.last_tick_at,
            last_ok_at=r.last_ok_at,
            last_error=r.last_error,
            last_summary=json.loads(r.last_summary) if r.last_summary else None,
            ticks=r.ticks,
        )
        for r in rows
    ]
