"""The overview: the community's figures and charts' series, as of now or, when the community has been
silent for more than 90 days (an old archive), as of its last activity, and said so.

The health figures (members, newcomers, contributors, activation, first responses, who starts the
conversations, the 90-9-1 segments, Gini, retention by join month) are the health capability's
(tending.store.health.get_health_report, docs/health.md); the series per local day and week add what it
does not answer (activity per day, new members per week; threads per week split with the health module's
own staff/bot rule). The web caches the result per community until the data changes
(get_data_stamp); the alerts are read fresh at each view, with the threads and messages behind them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tending.models import Alert, Community, HealthReport, OverviewAlert
from tending.store import dashboard
from tending.store.alerts import get_alerts as stored_alerts
from tending.store.dashboard import Contributor as Contributor
from tending.store.dashboard import MemberCounts as MemberCounts
from tending.store.dashboard import get_data_stamp as get_data_stamp
from tending.store.health import get_health_report, threads_started
from tending.timeutil import from_micros, local_midnight, to_micros

DAYS = 90
WEEKS = 26
RECENT_DAYS = 28


@dataclass(frozen=True, slots=True)
class OverviewData:
    today: date
    shifted: bool
    counts: MemberCounts
    days: list[date]
    contributions: list[int]
    reactions: list[int]
    weeks: list[date]
    joins: list[int]
    starts_members: list[int]
    starts_staff: list[int]
    top: list[Contributor]
    health: HealthReport  # tending.store.health.get_health_report as of the overview's instant


def _per_week(days: dict[date, int], weeks: list[date]) -> list[int]:
    totals = dict.fromkeys(weeks, 0)
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday] += count
    return [totals[w] for w in weeks]


def _thread_starts_per_week(
    conn: Connection,
    community: Community,
    weeks: list[date],
    *,
    end: datetime,
    as_of: datetime,
    zone: ZoneInfo,
) -> tuple[list[int], list[int]]:
    """Threads started per local week by members and by staff, as the health module counts them
    (store.health.threads_started: bots' threads left out, staff from the members' flags)."""
    low = to_micros(local_midnight(weeks[0], zone)) - 1  # threads_started takes (low, high]
    by_members: Counter[date] = Counter()
    by_staff: Counter[date] = Counter()
    for thread in threads_started(
        conn, community.id, low, to_micros(end) - 1, until=to_micros(as_of)
    ):
        if thread.starter_is_staff is None:
            continue
        day = from_micros(thread.started_at).astimezone(zone).date()
        (by_staff if thread.starter_is_staff else by_members)[day] += 1
    return _per_week(by_members, weeks), _per_week(by_staff, weeks)


def get_overview(conn: Connection, community: Community, *, now: datetime) -> OverviewData:
    zone = ZoneInfo(community.timezone)
    last = dashboard.get_last_activity_at(conn, community.id)
    shifted = last is not None and last < now - timedelta(days=DAYS)
    as_of = last if shifted and last is not None else now
    today = as_of.astimezone(zone).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    this_monday = today - timedelta(days=today.weekday())
    weeks = [this_monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    end = local_midnight(today + timedelta(days=1), zone)
    activity = dashboard.get_daily_activity(
        conn, community.id, start=local_midnight(days[0], zone), end=end, zone=zone
    )
    week_start = local_midnight(weeks[0], zone)
    joins = dashboard.get_daily_joins(conn, community.id, start=week_start, end=end, zone=zone)
    by_members, by_staff = _thread_starts_per_week(
        conn, community, weeks, end=end, as_of=as_of, zone=zone
    )
    return OverviewData(
        today=today,
        shifted=shifted,
        counts=dashboard.get_member_counts(conn, community.id),
        days=days,
        contributions=[activity["contributions"][d] for d in days],
        reactions=[activity["reactions"][d] for d in days],
        weeks=weeks,
        joins=_per_week(joins, weeks),
        starts_members=by_members,
        starts_staff=by_staff,
        top=dashboard.get_top_contributors(conn, community.id),
        health=get_health_report(conn, community, as_of=as_of, window_days=RECENT_DAYS),
    )


def get_overview_alerts(
    conn: Connection, community: Community, *, limit: int = 10
) -> list[OverviewAlert]:
    """The newest alerts (tending.store.alerts), each with its threads' titles and its messages."""
    alerts = stored_alerts(conn, community.id, limit=limit)
    thread_ids = sorted({t for a in alerts for t in a.details["threads"][:5]})
    message_ids = sorted({m for a in alerts for m in a.details["messages"][:5]})
    titles = dashboard.get_thread_titles(conn, community.id, thread_ids)
    messages = {m.id: m for m in dashboard.get_activities_brief(conn, community.id, message_ids)}
    return [
        OverviewAlert(
            **{name: getattr(alert, name) for name in Alert.__dataclass_fields__},
            threads=[(t, titles.get(t)) for t in alert.details["threads"][:5]],
            messages=[messages[m] for m in alert.details["messages"][:5] if m in messages],
        )
        for alert in alerts
    ]
