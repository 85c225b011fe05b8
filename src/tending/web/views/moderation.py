"""Moderation: the review queue of tending.actions.moderation with each finding's evidence (the matched text
and phrases, the earlier copy of a repost, the messages of a heated exchange, the scores), the member's
history (escalation), one-click graded actions, and the suggested reply to edit before acting.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tending.actions.members import get_member_names
from tending.actions.web_users import WebSession
from tending.errors import TendingError
from tending.models import Community
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, parse_int, see_other

router = APIRouter()

PAGE_SIZE = 30
REPLY_ACTIONS = ("nudge", "note", "warn")
ACTION_LABELS = {
    "leave": N_("Leave it"),
    "nudge": N_("Nudge (public reply)"),
    "note": N_("Private note"),
    "warn": N_("Warn"),
    "remove": N_("Remove"),
}
SIGNAL_LABELS = {
    "spam": N_("spam"),
    "self_promotion": N_("self-promotion"),
    "repost": N_("repost"),
    "toxic": N_("insult or toxicity"),
    "heated": N_("heated exchange"),
    "off_topic_drift": N_("off-topic drift"),
    "complaint": N_("complaint to answer"),
}
MESSAGES = {
    action: N_("Done: the item is closed and the decision recorded.") for action in ACTION_LABELS
}
MESSAGES["handled"] = N_("This item was already handled meanwhile.")


def preload(_state: object = None) -> None:
    """Import the moderation capability (its models and language identifier take seconds to load) before the
    first visit: the server's background thread calls this once."""
    from tending.actions.review import do_warm_up

    do_warm_up()


def _activity_texts(
    conn: Connection, community_id: int, items: list[dict[str, Any]]
) -> dict[int, Any]:
    """The texts of the messages of heated exchanges (the other evidence carries its own text)."""
    from tending.actions.review import get_activity_texts

    ids = [
        m["activity_id"]
        for item in items
        if item["signal"] == "heated"
        for m in (item["evidence"] or {}).get("messages", [])[:12]
    ]
    return get_activity_texts(conn, community_id, ids) if ids else {}


def _editor(
    conn: Connection, community: Community, item: dict[str, Any], wanted: str | None
) -> dict[str, Any]:
    """Which reply the item's editor shows: the one asked for (?reply=<id>:<action>), else the suggested
    action's when it drafts one."""
    from tending.actions.moderation import get_suggested_reply

    action = wanted if wanted in REPLY_ACTIONS else item["suggested_action"]
    if action not in REPLY_ACTIONS:
        return {"action": None, "text": None}
    return {"action": action, "text": get_suggested_reply(conn, community, item, action)}


@router.get("/c/{community_id}/moderation")
def moderation(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    from tending.actions.moderation import get_queue
    from tending.actions.moderation_rules import get_default_actions
    from tending.actions.review import DONE, OPEN, get_offender_counts

    community = community_or_404(request, community_id)
    _ = translator(request)
    show = "done" if request.query_params.get("show") == "done" else "open"
    page = parse_int(request.query_params.get("page"), low=1, high=100_000) or 1
    asked = request.query_params.get("reply", "")
    asked_id, _sep, asked_action = asked.partition(":")
    with get_state(request).engine.connect() as conn:
        items = get_queue(
            conn, community, status=OPEN if show == "open" else DONE, limit=page * PAGE_SIZE + 1
        )
        more = len(items) > page * PAGE_SIZE
        items = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        people = {i["member_id"] for i in items if i["member_id"]}
        people |= {
            m
            for i in items
            if i["signal"] == "heated"
            for m in (i["evidence"] or {}).get("members", [])
        }
        names = get_member_names(conn, community.id, sorted(people))
        history = get_offender_counts(conn, community.id, people)
        texts = _activity_texts(conn, community.id, items)
        default_action = get_default_actions(conn, community)
        editors = (
            {
                item["id"]: _editor(
                    conn, community, item, asked_action if asked_id == str(item["id"]) else None
                )
                for item in items
            }
            if show == "open"
            else {}
        )
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "moderation.html",
        community=community,
        items=items,
        names=names,
        history=history,
        texts=texts,
        editors=editors,
        show=show,
        page=page,
        more=more,
        default_action=default_action,
        actions=ACTION_LABELS,
        signals=SIGNAL_LABELS,
        reply_actions=REPLY_ACTIONS,
        message=_(msg) if msg else None,
        page_name="moderation",
    )


@router.post("/c/{community_id}/moderation/{item_id}/act")
def act(
    request: Request,
    community_id: int,
    item_id: int,
    action: str = Form(...),
    reply: str = Form(""),
    reply_for: str = Form(""),
    note: str = Form(""),
    session: WebSession = acting("moderator"),
) -> Response:
    """One click: record the decision (tending.actions.moderation.do_act_on_item, audited) with the reply as
    edited when it is the reply of this action; another action drafts its own template's reply."""
    from tending.actions.moderation import do_act_on_item

    if action not in ACTION_LABELS:
        raise HTTPException(400, "action")
    community = community_or_404(request, community_id)
    state = get_state(request)
    edited = (
        reply.replace("\r\n", "\n") if reply_for == action and action in REPLY_ACTIONS else None
    )
    try:
        with state.engine.begin() as conn:
            do_act_on_item(
                conn,
                community,
                item_id,
                action,
                actor=f"web:{session.user.email}",
                now=state.now(),
                note=note.strip()[:2000] or None,
                reply=edited,
            )
    except TendingError as error:
        if "no queue item" in str(error):
            raise HTTPException(404) from None
        return see_other(f"/c/{community.id}/moderation", msg="handled")
    return see_other(f"/c/{community.id}/moderation", msg=action)
