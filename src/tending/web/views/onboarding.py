"""Onboarding: the enabled playbook's rules, what running it now would create, and the outbox, where
moderators approve, edit or skip what goes out. Calls tending.actions.onboarding, tending.actions.outbox
and tending.actions.run (send now).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import Connection
from starlette.responses import Response

from tending.actions.members import get_member_names
from tending.actions.web_users import WebSession
from tending.errors import TendingError, UsageError
from tending.models import Community
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, see_other

router = APIRouter()

PENDING = ("drafted", "approved", "failed", "sending")
DONE = ("sent", "skipped")
STATUS_LABELS = (
    N_("drafted"),
    N_("approved"),
    N_("sending"),
    N_("sent"),
    N_("failed"),
    N_("skipped"),
)
MESSAGES = {
    "approved": N_("Message approved: it goes out when due."),
    "skipped": N_("Message skipped: it will not be sent."),
    "edited": N_("Message saved."),
    "refused": N_("This message can no longer be changed (it was sent or skipped meanwhile)."),
    "empty": N_("A message cannot be empty."),
    "sent": N_("Message sent."),
    "not_sent": N_("The message could not be sent: its error is shown with it."),
}


def _playbook(
    conn: Connection, community: Community, now: Any, language: str = "en"
) -> dict[str, Any]:
    from tending.actions.onboarding import describe_rules, get_active_playbook, get_plan

    try:
        enabled, playbook = get_active_playbook(conn, community)
    except UsageError:
        return {"enabled": None}
    try:
        _playbook_again, plan = get_plan(conn, community, now=now)
        upcoming = [i for i in plan.items if i.status == "create"]
    except TendingError as error:
        said = error.in_language(language)
        return {
            "enabled": enabled,
            "playbook": playbook,
            "plan_error": said,
            "upcoming": [],
            "words": describe_rules(playbook, language),
        }
    return {
        "enabled": enabled,
        "playbook": playbook,
        "upcoming": upcoming,
        "plan_error": None,
        "words": describe_rules(playbook, language),
    }


def _names(conn: Connection, community_id: int, member_ids: set[int]) -> dict[int, str]:
    return get_member_names(conn, community_id, sorted(member_ids))


@router.get("/c/{community_id}/onboarding")
def onboarding(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    from tending.actions.outbox import count_by_status, list_messages

    community = community_or_404(request, community_id)
    _ = translator(request)
    state = get_state(request)
    show = request.query_params.get("show", "pending")
    statuses = list(DONE) if show == "done" else list(PENDING)
    with state.engine.connect() as conn:
        messages = list_messages(conn, community.id, statuses=statuses, limit=100)
        counts = count_by_status(conn, community.id)
        playbook = _playbook(conn, community, state.now(), _.language)
        wanted = {m for message in messages for m in message.member_ids[:20]}
        wanted |= {m for item in playbook.get("upcoming", [])[:50] for m in item.member_ids[:20]}
        names = _names(conn, community.id, wanted)
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "onboarding.html",
        community=community,
        messages=messages,
        counts=counts,
        show=show,
        names=names,
        message=_(msg) if msg else None,
        page_name="onboarding",
        **playbook,
    )


BACK_PAGES = (
    "onboarding",
    "checkins",
)  # the pages that show outbox messages; a form says which it came from


def _act(
    request: Request, community_id: int, message_id: int, action: Any, back: str = "onboarding"
) -> Response:
    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            outcome = action(conn, community)
    except UsageError as error:
        outcome = "empty" if "empty" in str(error) else "refused"
    page = back if back in BACK_PAGES else "onboarding"
    return see_other(f"/c/{community.id}/{page}", msg=outcome)


@router.post("/c/{community_id}/outbox/{message_id}/approve")
def approve(
    request: Request,
    community_id: int,
    message_id: int,
    back: str = Form("onboarding"),
    session: WebSession = acting("moderator"),
) -> Response:
    from tending.actions.outbox import do_approve

    def action(conn: Connection, community: Community) -> str:
        do_approve(conn, community, message_id, actor=f"web:{session.user.email}")
        return "approved"

    return _act(request, community_id, message_id, action, back)


@router.post("/c/{community_id}/outbox/{message_id}/skip")
def skip(
    request: Request,
    community_id: int,
    message_id: int,
    back: str = Form("onboarding"),
    session: WebSession = acting("moderator"),
) -> Response:
    from tending.actions.outbox import do_skip

    def action(conn: Connection, community: Community) -> str:
        do_skip(conn, community, message_id, actor=f"web:{session.user.email}", reason="human")
        return "skipped"

    return _act(request, community_id, message_id, action, back)


@router.post("/c/{community_id}/outbox/{message_id}/edit")
def edit(
    request: Request,
    community_id: int,
    message_id: int,
    body: str = Form(""),
    subject: str = Form(""),
    back: str = Form("onboarding"),
    session: WebSession = acting("moderator"),
) -> Response:
    from tending.actions.outbox import do_edit

    def action(conn: Connection, community: Community) -> str:
        do_edit(
            conn,
            community,
            message_id,
            actor=f"web:{session.user.email}",
            body=body.replace("\r\n", "\n"),
            subject=subject or None,
        )
        return "edited"

    return _act(request, community_id, message_id, action, back)


@router.post("/c/{community_id}/outbox/{message_id}/send")
def send_now(
    request: Request,
    community_id: int,
    message_id: int,
    back: str = Form("onboarding"),
    session: WebSession = acting("moderator"),
) -> Response:
    """Send one approved message now, before it is due: the same path as `tending outbox send` (claim the row,
    deliver through tending.delivery with the configured transports, record sent or failed)."""
    from tending.actions.delivery import ConfigurationError
    from tending.actions.run import do_send_now
    from tending.config import load_settings

    community = community_or_404(request, community_id)
    state = get_state(request)
    page = back if back in BACK_PAGES else "onboarding"
    try:
        after = do_send_now(
            state.engine,
            community,
            message_id,
            now=state.now(),
            actor=f"web:{session.user.email}",
            delivery_settings=load_settings().section("delivery"),
        )
    except (
        ConfigurationError
    ):  # the row is back in the queue untouched; `tending check` names the mistake
        return see_other(f"/c/{community.id}/{page}", msg="not_sent")
    except UsageError:
        return see_other(f"/c/{community.id}/{page}", msg="refused")
    return see_other(
        f"/c/{community.id}/{page}", msg="sent" if after.status == "sent" else "not_sent"
    )
