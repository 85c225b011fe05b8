"""Members: the searchable list with its filters and CSV export, and one member's page with its edits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from tending.actions import members as member_actions
from tending.actions.database import get_data_stamp
from tending.actions.member_lists import (
    IdList,
    Indexes,
    LifecycleFilter,
    get_lifecycle_ids,
    get_state_index,
    narrow,
)
from tending.actions.members import ListedMember, MemberFilter
from tending.actions.web_users import WebSession
from tending.errors import UsageError
from tending.lib.csvsafe import safe_row
from tending.lib.lifecycle import INACTIVE_KINDS, STATES
from tending.lib.segments import SEGMENTS
from tending.models import Community
from tending.timeutil import isoformat_utc
from tending.web.auth import WebState, acting, get_state, remember, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import (
    community_or_404,
    end_of_local_day,
    parse_date,
    parse_int,
    see_other,
)

router = APIRouter()

PAGE_SIZE = 50
KINDS = {
    "people": N_("People (not bots)"),
    "members": N_("Members (not staff)"),
    "staff": N_("Staff"),
    "bots": N_("Bots"),
    "all": N_("Everyone"),
}
MESSAGES = {
    "dnc_set": N_("Do-not-contact is on: tending will never message this member."),
    "dnc_cleared": N_("Do-not-contact is off."),
    "tag_added": N_("Tag added."),
    "tag_removed": N_("Tag removed."),
    "notes_saved": N_("Notes saved."),
    "erased": N_("This member was erased: only an anonymous member remains, for the figures."),
}
STATE_LABELS = {
    "newcomer": N_("newcomer"),
    "lurker": N_("lurker"),
    "active": N_("active"),
    "quiet": N_("quiet"),
    "inactive": N_("inactive"),
    "left": N_("left"),
    "bot": N_("bot"),
}
SEGMENT_LABELS = {
    "lurkers": N_("lurkers (no contribution)"),
    "occasional": N_("occasional contributors"),
    "heavy_core": N_("heavy core"),
}
assert set(STATES) <= set(STATE_LABELS) and set(SEGMENTS) == set(SEGMENT_LABELS)
MAX_NOTES_LENGTH = 10_000


def hour_of(moment: datetime) -> datetime:
    """States, segments and the check-in queue are evaluated as of the start of the current hour (UTC): they
    are computed member by member, so they are reused for the hour (the page says which instant)."""
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Wanted:
    own: MemberFilter
    lifecycle: LifecycleFilter
    as_of: datetime


def _filter_from(
    request: Request, community: Community
) -> tuple[Wanted, dict[str, str], list[str]]:
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
    state = q.get("state", "").strip() or None
    if state is not None and state not in STATES:
        errors.append(_("State: choose one from the list, please."))
        state = None
    segment = q.get("segment", "").strip() or None
    if segment is not None and segment not in SEGMENTS:
        errors.append(_("Segment: choose one from the list, please."))
        segment = None
    as_of_text = q.get("as_of", "").strip()
    as_of_day = parse_date(as_of_text)
    if as_of_text and as_of_day is None:
        errors.append(_("As of: a date such as 2026-03-01, please."))
    zone = ZoneInfo(community.timezone)
    inactive_kind = q.get("inactive_kind", "").strip() or None
    if inactive_kind not in (None, *INACTIVE_KINDS) or inactive is None:
        inactive_kind = None
    lifecycle = LifecycleFilter(
        inactive_days=inactive, state=state, segment=segment, inactive_kind=inactive_kind
    )
    # "as of a day" means at the end of that local day; "now" is this minute (so a count can be reused), or
    # this hour for states and segments
    now = get_state(request).now().replace(second=0, microsecond=0)
    if lifecycle.needs_states:
        now = hour_of(now)
    as_of = min(end_of_local_day(as_of_day, zone), now) if as_of_day else now
    own = MemberFilter(search=q.get("q", "").strip()[:200], tag=q.get("tag", "").strip(), kind=kind)
    cleaned = {
        "q": own.search,
        "inactive": str(inactive or ""),
        "inactive_kind": inactive_kind or "",
        "state": state or "",
        "segment": segment or "",
        "tag": own.tag,
        "kind": kind,
        "as_of": as_of_day.isoformat() if as_of_day else "",
    }
    return Wanted(own, lifecycle, as_of), cleaned, errors


def get_states(state: WebState, conn: Any, community: Community, *, as_of: datetime) -> Indexes:
    """Every state's and segment's members as of `as_of` (the hour), cached until activities or members change
    (edits do not move a member's state or segment); the background thread precomputes it."""
    stamp = get_data_stamp(conn)[:2]
    return _cached(
        state,
        ("member-states", community.id, stamp, as_of),
        lambda: get_state_index(conn, community, as_of=as_of),
    )


def warm_states(state: WebState) -> None:
    from tending.actions.communities import get_communities

    now = hour_of(state.now())
    with state.engine.connect() as conn:
        for community in get_communities(conn):
            get_states(state, conn, community, as_of=now)


def _lifecycle_list(
    state: WebState, conn: Any, community: Community, wanted: Wanted, stamp: Any
) -> IdList:
    lifecycle = wanted.lifecycle
    alone = lifecycle.inactive_days is None and (lifecycle.state is None) != (
        lifecycle.segment is None
    )
    indexes = get_states(state, conn, community, as_of=wanted.as_of) if alone else None
    found = _cached(
        state,
        ("member-ids", community.id, wanted.lifecycle, wanted.as_of, stamp),
        lambda: get_lifecycle_ids(
            conn, community, wanted.lifecycle, as_of=wanted.as_of, indexes=indexes
        ),
    )
    if not wanted.own.narrows_people:
        return found
    return _cached(
        state,
        ("member-ids", community.id, wanted, stamp),
        lambda: narrow(conn, community.id, found, wanted.own),
    )


@router.get("/c/{community_id}/members")
def member_list(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    community = community_or_404(request, community_id)
    wanted, cleaned, errors = _filter_from(request, community)
    page = parse_int(request.query_params.get("page"), low=1, high=1_000_000) or 1
    state = get_state(request)
    order = "newest"
    split: dict[str, int] | None = None
    kinds_of: list[str | None] = []
    with state.engine.connect() as conn:
        stamp = get_data_stamp(conn)
        if wanted.lifecycle.chosen:
            found = _lifecycle_list(state, conn, community, wanted, stamp)
            total, order = len(found.ids), found.order
            rows = member_actions.get_member_rows_by_ids(
                conn, community.id, found.ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE].tolist()
            )
            if found.went_quiet is not None and not wanted.own.narrows_people:
                split = {"went_quiet": found.went_quiet, "never": found.never_contributed or 0}
                start = (page - 1) * PAGE_SIZE
                kinds_of = [
                    found.kind_at(start + i, wanted.lifecycle.inactive_kind)
                    for i in range(len(rows))
                ]
        else:
            total = _cached(
                state,
                ("member-count", community.id, wanted.own, stamp),
                lambda: member_actions.count_members(conn, community.id, wanted.own),
            )
            rows = _cached(
                state,
                ("member-page", community.id, wanted.own, page, stamp),
                lambda: member_actions.get_members_page(
                    conn, community.id, wanted.own, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
                ),
            )
        tags = member_actions.get_tags(conn, community.id)
    pages = max(1, -(-total // PAGE_SIZE))
    query = urlencode({k: v for k, v in cleaned.items() if v})
    query_without_kind = urlencode({k: v for k, v in cleaned.items() if v and k != "inactive_kind"})
    return render(
        request,
        "members.html",
        community=community,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=cleaned,
        kinds=KINDS,
        states=STATE_LABELS,
        segments=SEGMENT_LABELS,
        tags=tags,
        errors=errors,
        query=query,
        order=order,
        split=split,
        kinds_of=kinds_of,
        query_without_kind=query_without_kind,
        as_of=wanted.as_of if wanted.lifecycle.chosen else None,
        page_name="members",
    )


def _cached(state: WebState, key: Any, compute: Callable[[], Any]) -> Any:
    """Counting and filtering read every member: remember the answer until the data changes (the key holds the
    data stamp, the filter and the minute it is evaluated at)."""
    found = state.cache.get(key)
    if found is None:
        found = compute()
        remember(state, key, found)
    return found


CSV_COLUMNS = (
    "id",
    "name",
    "handle",
    "platform",
    "joined_at",
    "left_at",
    "last_contribution_at",
    "contributions",
    "is_staff",
    "is_bot",
    "do_not_contact",
)


def _csv_rows(request: Request, community: Community, wanted: Wanted) -> Iterator[ListedMember]:
    state = get_state(request)
    with state.engine.connect() as conn:
        if not wanted.lifecycle.chosen:
            yield from member_actions.iter_members(conn, community.id, wanted.own)
            return
        found = _lifecycle_list(state, conn, community, wanted, get_data_stamp(conn))
        for start in range(0, len(found.ids), 2000):
            yield from member_actions.get_member_rows_by_ids(
                conn, community.id, found.ids[start : start + 2000].tolist()
            )


def _csv_lines(request: Request, community: Community, wanted: Wanted) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(request, community, wanted):
        writer.writerow(
            safe_row(
                [
                    row.id,
                    row.name,
                    row.handle or "",
                    row.platform,
                    isoformat_utc(row.joined_at) or "",
                    isoformat_utc(row.left_at) or "",
                    isoformat_utc(row.last_contribution_at) or "",
                    row.contributions,
                    int(row.is_staff),
                    int(row.is_bot),
                    int(row.do_not_contact),
                ]
            )
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/c/{community_id}/members.csv")
def member_csv(
    request: Request, community_id: int, session: WebSession = require("moderator")
) -> Response:
    """The list as CSV (instants in UTC, ISO 8601): moderators and admins only, as it leaves the member_actions."""
    community = community_or_404(request, community_id)
    wanted, _cleaned, errors = _filter_from(request, community)
    if errors:
        raise HTTPException(400, errors[0])
    return StreamingResponse(
        _csv_lines(request, community, wanted),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="members-{community.id}.csv"'},
    )


@router.get("/c/{community_id}/members/{member_id}")
def member_page(
    request: Request, community_id: int, member_id: int, session: WebSession = require("viewer")
) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    now = get_state(request).now()
    with get_state(request).engine.connect() as conn:
        detail = member_actions.get_member_detail(conn, community.id, member_id)
        profile = member_actions.get_member_profile(
            conn, community, member_id, as_of=now, checkins=50
        )
        if detail is None or profile is None:
            raise HTTPException(404)
        timeline = member_actions.get_timeline(conn, community.id, member_id, limit=100)
        sent = member_actions.get_timeline(
            conn, community.id, member_id, limit=50, kinds=["message_sent"]
        )
        events = member_actions.get_member_events(conn, community.id, member_id)
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    error = request.query_params.get("error")
    return render(
        request,
        "member.html",
        community=community,
        m=detail,
        timeline=timeline,
        identities=profile.identities,
        events=events,
        sent=sent,
        checkins=profile.checkins,
        member_state=profile.state,
        states=STATE_LABELS,
        merged_into=profile.member.merged_into,
        message=_(msg) if msg else None,
        error=error,
        page_name="members",
    )


def _member_or_404(request: Request, community_id: int, member_id: int) -> Community:
    community = community_or_404(request, community_id)
    with get_state(request).engine.connect() as conn:
        if not member_actions.get_member_id_exists(conn, community.id, member_id):
            raise HTTPException(404)
    return community


def _back(community_id: int, member_id: int, msg: str) -> Response:
    return see_other(f"/c/{community_id}/members/{member_id}", msg=msg)


def _edit(
    request: Request,
    community_id: int,
    member_id: int,
    session: WebSession,
    change: Callable[..., object],
    *,
    done: str,
    error: str,
) -> Response:
    """Call one of tending.actions.members' do_* (each writes its audit event) as `web:<email>`."""
    community = _member_or_404(request, community_id, member_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            change(conn, community, actor=f"web:{session.user.email}", now=state.now())
    except UsageError:
        return see_other(f"/c/{community.id}/members/{member_id}", error=error)
    return _back(community.id, member_id, done)


@router.post("/c/{community_id}/members/{member_id}/do-not-contact")
def set_do_not_contact(
    request: Request,
    community_id: int,
    member_id: int,
    value: str = Form(...),
    session: WebSession = acting("moderator"),
) -> Response:
    on = value == "on"
    return _edit(
        request,
        community_id,
        member_id,
        session,
        lambda conn, community, **who: member_actions.do_set_do_not_contact(
            conn, community, member_id, on, **who
        ),
        done="dnc_set" if on else "dnc_cleared",
        error="merged",
    )


@router.post("/c/{community_id}/members/{member_id}/tags")
def change_tag(
    request: Request,
    community_id: int,
    member_id: int,
    tag: str = Form(""),
    op: str = Form("add"),
    session: WebSession = acting("moderator"),
) -> Response:
    tag = " ".join(
        tag.split()
    )  # what a form field holds: runs of spaces and line breaks are one space
    verb = member_actions.do_remove_tag if op == "remove" else member_actions.do_add_tag
    return _edit(
        request,
        community_id,
        member_id,
        session,
        lambda conn, community, **who: verb(conn, community, member_id, tag, **who),
        done="tag_removed" if op == "remove" else "tag_added",
        error="tag",
    )


@router.post("/c/{community_id}/members/{member_id}/notes")
def save_notes(
    request: Request,
    community_id: int,
    member_id: int,
    notes: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    if len(notes) > MAX_NOTES_LENGTH:
        return see_other(f"/c/{community_id}/members/{member_id}", error="notes")
    text = notes.replace("\r\n", "\n")
    return _edit(
        request,
        community_id,
        member_id,
        session,
        lambda conn, community, **who: member_actions.do_set_note(
            conn, community, member_id, text, **who
        ),
        done="notes_saved",
        error="notes",
    )
