"""Check-ins: the private, prioritised queue of members to check in on (tending.actions.checkins), drafting a
private message for one of them (do_checkin puts it in the outbox), and the drafted check-ins with their
message to edit, approve, skip or send now (tending.actions.outbox, tending.actions.run), and their outcome.

The queue is for logged-in staff only and nothing here is ever published: a check-in is a private message.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import Response

from tending.actions.checkins import (
    CheckinLine,
    DraftedCheckin,
    do_checkin,
    drop_contacted_since,
    get_checkin_list,
    get_checkin_settings,
    get_drafted_checkins,
)
from tending.actions.database import get_data_stamp
from tending.actions.web_users import WebSession
from tending.errors import TendingError
from tending.lib.checkins import describe_reasons
from tending.models import Community
from tending.web.auth import WebState, acting, get_state, remember, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, parse_int, see_other
from tending.web.views.members import hour_of

router = APIRouter()

PAGE_SIZE = 50
MESSAGES = {
    "drafted": N_("Check-in drafted: its private message is below, to read, edit and approve."),
    "approved": N_("Message approved: it goes out when due."),
    "skipped": N_("Message skipped: it will not be sent."),
    "edited": N_("Message saved."),
    "sent": N_("Message sent."),
    "not_sent": N_("The message could not be sent: its error is shown with it."),
    "refused": N_("This message can no longer be changed (it was sent or skipped meanwhile)."),
    "empty": N_("A message cannot be empty."),
}


def get_queue(
    state: WebState, conn: Connection, community: Community, *, as_of: datetime
) -> list[CheckinLine]:
    """The members capability's check-in list as of `as_of` (the start of the hour), cached until activities or
    members change. Drafting a check-in does not recompute it: the page drops who was contacted meanwhile."""
    stamp = get_data_stamp(conn)[:2]  # activities and members; not audit events
    key = ("checkins", community.id, stamp, as_of)
    found = state.cache.get(key)
    if found is None:
        found = get_checkin_list(conn, community, as_of=as_of)
        remember(state, key, found)
    return found


def warm_checkins(state: WebState) -> None:
    """Precompute every community's queue for this hour and record check-in outcomes (background thread)."""
    from tending.actions.checkins import do_settle_outcomes
    from tending.actions.communities import get_communities

    now = state.now()
    with state.engine.connect() as conn:
        communities = get_communities(conn)
        for community in communities:
            get_queue(state, conn, community, as_of=hour_of(now))
    for community in communities:
        with state.engine.begin() as conn:
            do_settle_outcomes(conn, community, now=now, actor="web")


def _outcomes(drafted: list[DraftedCheckin]) -> dict[str, int]:
    settled = [d.checkin for d in drafted if d.checkin.outcome is not None]
    return {
        "settled": len(settled),
        "contributed": sum(c.outcome == "contributed" for c in settled),
        "pending": len(drafted) - len(settled),
    }


@router.get("/c/{community_id}/checkins")
def checkins(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    state = get_state(request)
    now = state.now()
    as_of = hour_of(now)
    page = parse_int(request.query_params.get("page"), low=1, high=100_000) or 1
    with state.engine.connect() as conn:
        lines = drop_contacted_since(
            conn, community, get_queue(state, conn, community, as_of=as_of), now=now
        )
        drafted = get_drafted_checkins(conn, community)
    language = session.user.language
    shown = lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    reasons = {
        line.entry.member_id: describe_reasons(line.entry.reasons, language) for line in shown
    }
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    refusal = REFUSALS.get(request.query_params.get("error", ""))
    return render(
        request,
        "checkins.html",
        community=community,
        lines=shown,
        total=len(lines),
        page=page,
        pages=max(1, -(-len(lines) // PAGE_SIZE)),
        first=(page - 1) * PAGE_SIZE,
        reasons=reasons,
        as_of=as_of,
        drafted=drafted,
        outcomes=_outcomes(drafted),
        outcome_days=get_checkin_settings(community).checkin_outcome_days,
        message=_(msg) if msg else None,
        error=_(refusal[1]) if refusal else None,
        page_name="checkins",
    )


@router.post("/c/{community_id}/checkins/{member_id}/draft")
def draft(
    request: Request, community_id: int, member_id: int, session: WebSession = acting("moderator")
) -> Response:
    """Record a check-in and draft its private message in the outbox (nothing is sent before approval)."""
    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            do_checkin(
                conn, community, member_id, actor=f"web:{session.user.email}", now=state.now()
            )
    except TendingError as error:
        return see_other(f"/c/{community.id}/checkins", error=_refusal(str(error)))
    return see_other(f"/c/{community.id}/checkins", msg="drafted")


REFUSALS = {  # code: (words of the TendingError, what the page says)
    "dnc": ("do-not-contact", N_("This member is marked do-not-contact: no check-in drafted.")),
    "recent": (
        "already had a check-in",
        N_("This member already had a check-in recently: no new one drafted."),
    ),
    "left": ("has left", N_("This member has left the community: no check-in drafted.")),
    "bot": ("is a bot", N_("This member is a bot: no check-in drafted.")),
    "unknown": ("", N_("No check-in drafted: this member cannot be found.")),
}


def _refusal(text: str) -> str:
    return next(
        (code for code, (words, _message) in REFUSALS.items() if words and words in text), "unknown"
    )
