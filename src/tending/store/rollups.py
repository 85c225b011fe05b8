"""Daily and monthly contribution rollups, kept exact at write time (the health report reads them).

Why: the health report must answer in seconds over tens of millions of activities. Scanning the window's
raw activities is cheap enough, but retention and the funnel look at months of history, and the distinct
counts (active contributors, daily contributors) need one row per member and day, not per message.

- member_days: one row per (community, UTC day, member) with that day's counts per kind. ~0.6 rows per
  activity on realistic data (people post several times a day), clustered by day so a window is one range.
- member_months: one row per (community, member, UTC month) with the month's contributions, clustered by
  member so a join cohort's history is one seek per member.

Days are `occurred_at // MICROS_PER_DAY` (UTC days since the epoch); months are `year * 12 + month - 1`
(UTC). store/ingest.py calls `apply_new_activities` with the id above which every activity was really
inserted by it (so re-imports never double; two set-based statements run by the database), and
`rebuild_member_rollups` when a member's history changes other than by insertion (a merge, a deletion).
`rebuild_community_rollups` fills them from the activities (used by the migration for databases that
already hold activities, and by bulk loaders).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    text,
)

from tending.store import contributor_days
from tending.store.schema import Key, metadata
from tending.timeutil import MICROS_PER_DAY

MAX_ID = 2**63 - 1
DAY_COUNTERS = ("contributions", "posts", "replies", "comments", "reactions")

member_days = Table(
    "member_days",
    metadata,
    Column("community_id", Key, nullable=False),
    Column("day", Integer, nullable=False),
    Column("member_id", Key, nullable=False),
    Column("contributions", Integer, nullable=False, default=0),
    Column("posts", Integer, nullable=False, default=0),
    Column("replies", Integer, nullable=False, default=0),
    Column("comments", Integer, nullable=False, default=0),
    Column("reactions", Integer, nullable=False, default=0),
    Column(
        "reads", BigInteger
    ),  # sum of extra["reads"] of that day's contributions, when the export has it
    PrimaryKeyConstraint("community_id", "day", "member_id"),
    Index(None, "community_id", "member_id", "day"),
    sqlite_with_rowid=False,
)

member_months = Table(
    "member_months",
    metadata,
    Column("community_id", Key, nullable=False),
    Column("member_id", Key, nullable=False),
    Column("month", Integer, nullable=False),
    Column("contributions", Integer, nullable=False, default=0),
    # the member's join month, copied here so a join cohort's months are one index range (retention,
    # funnel) instead of one seek per member; kept in step with members.joined_at by sync_join_months
    Column("join_month", Integer),
    PrimaryKeyConstraint("community_id", "member_id", "month"),
    # ordered by member inside a join month: the funnel's per-member counts stream without a sort
    Index(None, "community_id", "join_month", "member_id", "month"),
    sqlite_with_rowid=False,
)


def day_of(micros: int) -> int:
    return micros // MICROS_PER_DAY


def reads_of(extra: Any) -> int | None:
    """The read count an export attached to a message (Discourse posts carry `reads`)."""
    if isinstance(extra, dict):
        value = extra.get("reads")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def new_rows_where(conn: Connection, alias: str = "") -> str:
    """The WHERE of "activities of a community inserted after an id" (two qmark parameters: community,
    id). Only the id range is to be read: `community_id + 0` keeps SQLite and PostgreSQL off the
    community's indexes (which would read the community's whole history), and the upper bound gives
    PostgreSQL's planner a small estimate for a range it has no statistics about yet (rows added by the
    running import) instead of a third of the table."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}community_id + 0 = ? AND {prefix}id > ? AND {prefix}id <= {MAX_ID}"


def reads_sql(dialect: str, column: str = "extra") -> str:
    """SQL for `reads_of(extra)`: a non-negative integer `reads` of the JSON column, else NULL."""
    if dialect == "postgresql":
        value = f"({column} ->> 'reads')"
        return (
            f"CASE WHEN json_typeof({column} -> 'reads') = 'number' AND {value} ~ '^[0-9]{{1,18}}$' "
            f"THEN CAST({value} AS BIGINT) END"
        )
    return (
        f"CASE WHEN json_type({column}, '$.reads') = 'integer' AND json_extract({column}, '$.reads') >= 0 "
        f"THEN json_extract({column}, '$.reads') END"
    )


def apply_new_activities(conn: Connection, community_id: int, *, after_id: int) -> None:
    """Add the activities of a community inserted after `after_id` to member_days and member_months, in
    two INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL): the database
    aggregates the batch, no Python work per row. The members' join dates must be up to date first: the
    monthly rows carry the join month."""
    _add_activities(conn, new_rows_where(conn), (community_id, after_id))


def members_where(member_ids: list[int]) -> str:
    """The WHERE of "activities of a community by these members" (one qmark parameter: the community)."""
    return f"community_id = ? AND member_id IN ({', '.join(str(int(m)) for m in member_ids)})"


def _add_activities(conn: Connection, where: str, params: tuple[int, ...]) -> None:
    """Add the activities matching `where` (qmark SQL over `activities`) to member_days and member_months."""
    dialect = conn.dialect.name
    contribution = "kind IN ('post', 'reply', 'comment')"
    day = f"occurred_at / {MICROS_PER_DAY}"
    conn.exec_driver_sql(
        driver_sql(
            conn,
            (
                "INSERT INTO member_days (community_id, day, member_id, contributions, posts, replies, comments, "
                "reactions, reads) "
                f"SELECT community_id, {day}, member_id, count(CASE WHEN {contribution} THEN 1 END), "
                "count(CASE WHEN kind = 'post' THEN 1 END), count(CASE WHEN kind = 'reply' THEN 1 END), "
                "count(CASE WHEN kind = 'comment' THEN 1 END), count(CASE WHEN kind = 'reaction' THEN 1 END), "
                f"sum(CASE WHEN {contribution} THEN {reads_sql(dialect)} END) FROM activities "
                f"WHERE {where} AND kind IN ('post', 'reply', 'comment', 'reaction') "
                f"GROUP BY community_id, {day}, member_id "
                "ON CONFLICT (community_id, day, member_id) DO UPDATE SET "
                + ", ".join(
                    f"{name} = member_days.{name} + excluded.{name}" for name in DAY_COUNTERS
                )
                + ", reads = CASE WHEN member_days.reads IS NULL THEN excluded.reads "
                "WHEN excluded.reads IS NULL THEN member_days.reads ELSE member_days.reads + excluded.reads END"
            ),
        ),
        params,
    )
    # months from the batch's days (fewer rows to put a calendar month on), join months from members
    month = month_sql(dialect, f"d.day * {MICROS_PER_DAY}")
    conn.exec_driver_sql(
        driver_sql(
            conn,
            (
                "INSERT INTO member_months (community_id, member_id, month, contributions, join_month) "
                f"SELECT d.community_id, d.member_id, {month}, sum(d.n), {month_sql(dialect, 'm.joined_at')} "
                f"FROM (SELECT community_id, member_id, {day} AS day, count(*) AS n FROM activities "
                f"WHERE {where} AND {contribution} GROUP BY community_id, member_id, {day}) AS d "
                "JOIN members m ON m.id = d.member_id "
                f"GROUP BY d.community_id, d.member_id, {month}, m.joined_at "
                "ON CONFLICT (community_id, member_id, month) DO UPDATE SET "
                "contributions = member_months.contributions + excluded.contributions, join_month = excluded.join_month"
            ),
        ),
        params,
    )


def new_contribution_days(conn: Connection, community_id: int, *, after_id: int) -> list[int]:
    """The UTC days (`occurred_at / MICROS_PER_DAY`) of the contributions inserted after `after_id`: what
    a per-day rollup must recompute after a batch."""
    rows = conn.exec_driver_sql(
        driver_sql(
            conn,
            (
                f"SELECT DISTINCT occurred_at / {MICROS_PER_DAY} FROM activities WHERE {new_rows_where(conn)} "
                "AND kind IN ('post', 'reply', 'comment')"
            ),
        ),
        (community_id, after_id),
    )
    return sorted(int(day) for (day,) in rows)


def driver_sql(conn: Connection, sql: str) -> str:
    """SQL written with qmark placeholders, in the driver's own style (psycopg takes %s)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def stage_rows(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    name: str | None = None,
) -> str:
    """PostgreSQL: `rows` (values of `columns` of `table`) copied into a temporary staging table of
    the same column types plus their order (`seq`), emptied first; returns its name. COPY sends
    the rows as one stream the server parses in C: executemany cost a round of Python work and a
    protocol message per row, and a multi-row VALUES a long parse of its placeholders (100,000
    activities: 5.4 s and 2.5 s of the import's 14 s). Dropped at commit or rollback. `name`: the
    staging table's own name, when the same table is staged with other columns elsewhere."""
    stage = f"tending_stage_{name or table}"
    # every time: a caller may commit between batches (the demo's commit_every), dropping it
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
        f"SELECT 0 AS seq, {', '.join(columns)} FROM {table} WITH NO DATA"
    )
    conn.exec_driver_sql(f"TRUNCATE {stage}")
    copy_rows(conn, stage, ("seq", *columns), ((seq, *row) for seq, row in enumerate(rows)))
    return stage


def copy_rows(
    conn: Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    """PostgreSQL: COPY `rows` (values of `columns`) into `table`."""
    raw: Any = conn.connection.dbapi_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        write = copy.write_row
        for row in rows:
            write(row)


def sync_join_months(conn: Connection, community_id: int, member_ids: list[int]) -> None:
    """Copy the join month of members whose joined_at changed onto their monthly rows."""
    wanted = sorted(set(member_ids))
    for start in range(0, len(wanted), 2000):
        listed = ", ".join(str(int(m)) for m in wanted[start : start + 2000])
        fill_join_months(
            conn, f"AND community_id = :cid AND member_id IN ({listed})", {"cid": community_id}
        )


def rebuild_member_rollups(conn: Connection, community_id: int, member_ids: list[int]) -> None:
    """Recompute the rollups of some members from their activities (after a merge or a deletion)."""
    for start in range(0, len(member_ids), 1000):
        chunk = member_ids[start : start + 1000]
        days = contributor_days.member_contribution_days(conn, community_id, chunk)
        for table in (member_days, member_months):
            conn.execute(
                table.delete().where(
                    table.c.community_id == community_id, table.c.member_id.in_(chunk)
                )
            )
        _add_activities(conn, members_where(chunk), (community_id,))
        days |= contributor_days.member_contribution_days(conn, community_id, chunk)
        contributor_days.refresh_days(conn, community_id, days)


def month_sql(dialect: str, column: str) -> str:
    """SQL for the UTC month index (year * 12 + month - 1) of a microseconds column."""
    if dialect == "postgresql":
        moment = f"(TIMESTAMP 'epoch' + ({column}) * INTERVAL '1 microsecond')"
        return (
            f"(CAST(EXTRACT(YEAR FROM {moment}) AS INTEGER) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {moment}) AS INTEGER) - 1)"
        )
    moment = f"(({column}) / 1000000), 'unixepoch'"
    return f"(CAST(strftime('%Y', {moment}) AS INTEGER) * 12 + CAST(strftime('%m', {moment}) AS INTEGER) - 1)"


def rebuild_community_rollups(
    conn: Connection, community_id: int | None = None, *, with_reads: bool = True
) -> None:
    """Fill the rollups from the activities with two INSERT ... SELECT (bulk loads, the migration).

    Read counts live in the JSON column: `with_reads` adds them in a second pass over the activities
    that carry an `extra` (bulk loaders that write no `extra` skip it).
    """
    # `community_id + 0`: one sequential scan of the activities beats a range over the community's
    # index followed by a lookup of every row (20M activities: minutes against a minute)
    where = "" if community_id is None else "AND community_id + 0 = :cid"
    params = {} if community_id is None else {"cid": community_id}
    for table in ("member_days", "member_months"):
        conn.execute(text(f"DELETE FROM {table} WHERE 1 = 1 {where}"), params)
    contribution = "kind IN ('post', 'reply', 'comment')"
    conn.execute(
        text(
            "INSERT INTO member_days (community_id, day, member_id, contributions, posts, replies, comments, "
            "reactions, reads) "
            f"SELECT community_id, occurred_at / {MICROS_PER_DAY}, member_id, "
            f"SUM(CASE WHEN {contribution} THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN kind = 'post' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN kind = 'comment' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END), "
            "NULL FROM activities "
            f"WHERE kind IN ('post', 'reply', 'comment', 'reaction') {where} "
            f"GROUP BY community_id, occurred_at / {MICROS_PER_DAY}, member_id"
        ),
        params,
    )
    # months from the (much smaller) daily rollup
    month = month_sql(conn.dialect.name, f"day * {MICROS_PER_DAY}")
    conn.execute(
        text(
            "INSERT INTO member_months (community_id, member_id, month, contributions) "
            f"SELECT community_id, member_id, {month}, SUM(contributions) FROM member_days "
            f"WHERE contributions > 0 {where} GROUP BY community_id, member_id, {month}"
        ),
        params,
    )
    fill_join_months(conn, where, params)
    if with_reads:
        _rebuild_reads(conn, where, params)
    if contributor_days.exists(
        conn
    ):  # migration 0006 runs this before 0008 creates the table (and fills it)
        contributor_days.rebuild_all(conn, community_id)


def fill_join_months(
    conn: Connection, where: str = "", params: dict[str, Any] | None = None
) -> None:
    """Set member_months.join_month from members.joined_at in one UPDATE (`where` narrows the rows)."""
    joined = month_sql(conn.dialect.name, "m.joined_at")
    conn.execute(
        text(
            f"UPDATE member_months SET join_month = (SELECT {joined} FROM members m "
            f"WHERE m.id = member_months.member_id AND m.joined_at IS NOT NULL) WHERE 1 = 1 {where}"
        ),
        params or {},
    )


def _rebuild_reads(conn: Connection, where: str, params: dict[str, Any]) -> None:
    totals: dict[tuple[int, int, int], int] = {}
    rows = conn.execute(
        text(
            "SELECT community_id, member_id, occurred_at, extra FROM activities "
            f"WHERE extra IS NOT NULL AND kind IN ('post', 'reply', 'comment') {where}"
        ),
        params,
    )
    for community, member_id, at, extra in rows:
        reads = reads_of(json.loads(extra) if isinstance(extra, str) else extra)
        if reads is not None:
            key = (community, day_of(int(at)), member_id)
            totals[key] = totals.get(key, 0) + reads
    if totals:
        conn.execute(
            text(
                "UPDATE member_days SET reads = :reads WHERE community_id = :c AND day = :d "
                "AND member_id = :m"
            ),
            [{"reads": n, "c": c, "d": d, "m": m} for (c, d, m), n in totals.items()],
        )
