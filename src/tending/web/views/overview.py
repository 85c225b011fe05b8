"""The overview page: the figures of tending.actions.overview.get_overview (docs/health.md), drawn as
charts. Cached per community until the data changes (get_data_stamp); the alerts are read fresh at each
view, with the threads and messages behind them.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from fastapi import APIRouter, Request
from starlette.responses import Response

from tending.actions.overview import OverviewData, get_data_stamp, get_overview, get_overview_alerts
from tending.actions.web_users import WebSession
from tending.lib.alerts import summary_in
from tending.models import Community
from tending.web import charts
from tending.web.auth import WebState, get_state, remember, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404

router = APIRouter()

SEVERITY_LABELS = (N_("warning"), N_("critical"))  # of alerts (tending.lib.alerts)
HALF_WIDTH = 420  # charts in half-width cards: fewer units, so their text stays readable


def cached_overview(state: WebState, community: Community) -> OverviewData:
    now = state.now()
    with state.engine.connect() as conn:
        key = (
            "overview",
            community.id,
            community.timezone,
            get_data_stamp(conn),
            now.astimezone(ZoneInfo(community.timezone)).date(),
        )
        cached = state.cache.get(key)
        if cached is None:
            cached = get_overview(conn, community, now=now)
            remember(state, key, cached)
    return cached


def warm_overviews(state: WebState) -> int:
    """Compute the overview of every community whose data changed (the server does this in the background, so
    the first visit after an import rarely waits). Returns how many were computed."""
    from tending.actions.communities import get_communities

    with state.engine.connect() as conn:
        communities = get_communities(conn)
    before = len(state.cache)
    for community in communities:
        cached_overview(state, community)
    return max(0, len(state.cache) - before)


def _charts(data: OverviewData, language: str, _: Any) -> dict[str, Any]:
    locale = Locale.parse(language)

    def short(day: date) -> str:
        return format_date(day, format="d MMM", locale=locale)

    activity = charts.line_chart(
        [
            charts.Series(_("Contributions"), data.contributions),
            charts.Series(_("Reactions"), data.reactions),
        ],
        [short(d) for d in data.days],
        title=_("Activity per day"),
        desc=_("Contributions (posts, replies, comments) and reactions per day, last 90 days."),
        partial=_("today so far"),
        language=language,
    )
    # the last day and week are the one in progress (as of the last activity for an old archive)
    joins = charts.bar_chart(
        [charts.Series(_("New members"), data.joins)],
        [short(w) for w in data.weeks],
        title=_("New members per week"),
        desc=_("Members who joined, per week (from Monday)."),
        width=HALF_WIDTH,
        partial=_("this week so far"),
        language=language,
    )
    starters = charts.bar_chart(
        [
            charts.Series(_("Members"), data.starts_members),
            charts.Series(_("Staff"), data.starts_staff),
        ],
        [short(w) for w in data.weeks],
        title=_("Who starts the conversations"),
        desc=_("Threads started per week by members and by staff (staff includes bots)."),
        width=HALF_WIDTH,
        partial=_("this week so far"),
        language=language,
    )
    rows = []
    for cohort in data.health["retention"]:
        month = date.fromisoformat(cohort["cohort"] + "-01")
        rows.append(
            charts.HeatRow(
                format_date(month, format="MMM y", locale=locale),
                cohort["members"],
                [share if cohort["members"] else 0.0 for share in cohort["months"]],
            )
        )
    heat = charts.heatmap(
        rows,
        [f"+{k}" for k in range(len(rows))],
        title=_("Retention by join month"),
        desc=_("Share of each month's newcomers who contributed in each following month."),
        language=language,
    )
    return {
        "activity_chart": activity,
        "joins_chart": joins,
        "starters_chart": starters,
        "retention_chart": heat,
        "retention_rows": rows,
    }


@router.get("/c/{community_id}/overview")
def overview(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    data = cached_overview(get_state(request), community)
    with get_state(request).engine.connect() as conn:
        alerts = get_overview_alerts(conn, community)
    started = sum(data.starts_members) + sum(data.starts_staff)
    member_share = sum(data.starts_members) / started if started else None
    return render(
        request,
        "overview.html",
        community=community,
        data=data,
        h=data.health,
        alerts=alerts,
        summaries={
            a.id: summary_in(a.kind, a.details["figures"], a.summary, _.language) for a in alerts
        },
        started=started,
        member_share=member_share,
        page="overview",
        **_charts(data, _.language, _),
    )
