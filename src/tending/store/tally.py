"""The bulk path's rollups counted in memory while the rows stream in, written set-based (issue 21).

Folding a bulk load into member_stats, member_days and member_months by SQL meant grouping every new
activity again after the insert (three GROUP BYs over the rows read back by id): on a 200,000-activity
jsonl export into a new SQLite community, 2.4 s of the writer's 5.7 s of CPU, all in the final phase,
where nothing overlaps with parsing. The writer holds each activity's member, kind, instant and extra
as plain values just before the insert, so counting them there costs a few dictionary updates per row.
What is counted is written every FLUSH_DAYS or FLUSH_MEMBERS entries (memory stays bounded) by one
statement per table of the same additive upserts as the SQL path, so a member or day met in several
writes, or already stored, adds up exactly.

Only rows known to be inserted are counted: store/ingest.py tallies a batch only when every one of its
activities went in (the insert's unique key dropped none), and folds any other batch by SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from tending.store.contributor_days import refresh_days
from tending.store.rollups import DAY_COUNTERS, reads_of, stage_rows, sync_join_months
from tending.timeutil import MICROS_PER_DAY

# entries counted before they are written: member-days come and go with the export's days (written as
# soon as FLUSH_DAYS are held), while a member's stats and months are met again all along the export, so
# they are held longer (each write of them is an upsert of rows written before)
# (what is held peaks near 23 MB on a 100,000-member export, against 65 MB at 50,000 and 100,000, which took
# a 1 GB export's import to 564 MB of RSS)
FLUSH_DAYS = 20_000
FLUSH_MEMBERS = 30_000
STAT_COUNTED = ("post", "reply", "comment", "reaction")
CONTRIBUTIONS = frozenset(("post", "reply", "comment"))
# member_days' counters by kind: contributions, posts, replies, comments, reactions
_DAY_SLOTS = {"post": (0, 1), "reply": (0, 2), "comment": (0, 3), "reaction": (4,)}
_NOT_STATS = frozenset(("joined", "left", "message_sent"))
_READS = '"reads"'


def month_of_day(day: int) -> int:
    """The UTC month index (year * 12 + month - 1) of a UTC day, as rollups.month_sql computes it."""
    moment = datetime.fromtimestamp(day * (MICROS_PER_DAY // 1_000_000), tz=UTC)
    return moment.year * 12 + moment.month - 1


class Tally:
    """Rollups of activity rows (store/ingest.py's insert tuples) not yet written."""

    def __init__(self, community_id: int) -> None:
        self.cid = community_id
        # member -> [contributions, posts, replies, comments, reactions,
        #            first activity, last activity, first contribution, last contribution]
        self.stats: dict[int, list[Any]] = {}
        self.days: dict[tuple[int, int], list[Any]] = {}  # (day, member) -> 5 counters, reads
        self.months: dict[tuple[int, int], int] = {}  # (member, month) -> contributions
        self.first_seen: dict[int, int] = {}  # member -> earliest instant, every kind
        self.contribution_days: set[int] = set()  # days whose packed contributors change
        self.members: set[int] = set()  # members whose monthly rows need their join month
        self._month_of: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self.first_seen or self.contribution_days or self.members)

    def add(
        self, rows: Iterable[tuple[Any, ...]], *, member: int, kind: int, at: int, extra: int
    ) -> None:
        """Count rows given as tuples, with the places of their member id, kind, instant (micros) and
        JSON extra. (One pass, locals only: about 3 us a row.)"""
        stats, days, first_seen, slots = self.stats, self.days, self.first_seen, _DAY_SLOTS
        contributed: list[tuple[int, int, list[Any], str | None]] = []
        for member_id, what, moment, text in map(itemgetter(member, kind, at, extra), rows):
            seen = first_seen.get(member_id)
            if seen is None or moment < seen:
                first_seen[member_id] = moment
            counted = slots.get(what)
            if counted is None:
                if (
                    what not in _NOT_STATS
                ):  # a kind counted in no column, but an activity all the same
                    self._widen(member_id, moment)
                continue
            stat = stats.get(member_id)
            if stat is None:
                stat = stats[member_id] = [0, 0, 0, 0, 0, moment, moment, None, None]
            elif moment < stat[5]:
                stat[5] = moment
            elif moment > stat[6]:
                stat[6] = moment
            day = moment // MICROS_PER_DAY
            counts = days.get((day, member_id))
            if counts is None:
                counts = days[(day, member_id)] = [0, 0, 0, 0, 0, None]
            for slot in counted:
                stat[slot] += 1
                counts[slot] += 1
            if counted[0] == 0:
                if stat[7] is None or moment < stat[7]:
                    stat[7] = moment
                if stat[8] is None or moment > stat[8]:
                    stat[8] = moment
                contributed.append((member_id, day, counts, text))
        self._add_contributions(contributed)

    def _widen(self, member_id: int, moment: int) -> None:
        stat = self.stats.get(member_id)
        if stat is None:
            self.stats[member_id] = [0, 0, 0, 0, 0, moment, moment, None, None]
        else:
            stat[5], stat[6] = min(stat[5], moment), max(stat[6], moment)

    def _add_contributions(self, contributed: list[tuple[int, int, list[Any], str | None]]) -> None:
        """Months and read counts of the contributions, and the days they touch."""
        months, month_of = self.months, self._month_of
        for member_id, day, counts, text in contributed:
            if text is not None and _READS in text:
                reads = reads_of(json.loads(text))
                if reads is not None:
                    counts[5] = reads if counts[5] is None else counts[5] + reads
            month = month_of.get(day)
            if month is None:
                month = month_of[day] = month_of_day(day)
            key = (member_id, month)
            months[key] = months.get(key, 0) + 1
        self.contribution_days.update(day for _m, day, _c, _t in contributed)

    def write_some(self, conn: Connection) -> None:
        """Write what holds enough entries to be worth it (memory stays bounded)."""
        if len(self.days) >= FLUSH_DAYS:
            self._write_days(conn)
        if len(self.stats) >= FLUSH_MEMBERS or len(self.first_seen) >= FLUSH_MEMBERS:
            self._write_members(conn)
        if len(self.months) >= FLUSH_MEMBERS:
            self._write_months(conn)

    def write(self, conn: Connection) -> None:
        """Add what is counted to member_stats, member_days and member_months, and move the first-seen
        join dates; then forget it (the days and members touched are kept for `finish`)."""
        self._write_days(conn)
        self._write_members(conn)
        self._write_months(conn)

    def _write_days(self, conn: Connection) -> None:
        if self.days:
            _write_days(conn, self.cid, self.days)
        self.days = {}

    def _write_members(self, conn: Connection) -> None:
        if self.stats:
            _write_stats(conn, self.cid, self.stats)
        if self.first_seen:
            _write_first_seen(conn, self.first_seen)
            self.members.update(self.first_seen)
        self.stats, self.first_seen = {}, {}

    def _write_months(self, conn: Connection) -> None:
        if self.months:
            _write_months(conn, self.cid, self.months)
        self.months = {}

    def finish(self, conn: Connection, *, days_per_query: int) -> None:
        """Write the rest, then what depends on everything written: the packed contributors of the days
        touched (from member_days) and the join month on the members' monthly rows."""
        self.write(conn)
        refresh_days(conn, self.cid, self.contribution_days, per_query=days_per_query)
        sync_join_months(conn, self.cid, sorted(self.members))
        self.contribution_days, self.members = set(), set()


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


def _write_days(conn: Connection, cid: int, days: dict[tuple[int, int], list[Any]]) -> None:
    _upsert(
        conn,
        "member_days",
        ("community_id", "day", "member_id", *DAY_COUNTERS, "reads"),
        [(cid, day, member_id, *values) for (day, member_id), values in days.items()],
        "ON CONFLICT (community_id, day, member_id) DO UPDATE SET "
        + ", ".join(f"{name} = member_days.{name} + excluded.{name}" for name in DAY_COUNTERS)
        + ", reads = CASE WHEN member_days.reads IS NULL THEN excluded.reads "
        "WHEN excluded.reads IS NULL THEN member_days.reads "
        "ELSE member_days.reads + excluded.reads END",
    )


def _write_months(conn: Connection, cid: int, months: dict[tuple[int, int], int]) -> None:
    """join_month is left to `Tally.finish`: the members' join dates may still move."""
    _upsert(
        conn,
        "member_months",
        ("community_id", "member_id", "month", "contributions"),
        [(cid, member_id, month, n) for (member_id, month), n in months.items()],
        "ON CONFLICT (community_id, member_id, month) DO UPDATE SET "
        "contributions = member_months.contributions + excluded.contributions",
    )


def _write_first_seen(conn: Connection, first_seen: dict[int, int]) -> None:
    """A member without a platform join date joined at their first activity (store/ingest.py's
    `_update_member_dates`, row by row; on PostgreSQL from a staging table)."""
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
