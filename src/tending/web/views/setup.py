"""Setting up a community: the first-run page (`/setup`: name, platform, language, time zone, "start here"
link) and each community's page (`/c/<id>/setup`): the same settings, its onboarding texts with a preview in
both languages (save, preview, reset to the default) and starting its playbook, refused while a text or link
still holds a placeholder. Admins change them; calls tending.actions.setup and tending.actions.onboarding."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from tending.actions.communities import get_communities
from tending.actions.web_users import WebSession
from tending.errors import TendingError
from tending.models import Community
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import community_or_404, see_other

router = APIRouter()

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

COMMON_ZONES = (
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Luxembourg",
    "America/Montreal",
    "America/Toronto",
    "Africa/Casablanca",
    "Africa/Dakar",
    "Indian/Reunion",
    "America/Martinique",
    "Europe/London",
    "America/New_York",
    "UTC",
)
TEXT_LABELS = {
    "welcome": N_("Personal welcome"),
    "weekly_welcome": N_("Weekly welcome post"),
    "two_months": N_("Two months after joining"),
    "anniversary": N_("Anniversary"),
    "newcomer_checkin": N_("Check-in with a silent newcomer"),
}
MESSAGES = {
    "created": N_("Community created. Check its texts below, then start its onboarding."),
    "saved": N_("Community saved."),
    "text_saved": N_("Text saved: the next messages use it."),
    "text_reset": N_("Text reset to the default."),
    "enabled": N_("Onboarding started: its messages are drafted for you to approve."),
}


@router.get("/setup")
def first_run(request: Request, session: WebSession = require("admin")) -> Response:
    return _first_run(request)


def _first_run(
    request: Request,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from tending.actions.setup import PLATFORMS

    with get_state(request).engine.connect() as conn:
        existing = get_communities(conn)
    language = translator(request).language
    return render(
        request,
        "setup_new.html",
        platforms=PLATFORMS,
        zones=COMMON_ZONES,
        community_languages_names=LANGUAGE_NAMES,
        existing=existing,
        values=values
        or {"language": language, "timezone": "Europe/Paris" if language == "fr" else "UTC"},
        error=error,
        page_name="setup",
        status_code=status_code,
    )


@router.post("/setup")
def create(
    request: Request,
    name: str = Form(""),
    platform: str = Form("facebook"),
    language: str = Form("fr"),
    timezone: str = Form("Europe/Paris"),
    start_url: str = Form(""),
    session: WebSession = acting("admin"),
) -> Response:
    from tending.actions.setup import do_setup_community

    values = {
        "name": name,
        "platform": platform,
        "language": language,
        "timezone": timezone,
        "start_url": start_url,
    }
    try:
        with get_state(request).engine.begin() as conn:
            community = do_setup_community(
                conn,
                name=name,
                platform=platform,
                language=language,
                timezone=timezone.strip(),
                start_url=start_url,
                actor=f"web:{session.user.email}",
            )
    except TendingError as error:
        return _first_run(request, error=_said(request, error), values=values, status_code=400)
    return see_other(f"/c/{community.id}/setup", msg="created")


@router.get("/c/{community_id}/setup")
def community_setup(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    return _setup(request, community_or_404(request, community_id))


def _setup(
    request: Request,
    community: Community,
    *,
    error: str | None = None,
    drafts: dict[tuple[str, str], str] | None = None,
    status_code: int = 200,
) -> Response:
    from tending.actions.onboarding import (
        community_templates,
        get_enabled,
        get_placeholders,
        get_rules_playbook,
    )
    from tending.actions.setup import get_text_views
    from tending.lib.settings import get_setting

    _ = translator(request)
    state = get_state(request)
    with state.engine.connect() as conn:
        playbook = get_rules_playbook(conn, community)
        enabled = get_enabled(conn, community)

    today = state.now().astimezone(_zone(community)).date()
    views = get_text_views(community, playbook, today=today, drafts=drafts)
    placeholders = get_placeholders(community, playbook, community_templates(community))
    links = get_setting(community.settings, "onboarding_links")
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "setup.html",
        community=community,
        zones=COMMON_ZONES,
        community_languages_names=LANGUAGE_NAMES,
        start_url=links[0]["url"] if links else "",
        playbook=playbook,
        enabled=enabled,
        views=_by_template(views),
        labels=TEXT_LABELS,
        placeholders=placeholders,
        open_texts={name for name, _language in (drafts or {})},
        message=_(msg) if msg else None,
        error=error,
        page_name="setup",
        status_code=status_code,
    )


def _said(request: Request, error: TendingError) -> str:
    """The refusal in the reader's language (the back end's catalogue, tending.texts)."""
    return error.in_language(translator(request).language)


def _zone(community: Community) -> Any:
    from tending.timeutil import get_zone

    return get_zone(community.timezone)


def _by_template(views: list[Any]) -> list[tuple[str, list[Any]]]:
    grouped: dict[str, list[Any]] = {}
    for view in views:
        grouped.setdefault(view.name, []).append(view)
    return list(grouped.items())


@router.post("/c/{community_id}/setup")
def save(
    request: Request,
    community_id: int,
    name: str = Form(""),
    language: str = Form(""),
    timezone: str = Form(""),
    start_url: str = Form(""),
    session: WebSession = acting("admin"),
) -> Response:
    from tending.actions.setup import do_update_setup

    community = community_or_404(request, community_id)
    try:
        with get_state(request).engine.begin() as conn:
            do_update_setup(
                conn,
                community,
                name=name or community.name,
                language=language or community.language,
                timezone=(timezone or community.timezone).strip(),
                start_url=start_url,
                actor=f"web:{session.user.email}",
            )
    except TendingError as error:
        return _setup(request, community, error=_said(request, error), status_code=400)
    return see_other(f"/c/{community.id}/setup", msg="saved")


@router.post("/c/{community_id}/setup/texts/{language}/{name}")
def save_text(
    request: Request,
    community_id: int,
    language: str,
    name: str,
    text: str = Form(""),
    action: str = Form("save"),
    session: WebSession = acting("admin"),
) -> Response:
    """One text: `preview` shows it rendered without saving, `save` checks and saves it, `reset` goes back
    to the default."""
    from tending.actions.setup import do_reset_text, do_set_text

    community = community_or_404(request, community_id)
    state = get_state(request)
    actor = f"web:{session.user.email}"
    if action == "preview":
        return _setup(request, community, drafts={(name, language): text.replace("\r\n", "\n")})
    try:
        with state.engine.begin() as conn:
            if action == "reset":
                do_reset_text(conn, community, name, language, actor=actor)
            else:
                today = state.now().astimezone(_zone(community)).date()
                do_set_text(conn, community, name, language, text, actor=actor, today=today)
    except TendingError as error:
        return _setup(
            request,
            community,
            error=_said(request, error),
            drafts={(name, language): text.replace("\r\n", "\n")},
            status_code=400,
        )
    done = "text_reset" if action == "reset" else "text_saved"
    return see_other(f"/c/{community.id}/setup", msg=done)


@router.post("/c/{community_id}/setup/enable")
def enable(request: Request, community_id: int, session: WebSession = acting("admin")) -> Response:
    """Start the built-in playbook from now on (what `tending onboarding enable` does)."""
    from tending.actions.onboarding import default_playbook, do_enable_playbook

    community = community_or_404(request, community_id)
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            do_enable_playbook(
                conn,
                community,
                default_playbook(),
                since=state.now(),
                actor=f"web:{session.user.email}",
            )
    except TendingError as error:
        return _setup(request, community, error=_said(request, error), status_code=400)
    return see_other(f"/c/{community.id}/setup", msg="enabled")
