"""The health report (definitions: docs/health.md), for every shell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tending.models import Community
from tending.store import health as store


def get_health_report(conn: Connection, community: Community, *, as_of: datetime,
                      window_days: int = 28) -> dict[str, Any]:
    return store.get_health_report(conn, community, as_of=as_of, window_days=window_days)
