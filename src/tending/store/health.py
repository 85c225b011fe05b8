"""The health report's SQL: every figure as of an instant T over the window (T - W days, T].

Nothing after T counts. The rollups (store/rollups.py) hold whole UTC days and months; the window's two
partial days at its ends are read from the raw activities, so figures are exact to the microsecond while the
bulk of the window is read from one row per member and day. Definitions: docs/health.md.

Portable SQL for SQLite and PostgreSQL: instants are BIGINT microseconds, so days are integer divisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    text,
)

from tending.lib.health import gini_from_ranks, mean, median, segments_from_counts, share
from tending.lib.periods import Window as Window  # where the health functions' callers found it
from tending.lib.periods import month_label, month_of, month_start_micros
from tending.lib.periods import window_of as window_of
from tending.models import (
    Community,
    Funnel,
    HealthMemberCounts,
    HealthReport,
    RetentionCohort,
    TrendDay,
)
from tending.store import contributor_days
from tending.store.listening import outside_report
from tending.store.rollups import reads_of
from tending.store.schema import Key, Timestamp, activities, community_fk, metadata
from tending.timeutil import MICROS_PER_DAY, from_micros, isoformat_utc, to_micros

MICROS_PER_HOUR = 3_600_000_000
CONTRIBUTION_SQL = "('post', 'reply', 'comment')"
RESPONSE_SQL = "('reply', 'comment')"
RETENTION_COHORTS = 12  # join months shown in the retention table
FUNNEL_COHORTS = 12  # join months in the funnel, all with their first six months complete
REGULAR_MONTHS = 3  # active in at least 3 ...
REGULAR_SPAN = 6  # ... of their first 6 months (the join month and the five after it)

message_scores = Table(
    "message_scores",
    metadata,
    Column("activity_id", Key, primary_key=True),
    community_fk(),
    Column("occurred_at", Timestamp, nullable=False),
    Column("thread_id", Key),
    Column("member_id", Key, nullable=False),
    Column("sentiment", Float),  # VADER-style compound score in [-1, 1]
    Column("negative", Boolean, nullable=False),
    Column("toxic", Boolean),  # None: no toxicity model available when scored
    Column("off_topic", Boolean),  # None: no off-topic model available when scored
    Column("flags", Integer, nullable=False, default=0),
    Column("scorer", String(40), nullable=False),
    Index(None, "community_id", "occurred_at"),
)


# -- the pieces ---------------------------------------------------------------------------------------


def member_counts(conn: Connection, cid: int, w: Window) -> HealthMemberCounts:
    row = conn.execute(
        text(
            "SELECT "
            "SUM(CASE WHEN (joined_at IS NULL OR joined_at <= :t) AND (left_at IS NULL OR left_at > :t) "
            "THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN joined_at > :s AND joined_at <= :t THEN 1 ELSE 0 END) "
            "FROM members WHERE community_id = :c AND NOT is_bot AND merged_into IS NULL"
        ),
        {"c": cid, "s": w.start, "t": w.end},
    ).one()
    left = conn.execute(
        text(
            "SELECT COUNT(*) FROM members WHERE community_id = :c AND left_at > :s AND left_at <= :t "
            "AND NOT is_bot AND merged_into IS NULL"
        ),
        {"c": cid, "s": w.start, "t": w.end},
    ).scalar_one()
    return {
        "members_total": int(row[0] or 0),
        "new_members": int(row[1] or 0),
        "members_left": int(left),
    }


@dataclass(frozen=True)
class Participation:
    """The window's contributors, aggregated in SQL (no per-member row leaves the database)."""

    active: int  # distinct non-bot contributors in the window
    contributions: int  # their contributions
    present: int  # those of them still members at T
    present_contributions: int
    rank_weighted: (
        int  # sum over present contributors of rank * contributions, ranks ascending from 1
    )
    core: int  # the smallest set of present members making at least half of their contributions
    core_in_funnel: int  # core members who joined in the funnel's cohorts


def funnel_months(as_of_micros: int) -> tuple[int, int]:
    """Join months [first, last) of the funnel: the 12 months whose first six months ended before T's."""
    last = month_of(as_of_micros) - REGULAR_SPAN + 1
    return last - FUNNEL_COHORTS, last


def participation(conn: Connection, cid: int, w: Window, special: SpecialMembers) -> Participation:
    """Contributors of the window: their counts from the packed days of contributor_days (about one row
    per day of the window; the partial days at both ends from the activities), then the few members to
    leave out or set apart, by index ranges of members; numpy ranks them for Gini and the core (ties
    broken by member id). Before, SQL grouped the window's member_days rows by member and joined each
    contributor to members: 0.8 s of the report's 3.3 s on 1,000,000 members (benchmarks/health_speed.py).

    Left out everywhere: bots and merged members. `present`: still members at T (joined at or before T,
    not left at or before T). `core_in_funnel`: core members who joined in the funnel's cohorts."""
    ids, counts = contributor_days.window_counts(conn, cid, start=w.start, end=w.end)
    kept = ~np.isin(ids, np.fromiter(special.bots | special.merged, dtype=np.int64))
    ids, counts = ids[kept], counts[kept]
    gone = contributor_days.fetch_ids(
        conn,
        "SELECT id FROM members WHERE community_id = :c AND joined_at > :t "
        "UNION ALL SELECT id FROM members WHERE community_id = :c AND left_at <= :t",
        {"c": cid, "t": w.end},
    )
    first, last = funnel_months(w.end)
    cohorts = contributor_days.fetch_ids(
        conn,
        "SELECT id FROM members WHERE community_id = :c AND joined_at >= :flo AND joined_at < :fhi",
        {"c": cid, "flo": month_start_micros(first), "fhi": month_start_micros(last)},
    )
    here = ~np.isin(ids, gone)
    p_ids, p_counts = ids[here], counts[here]
    p_funnel = np.isin(p_ids, cohorts)
    total = int(p_counts.sum())
    ascending = np.sort(p_counts)
    rank_weighted = int(np.dot(np.arange(1, len(ascending) + 1, dtype=np.int64), ascending))
    order = np.lexsort((p_ids, -p_counts))  # most contributions first, then lowest id
    running = np.cumsum(p_counts[order])
    # the core ends with the first member whose running total reaches half of all contributions
    core = int(np.searchsorted(2 * running, total, side="left")) + 1 if total else 0
    return Participation(
        active=len(ids),
        contributions=int(counts.sum()),
        present=len(p_ids),
        present_contributions=total,
        rank_weighted=rank_weighted,
        core=core,
        core_in_funnel=int(p_funnel[order[:core]].sum()),
    )


@dataclass(frozen=True)
class SpecialMembers:
    """Bots, staff and merged members: a handful of rows, read from the partial index ix_members_special."""

    bots: frozenset[int]
    staff: frozenset[int]
    merged: frozenset[int]

    @property
    def excluded(self) -> list[int]:
        """Left out of contributor counts: bots and members merged into another."""
        return sorted(self.bots | self.merged)


def special_members(conn: Connection, cid: int) -> SpecialMembers:
    bots, staff, merged = set(), set(), set()
    for member, bot, is_staff, merged_into in conn.execute(
        text(
            "SELECT id, is_bot, is_staff, merged_into FROM members WHERE community_id = :c "
            "AND (is_bot OR is_staff OR merged_into IS NOT NULL)"
        ),
        {"c": cid},
    ):
        if bot:
            bots.add(int(member))
        if is_staff:
            staff.add(int(member))
        if merged_into is not None:
            merged.add(int(member))
    return SpecialMembers(frozenset(bots), frozenset(staff), frozenset(merged))


def daily_contributors_and_reads(
    conn: Connection, cid: int, w: Window, excluded: list[int]
) -> tuple[list[int], int | None]:
    """Distinct contributors on each whole UTC day of the window (days without any count as 0), and the
    reads of the messages written in the window, when the export carries them (Discourse: post reads).
    One scan of the window's member_days; the partial days' reads come from the raw activities."""
    daily: list[int] = []
    reads: int | None = None
    if w.has_full_days:
        query = text(
            "SELECT day, SUM(CASE WHEN contributions > 0 AND member_id NOT IN :excluded THEN 1 ELSE 0 END), "
            "SUM(reads) FROM member_days WHERE community_id = :c AND day >= :lo AND day <= :hi GROUP BY day"
        ).bindparams(bindparam("excluded", expanding=True))
        found: dict[int, int] = {}
        for day, n, day_reads in conn.execute(
            query,
            {"c": cid, "lo": w.first_full_day, "hi": w.last_full_day, "excluded": excluded or [-1]},
        ):
            found[int(day)] = int(n)
            if day_reads is not None:
                reads = (reads or 0) + int(day_reads)
        daily = [found.get(day, 0) for day in range(w.first_full_day, w.last_full_day + 1)]
    for low, high in w.raw_ranges():
        rows = conn.execute(
            activities.select()
            .with_only_columns(activities.c.extra)
            .where(
                activities.c.community_id == cid,
                activities.c.occurred_at >= from_micros(low),
                activities.c.occurred_at <= from_micros(high),
                activities.c.kind.in_(("post", "reply", "comment")),
                activities.c.extra.is_not(None),
            )
        )
        for (extra,) in rows:
            value = reads_of(extra)
            if value is not None:
                reads = (reads or 0) + value
    return daily, reads


def activation(conn: Connection, cid: int, w: Window, days: int) -> tuple[int, int]:
    """(cohort size, activated): members who joined in the window shifted back `days` days, and those of
    them whose first contribution came at most `days` days after joining."""
    shift = days * MICROS_PER_DAY
    row = conn.execute(
        text(
            # a lookup of member_stats per cohort member (tens of thousands), not a join planned as a scan of
            # every member's stats
            "SELECT COUNT(*), SUM(CASE WHEN (SELECT s.first_contribution_at FROM member_stats s "
            "WHERE s.member_id = m.id) <= m.joined_at + :k THEN 1 ELSE 0 END) "
            "FROM members m WHERE m.community_id = :c AND m.joined_at > :lo AND m.joined_at <= :hi "
            "AND NOT m.is_bot AND m.merged_into IS NULL"
        ),
        {"c": cid, "k": shift, "lo": w.start - shift, "hi": w.end - shift},
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


@dataclass(frozen=True)
class ThreadStart:
    thread_id: int
    started_at: int
    started_by: int | None
    starter_is_staff: bool | None
    first_response_at: int | None


def threads_started(
    conn: Connection,
    cid: int,
    low: int,
    high: int,
    *,
    until: int,
    special: SpecialMembers | None = None,
) -> list[ThreadStart]:
    """Threads whose first post lies in (low, high] and was not written by a bot, with the first reply or
    comment by another human (not the author, not a bot) at or before `until`.

    The first response walks the thread's index in time order and stops at the first match (ORDER BY ...
    LIMIT 1), usually the first or second message, instead of reading the whole thread; bots and staff come
    from the special members, so no member row is read per thread or reply."""
    special = special or special_members(conn, cid)
    query = text(
        "SELECT t.id, t.started_at, t.started_by, "
        "(SELECT a.occurred_at FROM activities a "
        " WHERE a.community_id = :c AND a.thread_id = t.id AND a.occurred_at <= :u "
        f" AND a.kind IN {RESPONSE_SQL} AND (t.started_by IS NULL OR a.member_id <> t.started_by) "
        " AND a.member_id NOT IN :bots ORDER BY a.occurred_at LIMIT 1) "
        "FROM threads t WHERE t.community_id = :c AND t.started_at > :lo AND t.started_at <= :hi"
    ).bindparams(bindparam("bots", expanding=True))
    rows = conn.execute(
        query, {"c": cid, "lo": low, "hi": high, "u": until, "bots": sorted(special.bots) or [-1]}
    )
    out = []
    for tid, at, by, first in rows:
        if by is not None and int(by) in special.bots:
            continue
        out.append(
            ThreadStart(
                int(tid),
                int(at),
                None if by is None else int(by),
                None if by is None else int(by) in special.staff,
                None if first is None else int(first),
            )
        )
    return out


def cohort_sizes(conn: Connection, cid: int, first: int, last: int) -> dict[int, int]:
    """Join month -> members (not bots, not merged) who joined that UTC month, for months first..last-1:
    one count over a range of the narrow index ix_members_present per month."""
    sizes = {}
    for month in range(first, last):
        sizes[month] = int(
            conn.execute(
                text(
                    "SELECT COUNT(*) FROM members m WHERE m.community_id = :c AND m.joined_at >= :lo "
                    "AND m.joined_at < :hi AND NOT m.is_bot AND m.merged_into IS NULL"
                ),
                {"c": cid, "lo": month_start_micros(month), "hi": month_start_micros(month + 1)},
            ).scalar_one()
        )
    return sizes


def _months_query(sql: str) -> Any:
    return text(sql).bindparams(bindparam("excluded", expanding=True))


def retention(
    conn: Connection, cid: int, as_of_micros: int, *, sizes: dict[int, int], excluded: list[int]
) -> list[RetentionCohort]:
    """Per join month (the 12 whole months before T's month): cohort size and, for the join month and
    each following whole month before T's month, the share of the cohort who contributed in it.
    One range of member_months by (join_month, month): no seek per member."""
    current = month_of(as_of_micros)
    first = current - RETENTION_COHORTS
    active = {
        (int(jm), int(month)): int(n)
        for jm, month, n in conn.execute(
            _months_query(
                "SELECT join_month, month, COUNT(*) FROM member_months WHERE community_id = :c "
                "AND join_month >= :first AND join_month < :cur AND month >= join_month AND month < :cur "
                "AND member_id NOT IN :excluded GROUP BY join_month, month"
            ),
            {"c": cid, "first": first, "cur": current, "excluded": excluded or [-1]},
        )
    }
    table: list[RetentionCohort] = []
    for cohort in range(first, current):
        size = sizes.get(cohort, 0)
        table.append(
            {
                "cohort": month_label(cohort),
                "members": size,
                "months": [share(active.get((cohort, m), 0), size) for m in range(cohort, current)],
            }
        )
    return table


def funnel(
    conn: Connection,
    cid: int,
    as_of_micros: int,
    *,
    sizes: dict[int, int],
    excluded: list[int],
    core: int,
) -> Funnel:
    """Members who joined in the 12 months whose first six months are all complete before T's month:
    joined -> made a first contribution (by T) -> regular (active in 3 of their first 6 months) -> core
    (`core`: how many of them are in the window's core, counted by participation())."""
    current = month_of(as_of_micros)
    first, last = funnel_months(as_of_micros)
    params = {
        "c": cid,
        "first": first,
        "last": last,
        "cur": current,
        "excluded": excluded or [-1],
        "span": REGULAR_SPAN - 1,
        "need": REGULAR_MONTHS,
        "cur_start": month_start_micros(current),
        "t": as_of_micros,
    }
    joined = sum(sizes.get(month, 0) for month in range(first, last))
    # one pass over the cohorts' monthly rows, member by member (the index streams them in that order):
    # who contributed in a whole month before T's, and in how many of their first six months
    earlier, regular = conn.execute(
        _months_query(
            "SELECT COUNT(*), SUM(CASE WHEN k >= :need THEN 1 ELSE 0 END) FROM ("
            "SELECT join_month, member_id, SUM(CASE WHEN month >= join_month AND month <= join_month + :span "
            "THEN 1 ELSE 0 END) AS k FROM member_months WHERE community_id = :c AND join_month >= :first "
            "AND join_month < :last AND month < :cur AND member_id NOT IN :excluded "
            "GROUP BY join_month, member_id) r"
        ),
        params,
    ).one()
    # and those whose first contribution came in T's month, by T
    this_month = conn.execute(
        _months_query(
            "SELECT COUNT(*) FROM member_months mm JOIN member_stats s ON s.member_id = mm.member_id "
            "WHERE mm.community_id = :c AND mm.join_month >= :first AND mm.join_month < :last AND mm.month = :cur "
            "AND s.first_contribution_at >= :cur_start AND s.first_contribution_at <= :t "
            "AND mm.member_id NOT IN :excluded"
        ),
        params,
    ).scalar_one()
    first_contribution = int(earlier or 0) + int(this_month)
    regulars = int(regular or 0)
    return {
        "cohorts": [month_label(first), month_label(last - 1)],
        "joined": joined,
        "first_contribution": first_contribution,
        "regular": regulars,
        "core": core,
        "shares": {
            "joined": share(joined, joined),
            "first_contribution": share(first_contribution, joined),
            "regular": share(regulars, joined),
            "core": share(core, joined),
        },
    }


def trends(conn: Connection, cid: int, w: Window) -> list[TrendDay]:
    """Per UTC day of the window: messages scored, mean sentiment, negative / toxic / off-topic shares."""
    rows = conn.execute(
        text(
            f"SELECT occurred_at / {MICROS_PER_DAY} AS day, COUNT(*), AVG(sentiment), "
            "SUM(CASE WHEN negative THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN toxic THEN 1 ELSE 0 END), COUNT(toxic), "
            "SUM(CASE WHEN off_topic THEN 1 ELSE 0 END), COUNT(off_topic), SUM(flags) "
            "FROM message_scores WHERE community_id = :c AND occurred_at > :s AND occurred_at <= :t "
            f"GROUP BY occurred_at / {MICROS_PER_DAY} ORDER BY 1"
        ),
        {"c": cid, "s": w.start, "t": w.end},
    )
    out: list[TrendDay] = []
    for day, n, sentiment, negative, toxic, toxic_n, off, off_n, flags in rows:
        out.append(
            {
                "day": from_micros(int(day) * MICROS_PER_DAY).date().isoformat(),
                "messages": int(n),
                "sentiment_mean": None if sentiment is None else round(float(sentiment), 4),
                "negative_share": share(int(negative or 0), int(n)),
                "toxic_share": share(int(toxic or 0), int(toxic_n)),
                "off_topic_share": share(int(off or 0), int(off_n)),
                "flags": int(flags or 0),
            }
        )
    return out


# -- the report ---------------------------------------------------------------------------------------


def get_health_report(
    conn: Connection, community: Community, *, as_of: datetime, window_days: int = 28
) -> HealthReport:
    """The whole health report as of `as_of` (see docs/health.md for every key)."""
    w = window_of(as_of, window_days)
    cid = community.id
    if conn.dialect.name == "postgresql":
        # for this transaction only: JIT compiling costs more than these short scans gain from it (~0.2 s
        # per large query, measured), and the window's grouping fits in memory instead of spilling to disk
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    counts = member_counts(conn, cid, w)

    special = special_members(conn, cid)
    part = participation(conn, cid, w, special)
    daily, reads = daily_contributors_and_reads(conn, cid, w, special.excluded)
    daily_mean = mean(daily)
    cohort_7, activated_7 = activation(conn, cid, w, 7)
    cohort_30, activated_30 = activation(conn, cid, w, 30)

    started = threads_started(conn, cid, w.start, w.end, until=w.end, special=special)
    waits = [
        (t.first_response_at - t.started_at) / MICROS_PER_HOUR
        for t in started
        if t.first_response_at is not None
    ]
    known = [t for t in started if t.starter_is_staff is not None]

    population = counts["members_total"]
    segments = segments_from_counts(
        population=population, contributors=part.present, core=part.core
    )
    current = month_of(w.end)
    sizes = cohort_sizes(
        conn, cid, min(funnel_months(w.end)[0], current - RETENTION_COHORTS), current
    )
    return {
        "community": community.name,
        "as_of": isoformat_utc(as_of),
        "window_days": window_days,
        "window_start": isoformat_utc(from_micros(w.start)),
        **counts,
        "active_contributors": part.active,
        "contributions": part.contributions,
        "daily_contributors_mean": None if daily_mean is None else round(daily_mean, 4),
        "daily_to_monthly_contributors": (
            None if daily_mean is None or not part.active else round(daily_mean / part.active, 4)
        ),
        "reads": reads,
        "activation_rate_7d": share(activated_7, cohort_7),
        "activation_cohort_7d": cohort_7,
        "activation_rate_30d": share(activated_30, cohort_30),
        "activation_cohort_30d": cohort_30,
        "threads_started": len(started),
        "time_to_first_response_hours": {
            "median": _round(median(waits)),
            "mean": _round(mean(waits)),
            "answered": len(waits),
        },
        "unanswered_threads": len(started) - len(waits),
        "member_started_threads_share": share(
            sum(1 for t in known if not t.starter_is_staff), len(known)
        ),
        "gini": _round(
            gini_from_ranks(
                population=population,
                total=part.present_contributions,
                contributors=part.present,
                rank_weighted=part.rank_weighted,
            )
        ),
        "segments": segments.as_dict(),
        "retention": retention(conn, cid, w.end, sizes=sizes, excluded=special.excluded),
        "funnel": funnel(
            conn, cid, w.end, sizes=sizes, excluded=special.excluded, core=part.core_in_funnel
        ),
        "trends": trends(conn, cid, w),
        "outside": outside_report(conn, cid, start=from_micros(w.start), end=from_micros(w.end)),
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# -- series for alerts ----------------------------------------------------------------------------------


def daily_slices(
    conn: Connection, cid: int, *, as_of: datetime, days: int
) -> dict[str, list[float]]:
    """Per 24-hour slice ending at as_of (slice 0 is (T - 24h, T], slice 1 the day before, ...):
    contributions, scored messages, negative, toxic, flags. Lists are oldest first."""
    end = to_micros(as_of)
    start = end - days * MICROS_PER_DAY
    series: dict[str, list[float]] = {
        name: [0.0] * days for name in ("contributions", "scored", "negative", "toxic", "flags")
    }
    for index, n in conn.execute(
        text(
            f"SELECT (:t - occurred_at) / {MICROS_PER_DAY}, COUNT(*) FROM activities WHERE community_id = :c "
            f"AND occurred_at > :s AND occurred_at <= :t AND kind IN {CONTRIBUTION_SQL} GROUP BY 1"
        ),
        {"c": cid, "s": start, "t": end},
    ):
        series["contributions"][days - 1 - int(index)] = float(n)
    for index, n, negative, toxic, flags in conn.execute(
        text(
            f"SELECT (:t - occurred_at) / {MICROS_PER_DAY}, COUNT(*), SUM(CASE WHEN negative THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN toxic THEN 1 ELSE 0 END), SUM(flags) FROM message_scores WHERE community_id = :c "
            "AND occurred_at > :s AND occurred_at <= :t GROUP BY 1"
        ),
        {"c": cid, "s": start, "t": end},
    ):
        slot = days - 1 - int(index)
        series["scored"][slot] = float(n)
        series["negative"][slot] = float(negative or 0)
        series["toxic"][slot] = float(toxic or 0)
        series["flags"][slot] = float(flags or 0)
    return series


def recent_messages(
    conn: Connection, cid: int, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Contributions in (since, until] with their scores, oldest first (for heated threads and evidence)."""
    rows = conn.execute(
        text(
            "SELECT a.id, a.thread_id, a.member_id, a.kind, a.occurred_at, s.sentiment, s.negative, s.toxic, s.flags "
            "FROM activities a LEFT JOIN message_scores s ON s.activity_id = a.id "
            "WHERE a.community_id = :c AND a.occurred_at > :s AND a.occurred_at <= :t "
            f"AND a.kind IN {CONTRIBUTION_SQL} "
            "ORDER BY a.occurred_at, a.id"
        ),
        {"c": cid, "s": to_micros(since), "t": to_micros(until)},
    )
    return [
        {
            "id": int(r[0]),
            "thread_id": None if r[1] is None else int(r[1]),
            "member_id": int(r[2]),
            "kind": r[3],
            "occurred_at": int(r[4]),
            "sentiment": r[5],
            "negative": None if r[6] is None else bool(r[6]),
            "toxic": None if r[7] is None else bool(r[7]),
            "flags": int(r[8] or 0),
        }
        for r in rows
    ]


def unscored_messages(
    conn: Connection, cid: int, *, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """Contributions with text in (since, until] not scored yet, newest first."""
    rows = conn.execute(
        text(
            "SELECT a.id, a.thread_id, a.member_id, a.occurred_at, a.text, a.language, a.extra FROM activities a "
            "LEFT JOIN message_scores s ON s.activity_id = a.id "
            "WHERE a.community_id = :c AND a.occurred_at > :s AND a.occurred_at <= :t "
            f"AND a.kind IN {CONTRIBUTION_SQL} "
            "AND a.text IS NOT NULL AND s.activity_id IS NULL ORDER BY a.occurred_at DESC LIMIT :n"
        ),
        {"c": cid, "s": to_micros(since), "t": to_micros(until), "n": limit},
    )
    return [dict(row._mapping) for row in rows]


def insert_scores(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(message_scores.insert(), rows)


def staff_members(conn: Connection, cid: int) -> list[int]:
    return [
        int(x)
        for (x,) in conn.execute(
            text(
                "SELECT id FROM members WHERE community_id = :c AND is_staff AND NOT is_bot AND merged_into IS NULL "
                "AND NOT do_not_contact ORDER BY id"
            ),
            {"c": cid},
        )
    ]


def thread_titles(conn: Connection, cid: int, thread_ids: list[int]) -> dict[int, str | None]:
    if not thread_ids:
        return {}
    query = text("SELECT id, title FROM threads WHERE community_id = :c AND id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return {int(i): t for i, t in conn.execute(query, {"c": cid, "ids": thread_ids})}
