"""Mentions: what the listening queries heard outside the community (tending.actions.listening), newest
first, filtered by source, sentiment, state and date, with a polite reply suggested for complaints and
one click to mark a mention answered, routed or ignored."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tending.actions.listening import (
    ACTED_STATES,
    SENTIMENTS,
    SOURCES,
    do_act_on_mention,
    get_mentions_page,
    get_suggested_reply,
)
from tending.actions.web_users import WebSession
from tending.errors import NotFoundError
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import (
    community_or_404,
    local_midnight,
    parse_date,
    parse_int,
    see_other,
)

router = APIRouter()

PAGE_SIZE = 30
STATE_LABELS = {
    "new": N_("new"),
    "answered": N_("answered"),
    "routed": N_("routed"),
    "ignored": N_("ignored"),
}
SENTIMENT_LABELS = {
    "negative": N_("negative"),
    "neutral": N_("neutral"),
    "positive": N_("positive"),
}
ACT_LABELS = {
    "answered": N_("Mark answered"),
    "routed": N_("Routed to the right people"),
    "ignored": N_("Ignore"),
}
MESSAGES = {
    state: N_("Done: the mention is marked and the decision recorded.") for state in ACTED_STATES
}


def _choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


@router.get("/c/{community_id}/mentions")
def mentions(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    query = request.query_params
    source = _choice(query.get("source"), list(SOURCES))
    sentiment = _choice(query.get("sentiment"), SENTIMENTS)
    state = _choice(query.get("state"), tuple(STATE_LABELS))
    since_day = parse_date(query.get("since"))
    since = local_midnight(since_day, ZoneInfo(community.timezone)) if since_day else None
    page = parse_int(query.get("page"), low=1, high=100_000) or 1
    with get_state(request).engine.connect() as conn:
        found = get_mentions_page(
            conn,
            community,
            since=since,
            sentiment=sentiment,
            state=state,
            source=source,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    replies = {m.id: get_suggested_reply(community, m) for m in found.items}
    filters = {
        k: v
        for k, v in {
            "source": source,
            "sentiment": sentiment,
            "state": state,
            "since": since_day.isoformat() if since_day else None,
        }.items()
        if v
    }
    msg = MESSAGES.get(query.get("msg", ""))
    return render(
        request,
        "mentions.html",
        community=community,
        items=found.items,
        total=found.total,
        first=(page - 1) * PAGE_SIZE,
        page=page,
        pages=max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE),
        filters=filters,
        filter_query="&".join(f"{k}={v}" for k, v in filters.items()),
        sources=list(SOURCES),
        sentiments=SENTIMENT_LABELS,
        states=STATE_LABELS,
        act_labels=ACT_LABELS,
        replies=replies,
        message=_(msg) if msg else None,
        page_name="mentions",
    )


@router.post("/c/{community_id}/mentions/{mention_id}/act")
def act(
    request: Request,
    community_id: int,
    mention_id: int,
    state: str = Form(...),
    note: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    if state not in ACTED_STATES:
        raise HTTPException(400, "state")
    community = community_or_404(request, community_id)
    try:
        do_act_on_mention(
            get_state(request).engine,
            mention_id,
            state,
            note=note.strip()[:2000] or None,
            community_id=community.id,
            actor=f"web:{session.user.email}",
            now=get_state(request).now(),
        )
    except NotFoundError:
        raise HTTPException(404) from None
    kept = {
        k: v
        for k, v in request.query_params.items()
        if k in ("source", "sentiment", "state", "since", "page")
    }
    return see_other(f"/c/{community.id}/mentions", **kept, msg=state)
