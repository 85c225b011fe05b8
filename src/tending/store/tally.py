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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from tending.store.contributor_days import refresh_days
from tending.store.rollups import (
    DAY_COUNTERS,
    copy_rows,
    reads_of,
    stage_rows,
    sync_join_months,
)
from tending.timeutil import MICROS_PER_DAY

# rows held before their days are written (member_days is keyed by day: a day is met again in a later
# write only where the export's days cut across two writes); what they add up to per member (stats, join
# dates, months) is held, summed again at each write, until FLUSH_MEMBERS members or member-months are
# held: an active member is met in every write, and each write of their row is an upsert of the last.
# Writing as the rows come keeps the writing process busy while the parser works; held, the members'
# sums cost little memory (about 100 bytes a member).
FLUSH_ROWS = 25_000
FLUSH_MEMBERS = 50_000
# the kinds' codes: post, reply, comment (contributions), reaction; other kinds of activity (counted in
# no column, but they widen a member's first and last activity); and kinds that are no activity of the
# member's (joined, left, message_sent: only their first instant counts, for the join date)
_CODES = {"post": 0, "reply": 1, "comment": 2, "reaction": 3}
_OTHER, _NOT_STATS = 4, 5
_NOT_STATS_KINDS = ("joined", "left", "message_sent")
_READS = '"reads"'
_LATEST, _EARLIEST = 2**63 - 1, -(2**63)  # "no contribution" in a minimum, in a maximum


def month_of_day(day: int) -> int:
    """The UTC month index (year * 12 + month - 1) of a UTC day, as rollups.month_sql computes it."""
    moment = datetime.fromtimestamp(day * (MICROS_PER_DAY // 1_000_000), tz=UTC)
    return moment.year * 12 + moment.month - 1


class Tally:
    """Rollups of activity rows (store/ingest.py's insert tuples) not yet written: each row's member,
    kind and instant held in arrays and summed by numpy (a dictionary update per row cost about 3 us;
    summing the arrays costs a sort)."""

    def __init__(self, community_id: int, *, fresh: bool = False) -> None:
        """fresh: the community holds no member_days row yet (PostgreSQL's bulk path into a new
        community): the rows of a day no earlier write touched are copied in, not upserted."""
        self.cid = community_id
        self.written_days: set[int] | None = set() if fresh else None
        self._held: list[tuple[Any, Any, Any]] = []  # (members, kind codes, instants) per add
        self._held_rows = 0
        self._reads: list[tuple[int, int, int]] = []  # (day, member, reads) of contributions
        self._stats: Sums | None = None  # per member, not yet written
        self._seen: Sums | None = None  # per member: the earliest instant, every kind
        self._months: Sums | None = None  # per (member, month): contributions
        self.contribution_days: set[int] = set()  # days whose packed contributors change
        self.members: set[int] = set()  # members whose monthly rows need their join month
        self._month_of: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(
            self._held_rows or self._seen is not None or self.contribution_days or self.members
        )

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

    def written_elsewhere(self) -> None:
        """member_days is written by other statements too from now on (a batch folded by SQL, a
        deletion's rebuild): no day is sure to be new any more, so every write upserts."""
        self.written_days = None

    def write_some(self, conn: Connection) -> None:
        """Write what is held once it is enough to be worth it (memory stays bounded)."""
        if self._held_rows >= FLUSH_ROWS:
            self._write_days(conn)
        if max(_size(self._seen), _size(self._months)) >= FLUSH_MEMBERS:
            self._write_members(conn)

    def write(self, conn: Connection) -> None:
        """Add what is counted to member_stats, member_days and member_months, and move the first-seen
        join dates; then forget it (the days and members touched are kept for `finish`)."""
        self._write_days(conn)
        self._write_members(conn)

    def _write_days(self, conn: Connection) -> None:
        """Write the held rows' member_days; sum what they add to each member into what is held."""
        import numpy as np

        if not self._held_rows:
            return
        members = np.concatenate([held[0] for held in self._held])
        kinds = np.concatenate([held[1] for held in self._held])
        instants = np.concatenate([held[2] for held in self._held])
        reads, self._held, self._held_rows, self._reads = self._reads, [], 0, []
        self._seen = Sums.of(members, [], mins=[instants]).merged(self._seen)
        counted = kinds <= _OTHER
        self._stats = _stats(members[counted], kinds[counted], instants[counted]).merged(
            self._stats
        )
        in_days = kinds <= 3
        days = instants[in_days] // MICROS_PER_DAY
        rows = _days(days, members[in_days], kinds[in_days], reads)
        if self.written_days is None:
            _write_days(conn, self.cid, rows)
        else:
            written = self.written_days
            _write_days(conn, self.cid, [row for row in rows if row[0] in written])
            columns = ("community_id", "day", "member_id", *DAY_COUNTERS, "reads")
            cid = self.cid
            copy_rows(
                conn, "member_days", columns, [(cid, *row) for row in rows if row[0] not in written]
            )
            written.update(np.unique(days).tolist())
        contributed = kinds[in_days] <= 2
        contribution_days = np.unique(days[contributed]).tolist()
        self.contribution_days.update(contribution_days)
        month_of = self._month_of
        for day in contribution_days:
            if day not in month_of:
                month_of[day] = month_of_day(day)
        self._months = _months(days[contributed], members[in_days][contributed], month_of).merged(
            self._months
        )

    def _write_members(self, conn: Connection) -> None:
        if self._stats is not None:
            _write_stats(conn, self.cid, self._stats)
        if self._seen is not None:
            first_seen = dict(
                zip(self._seen.keys.tolist(), self._seen.mins[0].tolist(), strict=True)
            )
            _write_first_seen(conn, first_seen)
            self.members.update(first_seen)
        if self._months is not None:
            _write_months(conn, self.cid, self._months)
        self._stats = self._seen = self._months = None

    def finish(self, conn: Connection, *, days_per_query: int) -> None:
        """Write the rest, then what depends on everything written: the packed contributors of the days
        touched (from member_days) and the join month on the members' monthly rows."""
        self.write(conn)
        refresh_days(conn, self.cid, self.contribution_days, per_query=days_per_query)
        sync_join_months(conn, self.cid, sorted(self.members))
        self.contribution_days, self.members = set(), set()


def _size(sums: Sums | None) -> int:
    return 0 if sums is None else len(sums.keys)


def _grouped(keys: Any) -> tuple[Any, Any]:
    """(the order that sorts the rows by key; where each distinct key's rows start in that order)."""
    import numpy as np

    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    return order, np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


class Sums:
    """Values summed, minimised and maximised per distinct key (numpy arrays, the keys sorted)."""

    def __init__(self, keys: Any, sums: list[Any], mins: list[Any], maxes: list[Any]) -> None:
        self.keys, self.sums, self.mins, self.maxes = keys, sums, mins, maxes

    @classmethod
    def of(
        cls,
        keys: Any,
        sums: list[Any],
        mins: Sequence[Any] = (),
        maxes: Sequence[Any] = (),
    ) -> Sums:
        """Per distinct key, of rows given as arrays of one length."""
        import numpy as np

        if not len(keys):
            return cls(keys, list(sums), list(mins), list(maxes))
        order, starts = _grouped(keys)
        return cls(
            keys[order][starts],
            [np.add.reduceat(values[order], starts) for values in sums],
            [np.minimum.reduceat(values[order], starts) for values in mins],
            [np.maximum.reduceat(values[order], starts) for values in maxes],
        )

    def merged(self, other: Sums | None) -> Sums:
        """These and `other`'s, key by key."""
        import numpy as np

        if other is None or not len(other.keys):
            return self
        if not len(self.keys):
            return other

        def both(mine: list[Any], theirs: list[Any]) -> list[Any]:
            return [np.concatenate((a, b)) for a, b in zip(mine, theirs, strict=True)]

        return Sums.of(
            np.concatenate((self.keys, other.keys)),
            both(self.sums, other.sums),
            both(self.mins, other.mins),
            both(self.maxes, other.maxes),
        )


def _stats(members: Any, kinds: Any, instants: Any) -> Sums:
    """Per member, of rows of kinds counted in member_stats or widening it: the counts of
    contributions, posts, replies, comments and reactions; the first activity and contribution; the
    last activity and contribution (_LATEST and _EARLIEST: none)."""
    import numpy as np

    contribution = kinds <= 2
    return Sums.of(
        members,
        [contribution.astype(np.int64)] + [(kinds == code).astype(np.int64) for code in range(4)],
        mins=[instants, np.where(contribution, instants, _LATEST)],
        maxes=[instants, np.where(contribution, instants, _EARLIEST)],
    )


def _days(
    days: Any, members: Any, kinds: Any, reads: list[tuple[int, int, int]]
) -> list[tuple[Any, ...]]:
    """(day, member, contributions, posts, replies, comments, reactions, reads) of counted rows."""
    import numpy as np

    if not len(days):
        return []
    sums = Sums.of(
        days * (1 << 32) + members,  # member ids fit in 32 bits
        [(kinds <= 2).astype(np.int64)] + [(kinds == code).astype(np.int64) for code in range(4)],
    )
    read: dict[tuple[int, int], int] = {}
    for day, member, count in reads:
        read[(day, member)] = read.get((day, member), 0) + count
    return [
        (day, member, *counts, read.get((day, member)) if read else None)
        for day, member, *counts in zip(
            (sums.keys >> 32).tolist(),
            (sums.keys & 0xFFFFFFFF).tolist(),
            *(c.tolist() for c in sums.sums),
            strict=True,
        )
    ]


def _months(days: Any, members: Any, month_of: dict[int, int]) -> Sums:
    """Contributions per (member, month), keyed member * 1,000,000 + month."""
    import numpy as np

    known = np.array(sorted(month_of), dtype=np.int64)
    months = np.array([month_of[day] for day in known.tolist()], dtype=np.int64)
    keys = members * 1_000_000 + (months[np.searchsorted(known, days)] if len(days) else 0)
    return Sums.of(keys, [np.ones(len(keys), np.int64)])


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


def _write_stats(conn: Connection, cid: int, stats: Sums) -> None:
    if not len(stats.keys):
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
    (first, first_c), (last, last_c) = stats.mins, stats.maxes
    _upsert(
        conn,
        "member_stats",
        ("member_id", "community_id", *DAY_COUNTERS, *instants),
        [
            (
                member,
                cid,
                *counts,
                at_first,
                at_last,
                None if c_first == _LATEST else c_first,
                None if c_last == _EARLIEST else c_last,
            )
            for member, *counts, at_first, at_last, c_first, c_last in zip(
                stats.keys.tolist(),
                *(c.tolist() for c in stats.sums),
                first.tolist(),
                last.tolist(),
                first_c.tolist(),
                last_c.tolist(),
                strict=True,
            )
        ],
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


def _write_months(conn: Connection, cid: int, months: Sums) -> None:
    """join_month is left to `Tally.finish`: the members' join dates may still move."""
    if not len(months.keys):
        return
    _upsert(
        conn,
        "member_months",
        ("community_id", "member_id", "month", "contributions"),
        [
            (cid, key // 1_000_000, key % 1_000_000, count)
            for key, count in zip(months.keys.tolist(), months.sums[0].tolist(), strict=True)
        ],
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
