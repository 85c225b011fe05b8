"""The overview: the community's figures and charts, from the rollups and the indexes.

The figures are computed for the 90 local days (26 weeks, 12 months) that end today, or, when the
community has been silent for longer (an old archive), on the day of its last activity, and said so. They
are cached per community until the data changes (store.dashboard.get_data_stamp).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import Response

from tending.models import Community
from tending.store import dashboard
from tending.store.web_users import WebSession
from tending.web import charts
from tending.web.auth import WebState, get_state, remember, require
from tending.web.pages import render, translator
from tending.web.views.common import community_or_404, local_midnight

router = APIRouter()

DAYS = 90
WEEKS = 26
MONTHS = 12
RECENT_DAYS = 28
HALF_WIDTH = 420  # charts in half-width cards: fewer units, so their text stays readable


@dataclass(frozen=True, slots=True)
class OverviewData:
    today: date
    shifted: bool
    counts: dashboard.MemberCounts
    new_recent: int
    active_recent: int
    days: list[date]
    contributions: list[int]
    reactions: list[int]
    weeks: list[date]
    joins: list[int]
    starts_members: list[int]
    starts_staff: list[int]
    top: list[dashboard.Contributor]
    months: list[date]
    cohorts: list[tuple[int, list[int]]]


def month_starts(today: date, count: int) -> list[date]:
    """The first days of the `count` months ending with today's, plus the next month's first day."""
    year, month = today.year, today.month
    starts = []
    for back in range(count - 1, -2, -1):
        m = month - back - 1
        starts.append(date(year + m // 12, m % 12 + 1, 1))
    return starts


def _per_week(days: dict[date, int], weeks: list[date]) -> list[int]:
    totals = dict.fromkeys(weeks, 0)
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday] += count
    return [totals[w] for w in weeks]


def compute_overview(conn: Connection, community: Community, *, now: datetime) -> OverviewData:
    zone = ZoneInfo(community.timezone)
    last = dashboard.get_last_activity_at(conn, community.id)
    shifted = last is not None and last < now - timedelta(days=DAYS)
    as_of = last if shifted and last is not None else now
    today = as_of.astimezone(zone).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    this_monday = today - timedelta(days=today.weekday())
    weeks = [this_monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    end = local_midnight(today + timedelta(days=1), zone)
    activity = dashboard.get_daily_activity(conn, community.id, start=local_midnight(days[0], zone), end=end,
                                            zone=zone)
    week_start = local_midnight(weeks[0], zone)
    joins = dashboard.get_daily_joins(conn, community.id, start=week_start, end=end, zone=zone)
    starts = dashboard.get_daily_thread_starts(conn, community.id, start=week_start, end=end, zone=zone)
    months = month_starts(today, MONTHS)
    recent = local_midnight(today - timedelta(days=RECENT_DAYS - 1), zone)
    return OverviewData(
        today=today, shifted=shifted, counts=dashboard.get_member_counts(conn, community.id),
        new_recent=sum(n for d, n in joins.items() if d > today - timedelta(days=RECENT_DAYS)),
        active_recent=dashboard.count_contributors_since(conn, community.id, recent),
        days=days, contributions=[activity["contributions"][d] for d in days],
        reactions=[activity["reactions"][d] for d in days],
        weeks=weeks, joins=_per_week(joins, weeks),
        starts_members=_per_week(starts["members"], weeks), starts_staff=_per_week(starts["staff"], weeks),
        top=dashboard.get_top_contributors(conn, community.id),
        months=months[:-1],
        cohorts=dashboard.get_retention(conn, community.id, month_starts=[local_midnight(m, zone) for m in months]),
    )


def get_overview(state: WebState, community: Community) -> OverviewData:
    now = state.now()
    with state.engine.connect() as conn:
        key = ("overview", community.id, community.timezone, dashboard.get_data_stamp(conn),
               now.astimezone(ZoneInfo(community.timezone)).date())
        cached = state.cache.get(key)
        if cached is None:
            cached = compute_overview(conn, community, now=now)
            remember(state, key, cached)
    return cached


def warm_overviews(state: WebState) -> int:
    """Compute the overview of every community whose data changed (the server does this in the background, so
    the first visit after an import rarely waits). Returns how many were computed."""
    from tending.store.communities import get_communities

    with state.engine.connect() as conn:
        communities = get_communities(conn)
    before = len(state.cache)
    for community in communities:
        get_overview(state, community)
    return max(0, len(state.cache) - before)


def _charts(data: OverviewData, language: str, _: Any) -> dict[str, Any]:
    locale = Locale.parse(language)

    def short(day: date) -> str:
        return format_date(day, format="d MMM", locale=locale)

    activity = charts.line_chart(
        [charts.Series(_("Contributions"), data.contributions), charts.Series(_("Reactions"), data.reactions)],
        [short(d) for d in data.days], title=_("Activity per day"),
        desc=_("Contributions (posts, replies, comments) and reactions per day, last 90 days."))
    joins = charts.bar_chart([charts.Series(_("New members"), data.joins)], [short(w) for w in data.weeks],
                             title=_("New members per week"), desc=_("Members who joined, per week (from Monday)."),
                             width=HALF_WIDTH)
    starters = charts.bar_chart(
        [charts.Series(_("Members"), data.starts_members), charts.Series(_("Staff"), data.starts_staff)],
        [short(w) for w in data.weeks], title=_("Who starts the conversations"),
        desc=_("Threads started per week by members and by staff (staff includes bots)."), width=HALF_WIDTH)
    rows = []
    for month, (size, still) in zip(data.months, data.cohorts, strict=True):
        shares: list[float | None] = [n / size if size else 0.0 for n in still]
        rows.append(charts.HeatRow(format_date(month, format="MMM y", locale=locale), size, shares))
    heat = charts.heatmap(rows, [f"+{k}" for k in range(len(data.months))], title=_("Retention by join month"),
                          desc=_("Share of each month's newcomers who contributed in that month or later."))
    return {"activity_chart": activity, "joins_chart": joins, "starters_chart": starters, "retention_chart": heat,
            "retention_rows": rows}


@router.get("/c/{community_id}/overview")
def overview(request: Request, community_id: int, session: WebSession = require("viewer")) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    data = get_overview(get_state(request), community)
    started = sum(data.starts_members) + sum(data.starts_staff)
    member_share = sum(data.starts_members) / started if started else None
    return render(request, "overview.html", community=community, data=data, member_share=member_share,
                  started=started, page="overview", **_charts(data, _.language, _))
