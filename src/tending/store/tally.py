"""The bulk path's rollups counted in memory while the rows stream in, written set-based (issue 21).

Folding a bulk load into member_stats, member_days and member_months by SQL meant grouping every new
activity again after the insert (three GROUP BYs over the rows read back by id): on a 200,000-activity
jsonl export into a new SQLite community, 2.4 s of the writer's 5.7 s of CPU, all in the final phase,
where nothing overlaps with parsing. The writer holds each activity's member, kind, instant and extra
as plain values just before the insert, so they are kept there, in arrays, and summed by numpy every
FLUSH_ROWS rows (memory stays bounded); what they add up to is written by one statement per table of the
same additive upserts as the SQL path, so a member or day met in several writes, or already stored,
adds up exactly.

Only rows known to be inserted are counted: store/ingest.py tallies a batch only when every one of its
activities went in (the insert's unique key dropped none), and folds any other batch by SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from tending.store.contributor_days import refresh_days
from tending.store.rollups import DAY_COUNTERS, reads_of, stage_rows, sync_join_months
from tending.timeutil import MICROS_PER_DAY

# rows counted before what they add up to is written (memory stays bounded: about 40 bytes a row while
# held, a few times that while they are summed); a member or day met again in a later write is added up
# by the upserts
FLUSH_ROWS = 200_000
# the kinds' codes: post, reply, comment (contributions), reaction; other kinds of activity (counted in
# no column, but they widen a member's first and last activity); and kinds that are no activity of the
# member's (joined, left, message_sent: only their first instant counts, for the join date)
_CODES = {"post": 0, "reply": 1, "comment": 2, "reaction": 3}
_OTHER, _NOT_STATS = 4, 5
_NOT_STATS_KINDS = ("joined", "left", "message_sent")
_READS = '"reads"'


def month_of_day(day: int) -> int:
    """The UTC month index (year * 12 + month - 1) of a UTC day, as rollups.month_sql computes it."""
    moment = datetime.fromtimestamp(day * (MICROS_PER_DAY // 1_000_000), tz=UTC)
    return moment.year * 12 + moment.month - 1


class Tally:
    """Rollups of activity rows (store/ingest.py's insert tuples) not yet written: each row's member,
    kind and instant held in arrays, summed by numpy when written (a dictionary update per row cost
    about 3 us; summing the arrays costs a sort)."""

    def __init__(self, community_id: int) -> None:
        self.cid = community_id
        self._held: list[tuple[Any, Any, Any]] = []  # (members, kind codes, instants) per add
        self._held_rows = 0
        self._reads: list[tuple[int, int, int]] = []  # (day, member, reads) of contributions
        self.contribution_days: set[int] = set()  # days whose packed contributors change
        self.members: set[int] = set()  # members whose monthly rows need their join month
        self._month_of: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self._held_rows or self.contribution_days or self.members)

    def add(
        self, rows: Iterable[tuple[Any, ...]], *, member: int, kind: int, at: int, extra: int
    ) -> None:
        """Count rows given as tuples, with the places of their member id, kind, instant (micros) and
        JSON extra."""
        import numpy as np

        rows = rows if isinstance(rows, list) else list(rows)
        count = len(rows)
        if not count:
            return
        codes = {**_CODES, **dict.fromkeys(_NOT_STATS_KINDS, _NOT_STATS)}
        members = np.fromiter(map(itemgetter(member), rows), np.int64, count)
        kinds = np.fromiter(
            map(codes.get, map(itemgetter(kind), rows), repeat(_OTHER)), np.int8, count
        )
        instants = np.fromiter(map(itemgetter(at), rows), np.int64, count)
        self._held.append((members, kinds, instants))
        self._held_rows += count
        for index, text in enumerate(map(itemgetter(extra), rows)):
            if text is not None and _READS in text and kinds[index] <= 2:
                reads = reads_of(json.loads(text))
                if reads is not None:
                    self._reads.append(
                        (int(instants[index]) // MICROS_PER_DAY, int(members[index]), reads)
                    )

    def write_some(self, conn: Connection) -> None:
        """Write what is held once it is enough rows to be worth it (memory stays bounded)."""
        if self._held_rows >= FLUSH_ROWS:
            self.write(conn)

    def write(self, conn: Connection) -> None:
        """Add what is counted to member_stats, member_days and member_months, and move the first-seen
        join dates; then forget it (the days and members touched are kept for `finish`)."""
        import numpy as np

        if not self._held_rows:
            return
        members = np.concatenate([held[0] for held in self._held])
        kinds = np.concatenate([held[1] for held in self._held])
        instants = np.concatenate([held[2] for held in self._held])
        reads, self._held, self._held_rows, self._reads = self._reads, [], 0, []
        first_seen = _first_seen(members, instants)
        counted = kinds <= _OTHER
        _write_stats(conn, self.cid, _stats(members[counted], kinds[counted], instants[counted]))
        _write_first_seen(conn, first_seen)
        self.members.update(first_seen)
        in_days = kinds <= 3
        days = instants[in_days] // MICROS_PER_DAY
        _write_days(conn, self.cid, _days(days, members[in_days], kinds[in_days], reads))
        contributed = kinds[in_days] <= 2
        contribution_days = np.unique(days[contributed]).tolist()
        self.contribution_days.update(contribution_days)
        month_of = self._month_of
        for day in contribution_days:
            if day not in month_of:
                month_of[day] = month_of_day(day)
        _write_months(
            conn, self.cid, _months(days[contributed], members[in_days][contributed], month_of)
        )

    def finish(self, conn: Connection, *, days_per_query: int) -> None:
        """Write the rest, then what depends on everything written: the packed contributors of the days
        touched (from member_days) and the join month on the members' monthly rows."""
        self.write(conn)
        refresh_days(conn, self.cid, self.contribution_days, per_query=days_per_query)
        sync_join_months(conn, self.cid, sorted(self.members))
        self.contribution_days, self.members = set(), set()


def _grouped(keys: Any) -> tuple[Any, Any, Any]:
    """(the distinct keys, sorted; the order that sorts the rows by key; where each key's rows start in
    that order)."""
    import numpy as np

    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], order, starts


def _first_seen(members: Any, instants: Any) -> dict[int, int]:
    """Each member's earliest instant, every kind."""
    import numpy as np

    distinct, order, starts = _grouped(members)
    return dict(
        zip(distinct.tolist(), np.minimum.reduceat(instants[order], starts).tolist(), strict=True)
    )


def _stats(members: Any, kinds: Any, instants: Any) -> dict[int, list[Any]]:
    """member -> [contributions, posts, replies, comments, reactions, first activity, last activity,
    first contribution, last contribution] of rows of kinds counted in member_stats or widening it."""
    import numpy as np

    if not len(members):
        return {}
    distinct, order, starts = _grouped(members)
    kinds, instants = kinds[order], instants[order]
    group = np.repeat(np.arange(len(distinct)), np.diff(np.append(starts, len(members))))
    size = len(distinct)
    counters = [np.bincount(group, weights=kinds <= 2, minlength=size)] + [
        np.bincount(group, weights=kinds == code, minlength=size) for code in range(4)
    ]
    first = np.minimum.reduceat(instants, starts)
    last = np.maximum.reduceat(instants, starts)
    # contributions' first and last: non-contributions moved out of reach of min and max
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    contribution = kinds <= 2
    first_c = np.minimum.reduceat(np.where(contribution, instants, big), starts)
    last_c = np.maximum.reduceat(np.where(contribution, instants, small), starts)
    has_c = counters[0] > 0
    return {
        member: [*counts, at_first, at_last, c_first if any_c else None, c_last if any_c else None]
        for member, *counts, at_first, at_last, c_first, c_last, any_c in zip(
            distinct.tolist(),
            *(c.astype(np.int64).tolist() for c in counters),
            first.tolist(),
            last.tolist(),
            first_c.tolist(),
            last_c.tolist(),
            has_c.tolist(),
            strict=True,
        )
    }


def _days(
    days: Any, members: Any, kinds: Any, reads: list[tuple[int, int, int]]
) -> list[tuple[Any, ...]]:
    """(day, member, contributions, posts, replies, comments, reactions, reads) of counted rows."""
    import numpy as np

    if not len(days):
        return []
    keys = days * (1 << 32) + members  # member ids fit in 32 bits
    distinct, order, starts = _grouped(keys)
    kinds = kinds[order]
    group = np.repeat(np.arange(len(distinct)), np.diff(np.append(starts, len(keys))))
    size = len(distinct)
    counters = [np.bincount(group, weights=kinds <= 2, minlength=size)] + [
        np.bincount(group, weights=kinds == code, minlength=size) for code in range(4)
    ]
    read: dict[tuple[int, int], int] = {}
    for day, member, count in reads:
        read[(day, member)] = read.get((day, member), 0) + count
    return [
        (day, member, *counts, read.get((day, member)) if read else None)
        for day, member, *counts in zip(
            (distinct >> 32).tolist(),
            (distinct & 0xFFFFFFFF).tolist(),
            *(c.astype(np.int64).tolist() for c in counters),
            strict=True,
        )
    ]


def _months(days: Any, members: Any, month_of: dict[int, int]) -> list[tuple[int, int, int]]:
    """(member, month, contributions) of contributions."""
    import numpy as np

    if not len(days):
        return []
    known = np.array(sorted(month_of), dtype=np.int64)
    months = np.array([month_of[day] for day in known.tolist()], dtype=np.int64)
    keys = members * 1_000_000 + months[np.searchsorted(known, days)]
    distinct, counts = np.unique(keys, return_counts=True)
    return list(
        zip(
            (distinct // 1_000_000).tolist(),
            (distinct % 1_000_000).tolist(),
            counts.tolist(),
            strict=True,
        )
    )


def _upsert(
    conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], then: str
) -> None:
    """INSERT the rows, `then` (ON CONFLICT ...) for those already stored: one executemany of plain
    tuples on SQLite; on PostgreSQL, COPY into a staging table and one INSERT ... SELECT (psycopg's
    executemany cost a protocol round per row: 1.6 s of CPU for 100,000 activities' rollups)."""
    listed = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        stage = stage_rows(conn, table, columns, rows)
        conn.exec_driver_sql(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {stage} {then}")
        return
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({listed}) VALUES ({', '.join('?' * len(columns))}) {then}", rows
    )


def _write_stats(conn: Connection, cid: int, stats: dict[int, list[Any]]) -> None:
    if not stats:
        return
    instants = (
        "first_activity_at",
        "last_activity_at",
        "first_contribution_at",
        "last_contribution_at",
    )
    pick = (
        {"<": "LEAST", ">": "GREATEST"}
        if conn.dialect.name == "postgresql"
        else {"<": "min", ">": "max"}
    )
    updates = [f"{name} = member_stats.{name} + excluded.{name}" for name in DAY_COUNTERS] + [
        f"{name} = {pick['<' if name.startswith('first') else '>']}("
        f"coalesce(member_stats.{name}, excluded.{name}), coalesce(excluded.{name}, member_stats.{name}))"
        for name in instants
    ]
    _upsert(
        conn,
        "member_stats",
        ("member_id", "community_id", *DAY_COUNTERS, *instants),
        [(member_id, cid, *values) for member_id, values in stats.items()],
        f"ON CONFLICT (member_id) DO UPDATE SET {', '.join(updates)}",
    )


def _write_days(conn: Connection, cid: int, days: list[tuple[Any, ...]]) -> None:
    if not days:
        return
    _upsert(
        conn,
        "member_days",
        ("community_id", "day", "member_id", *DAY_COUNTERS, "reads"),
        [(cid, *values) for values in days],
        "ON CONFLICT (community_id, day, member_id) DO UPDATE SET "
        + ", ".join(f"{name} = member_days.{name} + excluded.{name}" for name in DAY_COUNTERS)
        + ", reads = CASE WHEN member_days.reads IS NULL THEN excluded.reads "
        "WHEN excluded.reads IS NULL THEN member_days.reads "
        "ELSE member_days.reads + excluded.reads END",
    )


def _write_months(conn: Connection, cid: int, months: list[tuple[int, int, int]]) -> None:
    """join_month is left to `Tally.finish`: the members' join dates may still move."""
    if not months:
        return
    _upsert(
        conn,
        "member_months",
        ("community_id", "member_id", "month", "contributions"),
        [(cid, *values) for values in months],
        "ON CONFLICT (community_id, member_id, month) DO UPDATE SET "
        "contributions = member_months.contributions + excluded.contributions",
    )


def _write_first_seen(conn: Connection, first_seen: dict[int, int]) -> None:
    """A member without a platform join date joined at their first activity (store/ingest.py's
    `_update_member_dates`, row by row; on PostgreSQL from a staging table)."""
    if not first_seen:
        return
    moved = (
        "NOT members.joined_at_exact AND (members.joined_at IS NULL OR members.joined_at > {at})"
    )
    if conn.dialect.name == "postgresql":
        stage = stage_rows(
            conn, "members", ("id", "joined_at"), first_seen.items(), name="first_seen"
        )
        conn.exec_driver_sql(
            f"UPDATE members SET joined_at = s.joined_at FROM {stage} s WHERE members.id = s.id AND "
            + moved.format(at="s.joined_at")
        )
        return
    conn.exec_driver_sql(
        "UPDATE members SET joined_at = ? WHERE id = ? AND " + moved.format(at="?"),
        [(at, member_id, at) for member_id, at in first_seen.items()],
    )
