"""Onboarding: the enabled playbook's rules, what running it now would create, and the outbox, where
moderators approve, edit or skip what goes out. Calls tending.actions.onboarding, tending.actions.outbox
and tending.actions.run (send now).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from sqlalchemy import Connection
from starlette.responses import Response

from tending.actions.members import get_member_names
from tending.actions.web_users import WebSession
from tending.errors import TendingError, UsageError
from tending.models import Community
from tending.web.auth import acting, get_state, require, role_at_least
from tending.web.i18n import Translator
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, parse_int, see_other

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
CHANNEL_LABELS = {
    "private": N_("private message"),
    "email": N_("e-mail"),
    "post": N_("public post"),
    "staff": N_("note to the staff"),
}
EDITABLE = ("drafted", "approved", "failed")
MESSAGES = {
    "approved": N_("Message approved: it goes out when due."),
    "skipped": N_("Message skipped: it will not be sent."),
    "edited": N_("Message saved."),
    "refused": N_("This message can no longer be changed (it was sent or skipped meanwhile)."),
    "empty": N_("A message cannot be empty."),
    "sent": N_("Message sent."),
    "posted_by_hand": N_("Message recorded as posted by hand: it counts as sent."),
    "not_sent": N_("The message could not be sent: its error is shown with it."),
    "undone": N_("Undone: the messages are drafted again."),
    "not_undone": N_("Nothing was undone: the messages were sent or decided again meanwhile."),
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
    from tending.actions.outbox import count_by_status
    from tending.actions.outbox_queue import (
        get_last_outbox_decision,
        get_outbox_listing,
        get_outbox_rules,
    )

    community = community_or_404(request, community_id)
    _ = translator(request)
    state = get_state(request)
    params = request.query_params
    show = params.get("show", "pending")
    page = parse_int(params.get("page"), low=1, high=100_000) or 1
    filters = {k: params.get(k, "").strip() for k in OUTBOX_FILTERS if params.get(k, "").strip()}
    with state.engine.connect() as conn:
        where = _outbox_filter(conn, community, show, filters, state.now())
        counts = count_by_status(conn, community.id)
        listing = get_outbox_listing(
            conn,
            community,
            where,
            limit=OUTBOX_PAGE,
            offset=(page - 1) * OUTBOX_PAGE,
            total=_total_from_counts(where, counts),
        )
        messages = listing.messages
        rules = get_outbox_rules(conn, community)
        playbook = _playbook(conn, community, state.now(), _.language)
        wanted = {m for message in messages for m in message.member_ids[:20]}
        wanted |= {m for item in playbook.get("upcoming", [])[:50] for m in item.member_ids[:20]}
        names = _names(conn, community.id, wanted)
        last = (
            get_last_outbox_decision(conn, community, actor=_actor(session), now=state.now())
            if role_at_least(session.user.role, "moderator")
            else None
        )
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "onboarding.html",
        last=last,
        community=community,
        messages=messages,
        rows=_outbox_rows(community, messages, names, _),
        channel_labels={k: _(v) for k, v in CHANNEL_LABELS.items()},
        counts=counts,
        show=show,
        names=names,
        message=_(msg) if msg else None,
        page_name="onboarding",
        outbox_total=listing.total,
        outbox_first=listing.offset + 1,
        outbox_last=listing.offset + len(messages),
        outbox_page=page,
        outbox_more=listing.offset + len(messages) < listing.total,
        outbox_filters=filters,
        outbox_rules=rules,
        outbox_query=lambda **extra: urlencode({**filters, "show": show, **extra}),
        outbox_export_query=urlencode({"show": show, **filters}),
        **playbook,
    )


OUTBOX_PAGE = 50
OUTBOX_FILTERS = ("status", "rule", "channel", "language")


def _total_from_counts(where: Any, counts: dict[str, int]) -> int | None:
    """The listing's "of M" from the per-status counts the page shows anyway, when only states filter
    it (counting 100,000 drafted rows twice costs a page a tenth of its time)."""
    narrowed = (
        where.rules or where.channels or where.languages or where.member_ids or where.due_before
    )
    return None if narrowed else sum(counts.get(s, 0) for s in where.statuses)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """What the page shows of one message, computed once here rather than by helpers per row in
    the template (a 50-message page called gettext, Babel and macros some 500 times)."""

    id: int
    rule: str
    channel: str
    channel_label: str
    status: str
    status_label: str
    by_hand: bool
    due: str
    who: Markup
    needs_check: bool
    last_error: str | None
    editable: bool
    approvable: bool
    subject: str | None
    body: str


def _who(community_id: int, ids: list[int], names: dict[int, str], _: Translator) -> Markup:
    links = Markup(", ").join(
        Markup('<a href="/c/{}/members/{}">{}</a>').format(community_id, m, names.get(m, f"#{m}"))
        for m in ids[:5]
    )
    if len(ids) > 5:
        links += Markup(" ") + _("and %(n)s more", n=_.number(len(ids) - 5))
    return links


def _outbox_rows(
    community: Community, messages: list[Any], names: dict[int, str], _: Translator
) -> list[OutboxRow]:
    zone = ZoneInfo(community.timezone)
    return [
        OutboxRow(
            id=m.id,
            rule=m.rule,
            channel=m.channel,
            channel_label=_(CHANNEL_LABELS[m.channel])
            if m.channel in CHANNEL_LABELS
            else m.channel,
            status=m.status,
            status_label=_(m.status),
            by_hand=m.external_ref == "by-hand",
            due=_.local_datetime(m.due_at, zone, "short"),
            who=_who(community.id, m.member_ids, names, _),
            needs_check=m.needs_check,
            last_error=m.last_error,
            editable=m.status in EDITABLE,
            approvable=m.status in ("drafted", "failed"),
            subject=m.subject,
            body=m.body,
        )
        for m in messages
    ]


def _outbox_filter(
    conn: Connection, community: Community, show: str, filters: dict[str, str], now: Any
) -> Any:
    """The outbox tab's filter: pending or done states (or the one asked for), rule, channel, language;
    a value the actions refuse is dropped."""
    from tending.actions.outbox_queue import build_outbox_filter

    tab = DONE if show == "done" else PENDING
    status = filters.get("status", "")
    try:
        return build_outbox_filter(
            conn,
            community,
            now=now,
            statuses=(status,) if status in tab else tuple(tab),
            rules=(filters["rule"],) if filters.get("rule") else (),
            channels=(filters["channel"],) if filters.get("channel") else (),
            languages=(filters["language"],) if filters.get("language") else (),
        )
    except UsageError:
        return build_outbox_filter(conn, community, now=now, statuses=tuple(tab))


OUTBOX_EXPORT_MAX = 10_000


@router.get("/c/{community_id}/outbox/export.{fmt}")
def outbox_export(
    request: Request, community_id: int, fmt: str, session: WebSession = require("moderator")
) -> Response:
    """What the outbox tab lists with its filters, every page (up to 10,000 messages, the latest due
    first), as CSV or JSON. Moderators only: the messages' texts go to members in private."""
    import csv
    import io
    import json

    from starlette.exceptions import HTTPException

    from tending.actions.outbox_queue import OUTBOX_EXPORT_COLUMNS, get_outbox_export
    from tending.lib.csvsafe import safe_row

    if fmt not in ("csv", "json"):
        raise HTTPException(404)
    community = community_or_404(request, community_id)
    state = get_state(request)
    params = request.query_params
    show = params.get("show", "pending")
    filters = {k: params.get(k, "").strip() for k in OUTBOX_FILTERS if params.get(k, "").strip()}
    with state.engine.connect() as conn:
        where = _outbox_filter(conn, community, show, filters, state.now())
        total, rows = get_outbox_export(conn, community, where, limit=OUTBOX_EXPORT_MAX)
    headers = {
        "Content-Disposition": f'attachment; filename="outbox-{community.id}.{fmt}"',
        "X-Total-Count": str(total),
    }
    if fmt == "json":
        body = json.dumps({"total": total, "messages": rows}, ensure_ascii=False)
        return Response(body, media_type="application/json", headers=headers)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTBOX_EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(safe_row(_csv_cell(row[k]) for k in OUTBOX_EXPORT_COLUMNS))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return " ".join(str(v) for v in value) if isinstance(value, list) else value


@router.post("/c/{community_id}/outbox/bulk")
async def outbox_bulk(
    request: Request, community_id: int, session: WebSession = acting("moderator")
) -> Response:
    """Approve or skip the selected messages, or all the filter lists: a preview (step=preview) first,
    then the decision (step=confirm), checked whole again."""
    from starlette.exceptions import HTTPException

    from tending.actions.outbox_queue import do_bulk_outbox, get_outbox_preview

    community = community_or_404(request, community_id)
    state = get_state(request)
    form = await request.form()
    verb = str(form.get("verb", ""))
    if verb not in ("approve", "skip"):
        raise HTTPException(400, "verb")
    ids = list(dict.fromkeys(int(str(v)) for v in form.getlist("message") if str(v).isdigit()))
    filters = {
        k: str(form.get(k, "")).strip() for k in OUTBOX_FILTERS if str(form.get(k, "")).strip()
    }
    scope = str(form.get("scope", ""))
    actor = f"web:{session.user.email}"
    preview = None
    error = None
    try:
        if form.get("step") == "confirm":
            with state.engine.begin() as conn:
                where = (
                    _outbox_filter(conn, community, "pending", filters, state.now())
                    if scope == "filter"
                    else None
                )
                do_bulk_outbox(
                    conn, community, ids, verb, actor=actor, where=where, now=state.now()
                )
            return see_other(
                f"/c/{community.id}/onboarding", msg="approved" if verb == "approve" else "skipped"
            )
        with state.engine.connect() as conn:
            where = (
                _outbox_filter(conn, community, "pending", filters, state.now())
                if scope == "filter"
                else None
            )
            preview = get_outbox_preview(conn, community, ids, verb, where=where)
    except TendingError as refused:
        error = str(refused)
    return render(
        request,
        "outbox_bulk.html",
        community=community,
        preview=preview,
        error=error,
        verb=verb,
        page_name="onboarding",
    )


def _actor(session: WebSession) -> str:
    return f"web:{session.user.email}"


@router.post("/c/{community_id}/outbox/undo")
def undo(
    request: Request, community_id: int, session: WebSession = acting("moderator")
) -> Response:
    """Reopen the messages of one's latest approval or skip of the last hour (drafted again)."""
    from tending.actions.outbox_queue import do_undo_last_outbox_decision

    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            do_undo_last_outbox_decision(conn, community, actor=_actor(session), now=state.now())
    except TendingError:
        return see_other(f"/c/{community.id}/onboarding", msg="not_undone")
    return see_other(f"/c/{community.id}/onboarding", msg="undone")


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

    state = get_state(request)

    def action(conn: Connection, community: Community) -> str:
        do_approve(conn, community, message_id, actor=_actor(session), now=state.now())
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

    state = get_state(request)

    def action(conn: Connection, community: Community) -> str:
        do_skip(conn, community, message_id, actor=_actor(session), reason="human", now=state.now())
        return "skipped"

    return _act(request, community_id, message_id, action, back)


@router.post("/c/{community_id}/outbox/{message_id}/by-hand")
def posted_by_hand(
    request: Request,
    community_id: int,
    message_id: int,
    back: str = Form("onboarding"),
    session: WebSession = acting("moderator"),
) -> Response:
    """A moderator copied the message and posted it themselves (a platform tending cannot post to)."""
    from tending.actions.outbox import do_mark_posted_by_hand

    state = get_state(request)

    def action(conn: Connection, community: Community) -> str:
        do_mark_posted_by_hand(
            conn, community, message_id, actor=f"web:{session.user.email}", now=state.now()
        )
        return "posted_by_hand"

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
