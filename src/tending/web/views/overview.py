"""The overview: the community's figures and charts.

The health figures (members, newcomers, contributors, activation, first responses, who starts the
conversations, the 90-9-1 segments, Gini, retention by join month) are the health capability's
(tending.store.health.get_health_report, docs/health.md); the charts per local day and week add what it does
not answer (activity per day, new members per week; threads per week split with the health module's own
staff/bot rule). Computed as of now, or, when the community has been silent for more than 90 days (an old
archive), as of its last activity, and said so. Cached per community until the data changes
(store.dashboard.get_data_stamp). The alerts are read fresh at each view, with the threads and messages
behind them.
"""

from __future__ import annotations

from collections import Counter
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
from tending.timeutil import from_micros, to_micros
from tending.web import charts
from tending.web.auth import WebState, get_state, remember, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, local_midnight

router = APIRouter()

DAYS = 90
WEEKS = 26
RECENT_DAYS = 28
SEVERITY_LABELS = (N_("warning"), N_("critical"))  # of alerts (tending.lib.alerts)
HALF_WIDTH = 420  # charts in half-width cards: fewer units, so their text stays readable


@dataclass(frozen=True, slots=True)
class OverviewData:
    today: date
    shifted: bool
    counts: dashboard.MemberCounts
    days: list[date]
    contributions: list[int]
    reactions: list[int]
    weeks: list[date]
    joins: list[int]
    starts_members: list[int]
    starts_staff: list[int]
    top: list[dashboard.Contributor]
    health: dict[str, Any]  # tending.store.health.get_health_report as of the overview's instant


def _per_week(days: dict[date, int], weeks: list[date]) -> list[int]:
    totals = dict.fromkeys(weeks, 0)
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday] += count
    return [totals[w] for w in weeks]


def _thread_starts_per_week(conn: Connection, community: Community, weeks: list[date], *, end: datetime,
                            as_of: datetime, zone: ZoneInfo) -> tuple[list[int], list[int]]:
    """Threads started per local week by members and by staff, as the health module counts them
    (store.health.threads_started: bots' threads left out, staff from the members' flags)."""
    from tending.store.health import threads_started

    low = to_micros(local_midnight(weeks[0], zone)) - 1  # threads_started takes (low, high]
    by_members: Counter[date] = Counter()
    by_staff: Counter[date] = Counter()
    for thread in threads_started(conn, community.id, low, to_micros(end) - 1, until=to_micros(as_of)):
        if thread.starter_is_staff is None:
            continue
        day = from_micros(thread.started_at).astimezone(zone).date()
        (by_staff if thread.starter_is_staff else by_members)[day] += 1
    return _per_week(by_members, weeks), _per_week(by_staff, weeks)


def compute_overview(conn: Connection, community: Community, *, now: datetime) -> OverviewData:
    from tending.store.health import get_health_report

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
    by_members, by_staff = _thread_starts_per_week(conn, community, weeks, end=end, as_of=as_of, zone=zone)
    return OverviewData(
        today=today, shifted=shifted, counts=dashboard.get_member_counts(conn, community.id),
        days=days, contributions=[activity["contributions"][d] for d in days],
        reactions=[activity["reactions"][d] for d in days],
        weeks=weeks, joins=_per_week(joins, weeks), starts_members=by_members, starts_staff=by_staff,
        top=dashboard.get_top_contributors(conn, community.id),
        health=get_health_report(conn, community, as_of=as_of, window_days=RECENT_DAYS),
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
        desc=_("Contributions (posts, replies, comments) and reactions per day, last 90 days."),
        partial=_("today so far"))
    # the last day and week are the one in progress (as of the last activity for an old archive)
    joins = charts.bar_chart([charts.Series(_("New members"), data.joins)], [short(w) for w in data.weeks],
                             title=_("New members per week"), desc=_("Members who joined, per week (from Monday)."),
                             width=HALF_WIDTH, partial=_("this week so far"))
    starters = charts.bar_chart(
        [charts.Series(_("Members"), data.starts_members), charts.Series(_("Staff"), data.starts_staff)],
        [short(w) for w in data.weeks], title=_("Who starts the conversations"),
        desc=_("Threads started per week by members and by staff (staff includes bots)."), width=HALF_WIDTH,
        partial=_("this week so far"))
    rows = []
    for cohort in data.health["retention"]:
        month = date.fromisoformat(cohort["cohort"] + "-01")
        rows.append(charts.HeatRow(format_date(month, format="MMM y", locale=locale), cohort["members"],
                                   [share if cohort["members"] else 0.0 for share in cohort["months"]]))
    heat = charts.heatmap(rows, [f"+{k}" for k in range(len(rows))], title=_("Retention by join month"),
                          desc=_("Share of each month's newcomers who contributed in each following month."))
    return {"activity_chart": activity, "joins_chart": joins, "starters_chart": starters, "retention_chart": heat,
            "retention_rows": rows}


def get_alerts(conn: Connection, community: Community, *, limit: int = 10) -> list[dict[str, Any]]:
    """The newest alerts (tending.store.alerts), each with its threads' titles and its messages."""
    from tending.store.alerts import get_alerts as stored_alerts

    alerts = stored_alerts(conn, community.id, limit=limit)
    thread_ids = sorted({int(t) for a in alerts for t in (a["details"] or {}).get("threads", [])[:5]})
    message_ids = sorted({int(m) for a in alerts for m in (a["details"] or {}).get("messages", [])[:5]})
    titles = dashboard.get_thread_titles(conn, community.id, thread_ids)
    messages = {m["id"]: m for m in dashboard.get_activities_brief(conn, community.id, message_ids)}
    for alert in alerts:
        details = alert["details"] or {}
        alert["threads"] = [(int(t), titles.get(int(t))) for t in details.get("threads", [])[:5]]
        alert["messages"] = [messages[int(m)] for m in details.get("messages", [])[:5] if int(m) in messages]
    return alerts


@router.get("/c/{community_id}/overview")
def overview(request: Request, community_id: int, session: WebSession = require("viewer")) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    data = get_overview(get_state(request), community)
    with get_state(request).engine.connect() as conn:
        alerts = get_alerts(conn, community)
    started = sum(data.starts_members) + sum(data.starts_staff)
    member_share = sum(data.starts_members) / started if started else None
    return render(request, "overview.html", community=community, data=data, h=data.health, alerts=alerts,
                  started=started, member_share=member_share, page="overview", **_charts(data, _.language, _))
