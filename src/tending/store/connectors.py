"""Live connectors: one row per connector (kind, target, credential references, state, cursor).

Credentials are stored by reference only (`env:VARIABLE` or `config:KEY`), never their values. The
cursor is what the connector has stored so far; it is written in the same transaction as the rows it
stands for (actions/connectors.py), so it never moves past data that was not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    delete,
    insert,
    select,
    update,
)

from tending.store.schema import Key, Timestamp, communities, community_fk, metadata, upsert_dialect

OK, FAILING, PAUSED = "ok", "failing", "paused"
STATES = (OK, FAILING, PAUSED)

connectors = Table(
    "connectors",
    metadata,
    Column("id", Key, primary_key=True),
    community_fk(),
    Column("kind", String(40), nullable=False),
    Column("target", String(2000), nullable=False),
    Column("options", JSON, nullable=False),  # fields that are not secret (e.g. api_username)
    Column(
        "credentials", JSON, nullable=False
    ),  # field -> reference (env:NAME, config:KEY), never a secret
    Column("state", String(10), nullable=False),
    Column("reason", Text),
    Column("interval_s", Integer, nullable=False),
    Column("cursor", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_sync_at", Timestamp),
    Column("last_ok_at", Timestamp),
    Index(None, "community_id"),
)

# the activities each connector's syncs stored, counted in the transaction that stores them (migration
# 0017_connector_edits: a table of its own, so that migration does not depend on this table's)
connector_counts = Table(
    "connector_counts",
    metadata,
    Column("connector_id", Key, primary_key=True),
    Column("items_fetched", Integer, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    id: int
    community_id: int
    community: str
    kind: str
    target: str
    options: dict[str, Any]
    credentials: dict[str, str]
    state: str
    reason: str | None
    interval_s: int
    cursor: dict[str, Any]
    created_at: datetime
    last_sync_at: datetime | None
    last_ok_at: datetime | None
    items_fetched: int = 0


def _row(row: Any) -> ConnectorRow:
    return ConnectorRow(
        id=row.id,
        community_id=row.community_id,
        community=row.community_name,
        kind=row.kind,
        target=row.target,
        options=dict(row.options or {}),
        credentials=dict(row.credentials or {}),
        state=row.state,
        reason=row.reason,
        interval_s=row.interval_s,
        cursor=dict(row.cursor or {}),
        created_at=row.created_at,
        last_sync_at=row.last_sync_at,
        last_ok_at=row.last_ok_at,
        items_fetched=int(row.items_fetched or 0),
    )


def _select() -> Any:
    return (
        select(
            connectors,
            communities.c.name.label("community_name"),
            connector_counts.c.items_fetched,
        )
        .join(communities, communities.c.id == connectors.c.community_id)
        .outerjoin(connector_counts, connector_counts.c.connector_id == connectors.c.id)
    )


def insert_connector(
    conn: Connection,
    community_id: int,
    *,
    kind: str,
    target: str,
    options: dict[str, Any],
    credentials: dict[str, str],
    interval_s: int,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(connectors).values(
            community_id=community_id,
            kind=kind,
            target=target,
            options=options,
            credentials=credentials,
            state=OK,
            reason=None,
            interval_s=interval_s,
            cursor={},
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_connector_rows(
    conn: Connection, *, community_id: int | None = None, connector_id: int | None = None
) -> list[ConnectorRow]:
    query = _select().order_by(connectors.c.id)
    if community_id is not None:
        query = query.where(connectors.c.community_id == community_id)
    if connector_id is not None:
        query = query.where(connectors.c.id == connector_id)
    return [_row(row) for row in conn.execute(query)]


def find_connector(conn: Connection, connector_id: int) -> ConnectorRow | None:
    found = get_connector_rows(conn, connector_id=connector_id)
    return found[0] if found else None


def find_same_connector(
    conn: Connection, community_id: int, kind: str, target: str
) -> ConnectorRow | None:
    return next(
        (
            row
            for row in get_connector_rows(conn, community_id=community_id)
            if row.kind == kind and row.target == target
        ),
        None,
    )


def set_state(
    conn: Connection, connector_id: int, state: str, *, reason: str | None = None
) -> None:
    conn.execute(
        update(connectors).where(connectors.c.id == connector_id).values(state=state, reason=reason)
    )


def mark_failing(conn: Connection, connector_id: int, reason: str) -> None:
    """Failing with its reason (its live stream broke), a paused one staying paused; the last sync is
    left as it was, so the polling that takes over comes at the connector's own interval."""
    conn.execute(
        update(connectors)
        .where(connectors.c.id == connector_id, connectors.c.state != PAUSED)
        .values(state=FAILING, reason=reason)
    )


def claim_cursor(
    conn: Connection, connector_id: int, expected: dict[str, Any]
) -> dict[str, Any] | None:
    """The first statement of a sync step's transaction: take the connector's row for writing until the
    transaction ends (SQLite: the write lock; PostgreSQL: the row's lock), then read its cursor. None
    if the cursor is no longer `expected`: another sync of the same connector (the worker and `tending
    sync`, say) moved it meanwhile, and this one must not write an older cursor over it."""
    conn.execute(
        update(connectors).where(connectors.c.id == connector_id).values(cursor=connectors.c.cursor)
    )
    current = conn.execute(
        select(connectors.c.cursor).where(connectors.c.id == connector_id)
    ).scalar_one_or_none()
    found = dict(current or {})
    return found if found == expected else None


def get_cursor(conn: Connection, connector_id: int) -> dict[str, Any]:
    current = conn.execute(
        select(connectors.c.cursor).where(connectors.c.id == connector_id)
    ).scalar_one_or_none()
    return dict(current or {})


def save_cursor(conn: Connection, connector_id: int, cursor: dict[str, Any]) -> None:
    """Inside the transaction that stored the rows the cursor stands for."""
    conn.execute(update(connectors).where(connectors.c.id == connector_id).values(cursor=cursor))


def add_fetched(conn: Connection, connector_id: int, count: int) -> None:
    """Inside the transaction that stored them: `count` more activities came through this connector."""
    if not count:
        return
    dialect = upsert_dialect(conn)
    statement = dialect.insert(connector_counts).values(
        connector_id=connector_id, items_fetched=count
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[connector_counts.c.connector_id],
            set_={"items_fetched": connector_counts.c.items_fetched + count},
        )
    )


def record_outcome(
    conn: Connection,
    table: Table,
    row_id: int,
    *,
    at_column: str,
    at: datetime,
    ok: bool,
    reason: str | None,
) -> None:
    """A run of a connector or a listening query ended: ok (state ok, reason cleared) or failing with
    its reason, `at_column` set to when; a paused one stays paused and only records when it ran."""
    values: dict[str, Any] = {at_column: at, "reason": reason}
    if ok:
        values["last_ok_at"] = at
    conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.state != PAUSED)
        .values(state=OK if ok else FAILING, **values)
    )
    conn.execute(
        update(table).where(table.c.id == row_id, table.c.state == PAUSED).values({at_column: at})
    )


def record_sync(
    conn: Connection, connector_id: int, *, at: datetime, ok: bool, reason: str | None
) -> None:
    """A sync ended: ok (state ok, reason cleared) or failing with its reason; a paused connector stays paused."""
    record_outcome(
        conn, connectors, connector_id, at_column="last_sync_at", at=at, ok=ok, reason=reason
    )


def delete_connector(conn: Connection, connector_id: int) -> None:
    conn.execute(delete(connector_counts).where(connector_counts.c.connector_id == connector_id))
    conn.execute(delete(connectors).where(connectors.c.id == connector_id))
