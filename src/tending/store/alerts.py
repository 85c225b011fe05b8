"""Raised alerts: one row per alert, unique by a dedupe key, rate-limited per kind and day.

An alert is raised as of an instant; its `day` is that instant's UTC day (the rate limit's bucket). Details
hold the figures and the ids of the threads and messages behind it, so a moderator can go and look.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from tending.models import Alert, AlertDetails
from tending.store.schema import Key, Timestamp, community_fk, metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("kind", String(40), nullable=False),
    Column("dedupe_key", String(300), nullable=False),
    Column("day", Integer, nullable=False),
    Column("as_of", Timestamp, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("summary", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("delivered_at", Timestamp),
    UniqueConstraint("community_id", "dedupe_key"),
    Index(None, "community_id", "kind", "day"),
)


def alert_exists(conn: Connection, community_id: int, dedupe_key: str) -> bool:
    return (
        conn.execute(
            select(alerts.c.id).where(
                alerts.c.community_id == community_id, alerts.c.dedupe_key == dedupe_key
            )
        ).first()
        is not None
    )


def count_alerts_on_day(conn: Connection, community_id: int, kind: str, day: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(alerts)
            .where(
                alerts.c.community_id == community_id, alerts.c.kind == kind, alerts.c.day == day
            )
        ).scalar_one()
    )


def insert_alert(
    conn: Connection,
    community_id: int,
    *,
    kind: str,
    dedupe_key: str,
    day: int,
    as_of: datetime,
    created_at: datetime,
    severity: str,
    summary: str,
    details: AlertDetails,
) -> int:
    result = conn.execute(
        insert(alerts).values(
            community_id=community_id,
            kind=kind,
            dedupe_key=dedupe_key,
            day=day,
            as_of=as_of,
            created_at=created_at,
            severity=severity,
            summary=summary,
            details=details,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def mark_alert_delivered(conn: Connection, alert_id: int, *, at: datetime) -> None:
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(delivered_at=at))


def get_alerts(
    conn: Connection,
    community_id: int,
    *,
    since_day: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Alert]:
    query = select(alerts).where(alerts.c.community_id == community_id)
    if since_day is not None:
        query = query.where(alerts.c.day >= since_day)
    query = query.order_by(alerts.c.as_of.desc(), alerts.c.id.desc()).limit(limit).offset(offset)
    return [
        Alert(
            id=row.id,
            kind=row.kind,
            dedupe_key=row.dedupe_key,
            day=row.day,
            as_of=row.as_of,
            created_at=row.created_at,
            severity=row.severity,
            summary=row.summary,
            details=_details(row.details),
            delivered_at=row.delivered_at,
        )
        for row in conn.execute(query)
    ]


def _details(stored: Any) -> AlertDetails:
    """The JSON column as written by insert_alert (an older row may lack a key)."""
    stored = stored or {}
    return {
        "threads": [int(t) for t in stored.get("threads", [])],
        "messages": [int(m) for m in stored.get("messages", [])],
        "figures": dict(stored.get("figures", {})),
    }


def count_alerts(conn: Connection, community_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(alerts).where(alerts.c.community_id == community_id)
        ).scalar_one()
    )
