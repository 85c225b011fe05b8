"""contributor_days: each UTC day's contributors, packed, so a window's contributors are ~90 rows, not millions.

Why: `tending segments` must count every contribution of a 90-day window by member in under half a second
with a million members. member_days (store/rollups.py) holds one row per member and day: a 90-day window is
1.5 million rows, and grouping them costs SQLite more than the whole budget. This table holds the same facts
one row per (community, UTC day): the day's contributors as a sorted array of member ids and their
contribution counts, as little-endian binary (int64 ids, int32 counts). Reading a window is ~90 blobs,
concatenated and summed by member with numpy.

It holds the contribution counts of member_days, packed, and is kept exact at write time:
- store/ingest.py calls `add_activities_after` with the newest activity id it saw before a batch's insert
  (as for member_stats): the new contributions, grouped by day and member in SQL, are merged into each
  touched day's row;
- store/rollups.py calls `refresh_days` from `rebuild_member_rollups` (merges, deletions) for the days
  those members' rows were on before and after, and `rebuild_all` from `rebuild_community_rollups`;
- migration 0008 fills it for databases that already hold member_days.
A refresh recomputes a day from member_days (one read per batch of days), so it is idempotent: refreshing
any day any number of times gives the same row. The write path merges instead of recomputing because a
busy day of a large community has ~10,000 contributors: recomputing it from member_days costs ~28 ms per
day touched, while a batch of 5,000 contributions merges in 10 ms on one day (most of it reading the new
rows back by id), 0.1 to 0.14 s spread over 100 days (SQLite, warm, benchmarks/members_speed.py's database).

Only contributions (post, reply, comment) are held: a community that counts reactions as contributions is
answered from the activities (store/members.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    inspect,
    text,
)

if TYPE_CHECKING:
    import numpy as np

from tending.lib.periods import Window
from tending.store.schema import Key, metadata
from tending.timeutil import MICROS_PER_DAY

MAX_ID = 2**63 - 1  # the largest BIGINT

IDS = "<i8"  # numpy dtype strings: numpy is imported where it is used, not at start-up
COUNTS = "<i4"
DAYS_PER_QUERY = 200  # days refreshed per statement: a bounded IN (...) list and a bounded read
CONTRIBUTION_SQL = "kind IN ('post', 'reply', 'comment')"

contributor_days = Table(
    "contributor_days",
    metadata,
    Column("community_id", Key, nullable=False),
    Column(
        "day", Integer, nullable=False
    ),  # UTC days since the epoch: occurred_at // MICROS_PER_DAY
    Column("contributors", Integer, nullable=False),  # the arrays' length
    Column("member_ids", LargeBinary, nullable=False),  # sorted int64, little-endian
    Column("counts", LargeBinary, nullable=False),  # int32, little-endian, aligned with member_ids
    PrimaryKeyConstraint("community_id", "day"),
)


def encode(member_ids: np.ndarray, counts: np.ndarray) -> tuple[bytes, bytes]:
    return member_ids.astype(IDS).tobytes(), counts.astype(COUNTS).tobytes()


def decode(
    member_ids: bytes | memoryview, counts: bytes | memoryview
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    return np.frombuffer(member_ids, dtype=IDS), np.frombuffer(counts, dtype=COUNTS)


def fetch_rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows straight from the driver's cursor: one SQLAlchemy Row per member-day costs more than the query."""
    result = conn.execute(text(sql), params)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return list(rows)


def fetch_ids(conn: Connection, sql: str, params: dict[str, Any]) -> np.ndarray:
    """The first column of `sql`'s rows (member ids), as an int64 array, read as fetch_rows does."""
    import numpy as np

    return np.array([row[0] for row in fetch_rows(conn, sql, params)], dtype=np.int64)


def _by_day(rows: list[tuple[Any, ...]]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(day, member ids, counts) per day from (day, member_id, contributions) rows sorted by day, member."""
    import numpy as np

    if not rows:
        return
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    cuts = np.flatnonzero(np.diff(table[:, 0])) + 1
    for part in np.split(table, cuts):
        yield int(part[0, 0]), part[:, 1], part[:, 2]


def _write_days(
    conn: Connection, community_id: int, days: list[int], rows: list[tuple[Any, ...]]
) -> None:
    _replace_days(conn, community_id, days, _by_day(rows))


def _replace_days(
    conn: Connection,
    community_id: int,
    days: list[int],
    contents: Iterable[tuple[int, np.ndarray, np.ndarray]],
) -> None:
    """Replace the rows of `days` by `contents` (day, member ids, counts); days without contents are left empty."""
    conn.execute(
        contributor_days.delete().where(
            contributor_days.c.community_id == community_id, contributor_days.c.day.in_(days)
        )
    )
    values = []
    for day, member_ids, counts in contents:
        ids_blob, counts_blob = encode(member_ids, counts)
        values.append(
            {
                "community_id": community_id,
                "day": day,
                "contributors": len(member_ids),
                "member_ids": ids_blob,
                "counts": counts_blob,
            }
        )
    if values:
        conn.execute(contributor_days.insert(), values)


def add_activities_after(conn: Connection, community_id: int, *, after_id: int) -> None:
    """Fold the contributions inserted after activity id `after_id` into their days' packed rows: the
    database groups them by (UTC day, member), then each touched day is read once, merged with those counts
    and written back. store/ingest.py calls it after each batch with the newest id it saw before inserting
    (as for member_stats), so only activities really inserted count and a re-import adds nothing.

    Two imports into one community at once must not lose each other's counts: every touched day gets a row
    first (INSERT ... ON CONFLICT DO NOTHING, which waits for a concurrent insert of the same day), then the
    rows are read FOR UPDATE on PostgreSQL (the newest committed version, locked until commit) and updated in
    place. SQLite has one writer at a time."""
    # the upper bound: PostgreSQL's planner has no statistics for the rows a running import adds, and would
    # guess an open range is a third of the table (rollups.new_rows_where)
    import numpy as np

    rows = fetch_rows(
        conn,
        f"SELECT occurred_at, member_id FROM activities WHERE +community_id = :c AND id > :after "
        f"AND id <= {MAX_ID} AND {CONTRIBUTION_SQL}",
        {"c": community_id, "after": after_id},
    )
    if not rows:
        return
    table = np.array(rows, dtype=np.int64).reshape(-1, 2)
    days = table[:, 0] // MICROS_PER_DAY
    _merge(conn, community_id, {int(day): table[days == day, 1] for day in np.unique(days)})


def _merge(conn: Connection, community_id: int, new: dict[int, np.ndarray]) -> None:
    """Add one contribution per entry of {day: member ids (repeated once per contribution)} to the packed rows.
    (`+community_id`, above: SQLite would otherwise read the community's whole partial index of contributions
    rather than the rowid range of the new activities.)"""
    import numpy as np

    wanted = sorted(
        new
    )  # one order for every writer: row locks taken in the same order never deadlock
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    for start in range(0, len(wanted), DAYS_PER_QUERY):
        chunk = wanted[start : start + DAYS_PER_QUERY]
        conn.execute(
            text(
                "INSERT INTO contributor_days (community_id, day, contributors, member_ids, counts) "
                "VALUES (:c, :d, 0, :empty, :empty) ON CONFLICT (community_id, day) DO NOTHING"
            ),
            [{"c": community_id, "d": day, "empty": b""} for day in chunk],
        )
        listed = ", ".join(str(int(day)) for day in chunk)
        stored = {
            int(day): decode(ids_blob, counts_blob)
            for day, ids_blob, counts_blob in fetch_rows(
                conn,
                "SELECT day, member_ids, counts FROM contributor_days WHERE community_id = :c "
                f"AND day IN ({listed}) ORDER BY day{lock}",
                {"c": community_id},
            )
        }
        values = []
        for day in chunk:
            member_ids, totals = sum_by_member(
                [new[day], stored[day][0]],
                [np.ones(len(new[day]), dtype=np.int64), stored[day][1]],
                dense=False,
            )
            ids_blob, counts_blob = encode(member_ids, totals)
            values.append(
                {
                    "c": community_id,
                    "d": day,
                    "n": len(member_ids),
                    "ids": ids_blob,
                    "counts": counts_blob,
                }
            )
        conn.execute(
            text(
                "UPDATE contributor_days SET contributors = :n, member_ids = :ids, counts = :counts "
                "WHERE community_id = :c AND day = :d"
            ),
            values,
        )


def refresh_days(
    conn: Connection, community_id: int, days: Iterable[int], *, per_query: int = DAYS_PER_QUERY
) -> None:
    """Recompute the packed contributors of these UTC days from member_days (after it changed),
    `per_query` days at a time (what one read holds in memory)."""
    wanted = sorted(set(days))
    for start in range(0, len(wanted), per_query):
        chunk = wanted[start : start + per_query]
        listed = ", ".join(str(int(day)) for day in chunk)
        rows = fetch_rows(
            conn,
            "SELECT day, member_id, contributions FROM member_days WHERE community_id = :c "
            f"AND day IN ({listed}) AND contributions > 0 ORDER BY day, member_id",
            {"c": community_id},
        )
        _write_days(conn, community_id, chunk, rows)


def member_contribution_days(
    conn: Connection, community_id: int, member_ids: list[int]
) -> set[int]:
    """The UTC days on which these members have contributions in member_days (before a rebuild moves them)."""
    found: set[int] = set()
    for start in range(0, len(member_ids), 900):
        listed = ", ".join(str(int(m)) for m in member_ids[start : start + 900])
        found.update(
            int(day)
            for (day,) in fetch_rows(
                conn,
                f"SELECT DISTINCT day FROM member_days WHERE community_id = :c AND member_id IN ({listed}) "
                "AND contributions > 0",
                {"c": community_id},
            )
        )
    return found


def exists(conn: Connection) -> bool:
    """Whether the schema has the table yet (migration 0006 rebuilds the rollups before 0008 creates it)."""
    return inspect(conn).has_table("contributor_days")


def rebuild_all(conn: Connection, community_id: int | None = None) -> None:
    """Fill the table from member_days for one community, or all (the migration, bulk loaders)."""
    if community_id is None:
        communities = [
            int(c) for (c,) in fetch_rows(conn, "SELECT DISTINCT community_id FROM member_days", {})
        ]
        conn.execute(contributor_days.delete())
    else:
        communities = [community_id]
        conn.execute(
            contributor_days.delete().where(contributor_days.c.community_id == community_id)
        )
    for cid in communities:
        low, high = conn.execute(
            text("SELECT min(day), max(day) FROM member_days WHERE community_id = :c"), {"c": cid}
        ).one()
        if low is None:
            continue
        for first in range(int(low), int(high) + 1, DAYS_PER_QUERY):
            last = min(first + DAYS_PER_QUERY - 1, int(high))
            rows = fetch_rows(
                conn,
                "SELECT day, member_id, contributions FROM member_days WHERE community_id = :c "
                "AND day >= :lo AND day <= :hi AND contributions > 0 ORDER BY day, member_id",
                {"c": cid, "lo": first, "hi": last},
            )
            _write_days(conn, cid, list(range(first, last + 1)), rows)


# -- reading a window -------------------------------------------------------------------------------------------


def window_counts(
    conn: Connection, community_id: int, *, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """Contributions in the window (start, end] (microseconds) by member: (sorted member ids, counts > 0).

    Whole UTC days come from the packed rows; the partial days at both ends from the activities themselves,
    so the answer is exact to the microsecond whatever the window's time zone."""
    import numpy as np

    window = Window(start=start, end=end)
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    if window.has_full_days:
        for ids_blob, counts_blob in fetch_rows(
            conn,
            "SELECT member_ids, counts FROM contributor_days WHERE community_id = :c "
            "AND day >= :lo AND day <= :hi",
            {"c": community_id, "lo": window.first_full_day, "hi": window.last_full_day},
        ):
            day_ids, day_counts = decode(ids_blob, counts_blob)
            ids.append(day_ids)
            counts.append(day_counts)
    for low, high in window.raw_ranges():
        edge = np.array(
            [
                m
                for (m,) in fetch_rows(
                    conn,
                    f"SELECT member_id FROM activities{_by_instant(conn)} "
                    "WHERE community_id = :c AND occurred_at >= :lo "
                    f"AND occurred_at <= :hi AND {CONTRIBUTION_SQL}",
                    {"c": community_id, "lo": low, "hi": high},
                )
            ],
            dtype=np.int64,
        )
        ids.append(edge)
        counts.append(np.ones(len(edge), dtype=np.int64))
    return sum_by_member(ids, counts)


def _by_instant(conn: Connection) -> str:
    """SQLite: read a partial day through the (community, instant) index. The partial index of
    contributions also starts with the community and covers member_id; where it has no statistics
    (sqlite_stat1 written before it existed) SQLite takes it for very selective and scans the
    community's every contribution for the two edge ranges: 3.5 s instead of milliseconds on 20,000,000
    activities (benchmarks/health_speed.py's database)."""
    return (
        " INDEXED BY ix_activities_community_id_occurred_at"
        if conn.dialect.name == "sqlite"
        else ""
    )


def sum_by_member(
    ids: list[np.ndarray], counts: list[np.ndarray], *, dense: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Add up the counts of each member over several (ids, counts) arrays: (sorted ids, totals > 0).

    `dense`: allowed to use an array indexed by member id when the ids are not too sparse (a window's
    hundreds of thousands of rows); a single day's merge sorts instead."""
    import numpy as np

    if not ids or sum(len(part) for part in ids) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    all_ids = np.concatenate(ids).astype(np.int64)
    all_counts = np.concatenate(counts).astype(np.int64)
    if dense and int(all_ids.max()) <= 8 * len(all_ids) + 1_000_000:
        totals = np.bincount(all_ids, weights=all_counts).astype(np.int64)
        found = np.flatnonzero(totals)
        return found.astype(np.int64), totals[found]
    unique, inverse = np.unique(all_ids, return_inverse=True)
    totals = np.bincount(inverse, weights=all_counts).astype(np.int64)
    keep = totals > 0
    return unique[keep], totals[keep]
