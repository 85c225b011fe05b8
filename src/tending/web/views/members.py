"""Members: the searchable list with its filters and CSV export, and one member's page with its edits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from tending.actions import members_web
from tending.errors import UsageError
from tending.models import Community
from tending.store import dashboard
from tending.store.dashboard import MemberFilter
from tending.store.web_users import WebSession
from tending.timeutil import isoformat_utc
from tending.web.auth import WebState, acting, get_state, remember, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, end_of_local_day, parse_date, parse_int, see_other

router = APIRouter()

PAGE_SIZE = 50
KINDS = {"people": N_("People (not bots)"), "members": N_("Members (not staff)"), "staff": N_("Staff"),
         "bots": N_("Bots"), "all": N_("Everyone")}
MESSAGES = {
    "dnc_set": N_("Do-not-contact is on: tending will never message this member."),
    "dnc_cleared": N_("Do-not-contact is off."),
    "tag_added": N_("Tag added."),
    "tag_removed": N_("Tag removed."),
    "notes_saved": N_("Notes saved."),
}


def _filter_from(request: Request, community: Community) -> tuple[MemberFilter, datetime, dict[str, str], list[str]]:
    """The filter the query string asks for, the instant it is evaluated at, the cleaned values, errors."""
    _ = translator(request)
    q = request.query_params
    errors = []
    inactive_text = q.get("inactive", "").strip()
    inactive = parse_int(inactive_text, low=1, high=36500)
    if inactive_text and inactive is None:
        errors.append(_("Inactive for: a whole number of days between 1 and 36500, please."))
    kind = q.get("kind", "people")
    if kind not in KINDS:
        kind = "people"
    as_of_text = q.get("as_of", "").strip()
    as_of_day = parse_date(as_of_text)
    if as_of_text and as_of_day is None:
        errors.append(_("As of: a date such as 2026-03-01, please."))
    zone = ZoneInfo(community.timezone)
    now = get_state(request).now()
    # "as of a day" means at the end of that local day; "now" is this minute, so a count can be reused
    now = now.replace(second=0, microsecond=0)
    as_of = min(end_of_local_day(as_of_day, zone), now) if as_of_day else now
    wanted = MemberFilter(search=q.get("q", "").strip()[:200], inactive_days=inactive, tag=q.get("tag", "").strip(),
                          kind=kind)
    cleaned = {"q": wanted.search, "inactive": str(inactive or ""), "tag": wanted.tag, "kind": kind,
               "as_of": as_of_day.isoformat() if as_of_day else ""}
    return wanted, as_of, cleaned, errors


@router.get("/c/{community_id}/members")
def member_list(request: Request, community_id: int, session: WebSession = require("viewer")) -> Response:
    community = community_or_404(request, community_id)
    wanted, as_of, cleaned, errors = _filter_from(request, community)
    page = parse_int(request.query_params.get("page"), low=1, high=1_000_000) or 1
    state = get_state(request)
    with state.engine.connect() as conn:
        stamp = dashboard.get_data_stamp(conn)
        total = _cached(state, ("member-count", community.id, wanted, as_of, stamp),
                        lambda: dashboard.count_members(conn, community.id, wanted, as_of=as_of))
        rows = _cached(state, ("member-page", community.id, wanted, as_of, page, stamp),
                       lambda: dashboard.get_members_page(conn, community.id, wanted, as_of=as_of,
                                                          offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE))
        tags = dashboard.get_tags(conn, community.id)
    pages = max(1, -(-total // PAGE_SIZE))
    query = urlencode({k: v for k, v in cleaned.items() if v})
    return render(request, "members.html", community=community, rows=rows, total=total, page=page, pages=pages,
                  filters=cleaned, kinds=KINDS, tags=tags, errors=errors, query=query, page_name="members")


def _cached(state: WebState, key: Any, compute: Callable[[], Any]) -> Any:
    """Counting and filtering read every member: remember the answer until the data changes (the key holds the
    data stamp, the filter and the minute it is evaluated at)."""
    found = state.cache.get(key)
    if found is None:
        found = compute()
        remember(state, key, found)
    return found


CSV_COLUMNS = ("id", "name", "handle", "platform", "joined_at", "left_at", "last_contribution_at", "contributions",
               "is_staff", "is_bot", "do_not_contact")


def _csv_lines(request: Request, community: Community, wanted: MemberFilter, as_of: datetime) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    with get_state(request).engine.connect() as conn:
        for row in dashboard.iter_members(conn, community.id, wanted, as_of=as_of):
            writer.writerow([row.id, row.name, row.handle or "", row.platform, isoformat_utc(row.joined_at) or "",
                             isoformat_utc(row.left_at) or "", isoformat_utc(row.last_contribution_at) or "",
                             row.contributions, int(row.is_staff), int(row.is_bot), int(row.do_not_contact)])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


@router.get("/c/{community_id}/members.csv")
def member_csv(request: Request, community_id: int, session: WebSession = require("moderator")) -> Response:
    """The list as CSV (instants in UTC, ISO 8601): moderators and admins only, as it leaves the dashboard."""
    community = community_or_404(request, community_id)
    wanted, as_of, _cleaned, errors = _filter_from(request, community)
    if errors:
        raise HTTPException(400, errors[0])
    return StreamingResponse(_csv_lines(request, community, wanted, as_of), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="members-{community.id}.csv"'})


@router.get("/c/{community_id}/members/{member_id}")
def member_page(request: Request, community_id: int, member_id: int,
                session: WebSession = require("viewer")) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    with get_state(request).engine.connect() as conn:
        detail = dashboard.get_member_detail(conn, community.id, member_id)
        if detail is None:
            raise HTTPException(404)
        timeline = dashboard.get_timeline(conn, community.id, member_id, limit=100)
        ids = dashboard.get_identities(conn, community.id, member_id)
        events = dashboard.get_member_events(conn, community.id, member_id)
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    error = request.query_params.get("error")
    return render(request, "member.html", community=community, m=detail, timeline=timeline, identities=ids,
                  events=events, message=_(msg) if msg else None, error=error, page_name="members")


def _member_or_404(request: Request, community_id: int, member_id: int) -> Community:
    community = community_or_404(request, community_id)
    with get_state(request).engine.connect() as conn:
        if not dashboard.get_member_id_exists(conn, community.id, member_id):
            raise HTTPException(404)
    return community


def _back(community_id: int, member_id: int, msg: str) -> Response:
    return see_other(f"/c/{community_id}/members/{member_id}", msg=msg)


@router.post("/c/{community_id}/members/{member_id}/do-not-contact")
def set_do_not_contact(request: Request, community_id: int, member_id: int, value: str = Form(...),
                       session: WebSession = acting("moderator")) -> Response:
    community = _member_or_404(request, community_id, member_id)
    on = value == "on"
    state = get_state(request)
    with state.engine.begin() as conn:
        members_web.do_set_do_not_contact(conn, community.id, member_id, value=on, actor=f"web:{session.user.email}",
                                          now=state.now())
    return _back(community.id, member_id, "dnc_set" if on else "dnc_cleared")


@router.post("/c/{community_id}/members/{member_id}/tags")
def change_tag(request: Request, community_id: int, member_id: int, tag: str = Form(""), op: str = Form("add"),
               session: WebSession = acting("moderator")) -> Response:
    community = _member_or_404(request, community_id, member_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            if op == "remove":
                members_web.do_remove_tag(conn, community.id, member_id, tag=tag, actor=f"web:{session.user.email}",
                                          now=state.now())
            else:
                members_web.do_add_tag(conn, community.id, member_id, tag=tag, actor=f"web:{session.user.email}",
                                       now=state.now())
    except UsageError:
        return see_other(f"/c/{community.id}/members/{member_id}", error="tag")
    return _back(community.id, member_id, "tag_removed" if op == "remove" else "tag_added")


@router.post("/c/{community_id}/members/{member_id}/notes")
def save_notes(request: Request, community_id: int, member_id: int, notes: str = Form(""),
               session: WebSession = acting("moderator")) -> Response:
    community = _member_or_404(request, community_id, member_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            members_web.do_set_notes(conn, community.id, member_id, notes=notes, actor=f"web:{session.user.email}",
                                     now=state.now())
    except UsageError:
        return see_other(f"/c/{community.id}/members/{member_id}", error="notes")
    return _back(community.id, member_id, "notes_saved")
