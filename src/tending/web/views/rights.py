"""Members' rights on the dashboard: download what tending holds about a member (moderators and admins), and
erase a member after a confirmation that shows what will go (admins only). Both call tending.actions.rights."""

from __future__ import annotations

import json

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tending.actions import rights
from tending.actions.web_users import WebSession
from tending.errors import UsageError
from tending.lib.export_html import render_member_export
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, see_other

router = APIRouter()

# a downloaded export is a page of its own: nothing to load, its own inline style
EXPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
)
ERASURE_LINES = (
    ("accounts", N_("accounts: platform ids, handles, e-mail addresses")),
    (
        "texts",
        N_(
            "texts of their activities (the activities stay, anonymous, so the figures do not change)"
        ),
    ),
    ("tags", N_("tags")),
    ("notes", N_("private notes")),
    ("messages", N_("messages drafted or sent to them (their name is removed from shared posts)")),
    ("checkins", N_("check-ins (kept for the figures, without any text)")),
    ("moderation_items", N_("moderation findings about them")),
)


def _ref(member_id: int) -> str:
    return f"#{member_id}"


@router.get("/c/{community_id}/members/{member_id}/export")
def export_member(
    request: Request,
    community_id: int,
    member_id: int,
    format: str = "html",
    session: WebSession = require("moderator"),
) -> Response:
    """Everything tending holds about the member, as a file for them: HTML (the community's language) or JSON."""
    community = community_or_404(request, community_id)
    try:
        with get_state(request).engine.connect() as conn:
            export = rights.get_member_export(
                conn, community, _ref(member_id), now=get_state(request).now()
            )
    except UsageError:
        raise HTTPException(404) from None
    data = export.as_dict()
    name = f"member-{export.member_id}-{export.generated_at.date().isoformat()}"
    if format == "json":
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2, default=str),
            media_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    page = render_member_export(data, language=export.language, timezone=export.timezone)
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.html"',
            "Content-Security-Policy": EXPORT_POLICY,
        },
    )


@router.get("/c/{community_id}/members/{member_id}/erase")
def erase_confirmation(
    request: Request, community_id: int, member_id: int, session: WebSession = require("admin")
) -> Response:
    community = community_or_404(request, community_id)
    _ = translator(request)
    try:
        with get_state(request).engine.connect() as conn:
            preview = rights.get_erasure_preview(conn, community, _ref(member_id))
    except UsageError as error:
        if "erased" in str(error):
            return render(
                request,
                "error.html",
                status_code=409,
                community=community,
                title=_("Already erased"),
                message=_("This member was erased: nothing about them is left to erase."),
            )
        raise HTTPException(404) from None
    lines = [(preview.counts.get(key, 0), _(words)) for key, words in ERASURE_LINES]
    return render(
        request,
        "member_erase.html",
        community=community,
        member_id=preview.member_id,
        merged=len(preview.member_ids) - 1,
        lines=lines,
        page_name="members",
    )


@router.post("/c/{community_id}/members/{member_id}/erase")
def erase_member(
    request: Request, community_id: int, member_id: int, session: WebSession = acting("admin")
) -> Response:
    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            result = rights.do_erase_member(
                conn, community, _ref(member_id), actor=f"web:{session.user.email}", now=state.now()
            )
    except UsageError:
        return see_other(f"/c/{community.id}/members/{member_id}", error="erased")
    return see_other(f"/c/{community.id}/members/{result.member_id}", msg="erased")


@router.post("/settings/communities/{community_id}/retention")
def set_retention(
    request: Request,
    community_id: int,
    text_days: str = Form(""),
    session: WebSession = acting("admin"),
) -> Response:
    """How many days a community's message texts are kept (empty: for ever); the worker applies it nightly."""
    community = community_or_404(request, community_id)
    _ = translator(request)
    value = text_days.strip()
    refused = render(
        request,
        "error.html",
        status_code=400,
        title=_("Not saved"),
        message=_(
            "Message texts kept: a whole number of days between 1 and 36500, or empty to keep "
            "them for ever."
        ),
    )
    if value and not value.isdigit():
        return refused
    try:
        with get_state(request).engine.begin() as conn:
            rights.do_set_retention_days(
                conn, community, int(value) if value else None, actor=f"web:{session.user.email}"
            )
    except UsageError:
        return refused
    return see_other("/settings", msg="retention_saved")
