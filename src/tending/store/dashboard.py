"""Read-only queries behind the dashboard pages, answered from rollups and indexes.

Counting "per local day" must follow the community's time zone, including offsets of 30 or 45 minutes and
daylight saving changes, while SQL stays the same on SQLite and PostgreSQL: the queries count per 15-minute
bucket of UTC (every real-world UTC offset is a multiple of 15 minutes) and Python folds the buckets into
local days. A 90-day chart is at most 8,640 small rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)

from tending.models import CONTRIBUTION_KINDS, AuditEvent, BriefMessage, TimelineEntry
from tending.store.schema import (
    activities,
    audit_events,
    channels,
    identities,
    member_stats,
    member_tags,
    members,
    threads,
)
from tending.timeutil import from_micros

BUCKET_MICROS = 15 * 60 * 1_000_000


def _micros(column: Any) -> ColumnElement[int]:
    return type_coerce(column, BigInteger)


def get_data_stamp(conn: Connection) -> tuple[int, int, int]:
    """Changes whenever activities, members or audited state change: the key of cached figures."""
    return (
        int(conn.execute(select(func.coalesce(func.max(activities.c.id), 0))).scalar_one()),
        int(conn.execute(select(func.coalesce(func.max(members.c.id), 0))).scalar_one()),
        int(conn.execute(select(func.coalesce(func.max(audit_events.c.id), 0))).scalar_one()),
    )


def _local_days(rows: Sequence[Any], zone: ZoneInfo) -> Counter[date]:
    days: Counter[date] = Counter()
    for bucket, count in rows:
        days[from_micros(int(bucket) * BUCKET_MICROS).astimezone(zone).date()] += int(count)
    return days


# -- overview -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberCounts:
    total: int  # people, neither bots nor merged into another member
    staff: int
    bots: int
    left: int
    contributors: int  # have contributed at least once


def get_member_counts(conn: Connection, community_id: int) -> MemberCounts:
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((members.c.is_staff, 1), else_=0)), 0),
            func.coalesce(func.sum(case((members.c.is_bot, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((members.c.left_at.is_not(None) & ~members.c.is_bot, 1), else_=0)), 0
            ),
        ).where(members.c.community_id == community_id, members.c.merged_into.is_(None))
    ).one()
    contributors = conn.execute(
        select(func.count())
        .select_from(member_stats.join(members, members.c.id == member_stats.c.member_id))
        .where(
            member_stats.c.community_id == community_id,
            member_stats.c.contributions > 0,
            members.c.is_bot.is_(False),
            members.c.merged_into.is_(None),
        )
    ).scalar_one()
    total, staff, bots, left = (int(v) for v in row)
    return MemberCounts(
        total=total - bots, staff=staff, bots=bots, left=left, contributors=int(contributors)
    )


def get_daily_activity(
    conn: Connection, community_id: int, *, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, Counter[date]]:
    """Contributions and reactions per local day in [start, end)."""
    bucket = _micros(activities.c.occurred_at) // BUCKET_MICROS
    rows = conn.execute(
        select(bucket, activities.c.kind, func.count())
        .where(
            activities.c.community_id == community_id,
            activities.c.occurred_at >= start,
            activities.c.occurred_at < end,
            activities.c.kind.in_(sorted(CONTRIBUTION_KINDS | {"reaction"})),
        )
        .group_by(bucket, activities.c.kind)
    ).all()
    contributions = _local_days([(b, n) for b, kind, n in rows if kind in CONTRIBUTION_KINDS], zone)
    reactions = _local_days([(b, n) for b, kind, n in rows if kind == "reaction"], zone)
    return {"contributions": contributions, "reactions": reactions}


def get_daily_joins(
    conn: Connection, community_id: int, *, start: datetime, end: datetime, zone: ZoneInfo
) -> Counter[date]:
    """Members (not bots) whose joined_at falls on each local day in [start, end)."""
    bucket = _micros(members.c.joined_at) // BUCKET_MICROS
    rows = conn.execute(
        select(bucket, func.count())
        .where(
            members.c.community_id == community_id,
            members.c.joined_at >= start,
            members.c.joined_at < end,
            members.c.is_bot.is_(False),
            members.c.merged_into.is_(None),
        )
        .group_by(bucket)
    ).all()
    return _local_days(rows, zone)


@dataclass(frozen=True, slots=True)
class Contributor:
    member_id: int
    name: str
    contributions: int
    last_contribution_at: datetime | None
    is_staff: bool


def get_top_contributors(
    conn: Connection, community_id: int, *, limit: int = 10
) -> list[Contributor]:
    rows = conn.execute(
        select(
            members.c.id,
            members.c.display_name,
            members.c.handle,
            members.c.external_id,
            members.c.is_staff,
            member_stats.c.contributions,
            member_stats.c.last_contribution_at,
        )
        .select_from(member_stats.join(members, members.c.id == member_stats.c.member_id))
        .where(
            member_stats.c.community_id == community_id,
            member_stats.c.contributions > 0,
            members.c.is_bot.is_(False),
        )
        .order_by(member_stats.c.contributions.desc(), members.c.id)
        .limit(limit)
    ).all()
    return [
        Contributor(
            member_id=r.id,
            name=display_name(r),
            contributions=r.contributions,
            last_contribution_at=r.last_contribution_at,
            is_staff=r.is_staff,
        )
        for r in rows
    ]


def display_name(row: Any) -> str:
    return str(row.display_name or row.handle or row.external_id)


# -- members list ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberFilter:
    """The dashboard's own filters. Who is inactive, in which state or segment is the members capability's
    question (tending.store.members, tending.actions.members): see tending.web.member_lists."""

    search: str = ""
    tag: str = ""
    kind: str = "people"  # people (not bots), members (neither staff nor bots), staff, bots, all

    @property
    def narrows_people(self) -> bool:
        """True when the filter removes some non-bot members (the lifecycle lists never hold bots)."""
        return bool(self.search or self.tag or self.kind not in ("people", "all"))


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    name: str
    handle: str | None
    platform: str
    joined_at: datetime | None
    left_at: datetime | None
    last_contribution_at: datetime | None
    contributions: int
    is_staff: bool
    is_bot: bool
    do_not_contact: bool


def _member_conditions(community_id: int, wanted: MemberFilter) -> list[Any]:
    where: list[Any] = [members.c.community_id == community_id, members.c.merged_into.is_(None)]
    kinds = {
        "people": [members.c.is_bot.is_(False)],
        "members": [members.c.is_bot.is_(False), members.c.is_staff.is_(False)],
        "staff": [members.c.is_staff.is_(True)],
        "bots": [members.c.is_bot.is_(True)],
    }
    where += kinds.get(wanted.kind, [])
    if wanted.search:
        pattern = (
            "%"
            + wanted.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        # what the page shows: the display name, else the handle, else the platform's id
        where.append(
            or_(
                func.lower(members.c.display_name).like(pattern, escape="\\"),
                func.lower(members.c.handle).like(pattern, escape="\\"),
                and_(
                    members.c.display_name.is_(None),
                    members.c.handle.is_(None),
                    func.lower(members.c.external_id).like(pattern, escape="\\"),
                ),
            )
        )
    if wanted.tag:
        where.append(
            members.c.id.in_(
                select(member_tags.c.member_id).where(
                    member_tags.c.community_id == community_id, member_tags.c.tag == wanted.tag
                )
            )
        )
    return where


def _member_select(community_id: int, wanted: MemberFilter) -> Select[Any]:
    return (
        select(
            members.c.id,
            members.c.display_name,
            members.c.handle,
            members.c.external_id,
            members.c.platform,
            members.c.joined_at,
            members.c.left_at,
            members.c.is_staff,
            members.c.is_bot,
            members.c.do_not_contact,
            member_stats.c.last_contribution_at,
            func.coalesce(member_stats.c.contributions, 0).label("contributions"),
        )
        .select_from(members.outerjoin(member_stats, member_stats.c.member_id == members.c.id))
        .where(*_member_conditions(community_id, wanted))
    )


def _member_row(r: Any) -> MemberRow:
    return MemberRow(
        id=r.id,
        name=display_name(r),
        handle=r.handle,
        platform=r.platform,
        joined_at=r.joined_at,
        left_at=r.left_at,
        last_contribution_at=r.last_contribution_at,
        contributions=r.contributions,
        is_staff=r.is_staff,
        is_bot=r.is_bot,
        do_not_contact=r.do_not_contact,
    )


def count_members(conn: Connection, community_id: int, wanted: MemberFilter) -> int:
    query = (
        select(func.count()).select_from(members).where(*_member_conditions(community_id, wanted))
    )
    return int(conn.execute(query).scalar_one())


def get_members_page(
    conn: Connection, community_id: int, wanted: MemberFilter, *, offset: int, limit: int
) -> list[MemberRow]:
    """Newest members first (by join date, then id): the order of an index, so a page costs its rows."""
    query = (
        _member_select(community_id, wanted)
        .order_by(members.c.joined_at.desc().nulls_last(), members.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_member_row(r) for r in conn.execute(query)]


def get_matching_ids(conn: Connection, community_id: int, wanted: MemberFilter) -> set[int]:
    """The ids of every member the dashboard's own filters keep (to intersect with a lifecycle list)."""
    query = select(members.c.id).where(*_member_conditions(community_id, wanted))
    return {member_id for (member_id,) in conn.execute(query)}


def get_member_rows_by_ids(
    conn: Connection, community_id: int, member_ids: Sequence[int]
) -> list[MemberRow]:
    """The rows of these members, in the order given (ids not found are left out)."""
    found: dict[int, MemberRow] = {}
    for start in range(0, len(member_ids), 500):
        chunk = list(member_ids[start : start + 500])
        query = _member_select(community_id, MemberFilter(kind="all")).where(
            members.c.id.in_(chunk)
        )
        found.update((r.id, _member_row(r)) for r in conn.execute(query))
    return [found[i] for i in member_ids if i in found]


def iter_members(
    conn: Connection, community_id: int, wanted: MemberFilter, *, batch: int = 5000
) -> Any:
    """Every member matching the filter, by id, in batches (for the CSV export)."""
    after = 0
    while True:
        query = (
            _member_select(community_id, wanted)
            .where(members.c.id > after)
            .order_by(members.c.id)
            .limit(batch)
        )
        rows = [_member_row(r) for r in conn.execute(query)]
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def get_tags(conn: Connection, community_id: int) -> list[str]:
    return [
        tag
        for (tag,) in conn.execute(
            select(member_tags.c.tag)
            .where(member_tags.c.community_id == community_id)
            .distinct()
            .order_by(member_tags.c.tag)
        )
    ]


# -- one member -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberDetail:
    row: MemberRow
    external_id: str
    language: str | None
    joined_at_exact: bool
    notes: str | None
    tags: list[str]
    first_activity_at: datetime | None
    last_activity_at: datetime | None
    counts: dict[str, int]


def get_member_detail(conn: Connection, community_id: int, member_id: int) -> MemberDetail | None:
    r = conn.execute(
        select(
            members,
            member_stats.c.first_activity_at,
            member_stats.c.last_activity_at,
            member_stats.c.last_contribution_at,
            member_stats.c.contributions,
            member_stats.c.posts,
            member_stats.c.replies,
            member_stats.c.comments,
            member_stats.c.reactions,
        )
        .select_from(members.outerjoin(member_stats, member_stats.c.member_id == members.c.id))
        .where(members.c.community_id == community_id, members.c.id == member_id)
    ).first()
    if r is None:
        return None
    tags = [
        t
        for (t,) in conn.execute(
            select(member_tags.c.tag)
            .where(member_tags.c.community_id == community_id, member_tags.c.member_id == member_id)
            .order_by(member_tags.c.tag)
        )
    ]
    counts = {
        k: int(getattr(r, k) or 0)
        for k in ("contributions", "posts", "replies", "comments", "reactions")
    }
    row = MemberRow(
        id=r.id,
        name=display_name(r),
        handle=r.handle,
        platform=r.platform,
        joined_at=r.joined_at,
        left_at=r.left_at,
        last_contribution_at=r.last_contribution_at,
        contributions=counts["contributions"],
        is_staff=r.is_staff,
        is_bot=r.is_bot,
        do_not_contact=r.do_not_contact,
    )
    return MemberDetail(
        row=row,
        external_id=r.external_id,
        language=r.language,
        joined_at_exact=r.joined_at_exact,
        notes=r.notes,
        tags=tags,
        first_activity_at=r.first_activity_at,
        last_activity_at=r.last_activity_at,
        counts=counts,
    )


def get_identities(conn: Connection, community_id: int, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(identities.c.platform, identities.c.external_id, identities.c.handle)
        .where(identities.c.community_id == community_id, identities.c.member_id == member_id)
        .order_by(identities.c.id)
    )
    return [dict(r._mapping) for r in rows]


def get_timeline(
    conn: Connection,
    community_id: int,
    member_id: int,
    *,
    before: datetime | None = None,
    limit: int = 50,
    kinds: Sequence[str] | None = None,
) -> list[TimelineEntry]:
    """The member's activities (of these kinds), newest first, with the thread's title and the channel's name.
    Messages tending sent them are `message_sent` entries (written by the outbox when a message goes out)."""
    query = (
        select(
            activities.c.id,
            activities.c.kind,
            activities.c.occurred_at,
            activities.c.text,
            activities.c.url,
            threads.c.title.label("thread_title"),
            channels.c.name.label("channel_name"),
        )
        .select_from(
            activities.outerjoin(threads, threads.c.id == activities.c.thread_id).outerjoin(
                channels, channels.c.id == activities.c.channel_id
            )
        )
        .where(activities.c.community_id == community_id, activities.c.member_id == member_id)
    )
    if before is not None:
        query = query.where(activities.c.occurred_at < before)
    if kinds is not None:
        query = query.where(activities.c.kind.in_(list(kinds)))
    query = query.order_by(activities.c.occurred_at.desc(), activities.c.id.desc()).limit(limit)
    return [TimelineEntry(**r._mapping) for r in conn.execute(query)]


def get_member_events(
    conn: Connection, community_id: int, member_id: int, *, limit: int = 20
) -> list[AuditEvent]:
    query = (
        select(audit_events)
        .where(audit_events.c.community_id == community_id, audit_events.c.member_id == member_id)
        .order_by(audit_events.c.occurred_at.desc(), audit_events.c.id.desc())
        .limit(limit)
    )
    return [AuditEvent(**r._mapping) for r in conn.execute(query)]


def get_member_id_exists(conn: Connection, community_id: int, member_id: int) -> bool:
    return (
        conn.execute(
            select(members.c.id).where(
                and_(members.c.community_id == community_id, members.c.id == member_id)
            )
        ).first()
        is not None
    )


def get_last_activity_at(conn: Connection, community_id: int) -> datetime | None:
    value = conn.execute(
        select(func.max(_micros(activities.c.occurred_at))).where(
            activities.c.community_id == community_id
        )
    ).scalar()
    return None if value is None else from_micros(int(value))


def analyze_if_never_analyzed(conn: Connection) -> bool:
    """SQLite plans badly without statistics (it takes community_id = ? as selective, while a database often
    holds one community): gather them once, and let `PRAGMA optimize` refresh them (sqlite.org/lang_analyze.html).
    PostgreSQL's autovacuum does this by itself. Returns True when statistics were gathered now."""
    if conn.dialect.name != "sqlite":
        return False
    has_stats = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ).first()
    if has_stats is None:
        conn.exec_driver_sql("ANALYZE")
        return True
    conn.exec_driver_sql("PRAGMA optimize")
    return False


def get_thread_titles(
    conn: Connection, community_id: int, thread_ids: Sequence[int]
) -> dict[int, str | None]:
    if not thread_ids:
        return {}
    rows = conn.execute(
        select(threads.c.id, threads.c.title).where(
            threads.c.community_id == community_id, threads.c.id.in_(list(thread_ids))
        )
    )
    return {int(i): t for i, t in rows}


def get_activities_brief(
    conn: Connection, community_id: int, activity_ids: Sequence[int]
) -> list[BriefMessage]:
    """Messages named by id (an alert's evidence): author, instant, kind, text, thread title."""
    if not activity_ids:
        return []
    query = (
        select(
            activities.c.id,
            activities.c.member_id,
            activities.c.kind,
            activities.c.occurred_at,
            activities.c.text,
            threads.c.title.label("thread_title"),
            members.c.display_name,
            members.c.handle,
            members.c.external_id,
        )
        .select_from(
            activities.outerjoin(threads, threads.c.id == activities.c.thread_id).outerjoin(
                members, members.c.id == activities.c.member_id
            )
        )
        .where(activities.c.community_id == community_id, activities.c.id.in_(list(activity_ids)))
        .order_by(activities.c.occurred_at, activities.c.id)
    )
    return [
        BriefMessage(
            id=r.id,
            member_id=r.member_id,
            kind=r.kind,
            occurred_at=r.occurred_at,
            text=r.text,
            thread_title=r.thread_title,
            name=display_name(r),
        )
        for r in conn.execute(query)
    ]


def get_do_not_contact_ids(conn: Connection, community_id: int) -> set[int]:
    return {
        member_id
        for (member_id,) in conn.execute(
            select(members.c.id).where(
                members.c.community_id == community_id, members.c.do_not_contact.is_(True)
            )
        )
    }


def get_member_names(
    conn: Connection, community_id: int, member_ids: Sequence[int]
) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(member_ids), 500):
        chunk = list(member_ids[start : start + 500])
        rows = conn.execute(
            select(
                members.c.id, members.c.display_name, members.c.handle, members.c.external_id
            ).where(members.c.community_id == community_id, members.c.id.in_(chunk))
        )
        names.update((r.id, display_name(r)) for r in rows)
    return names
