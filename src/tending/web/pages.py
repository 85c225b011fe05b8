"""Rendering a page: the language, the community, the navigation and the CSRF token every template needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.responses import HTMLResponse

from tending.actions.communities import get_communities
from tending.actions.web_users import WebSession
from tending.models import Community
from tending.web.auth import LANGUAGE_COOKIE, current_session, get_state, role_at_least
from tending.web.i18n import LANGUAGES, Translator, environment, pick_language


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str
    path: str  # under /c/<id>


ROLE_LABELS = (N_("viewer"), N_("moderator"), N_("admin"))

NAV = (
    NavItem("overview", N_("Overview"), "overview"),
    NavItem("members", N_("Members"), "members"),
    NavItem("checkins", N_("Check-ins"), "checkins"),
    NavItem("onboarding", N_("Onboarding"), "onboarding"),
    NavItem("moderation", N_("Moderation"), "moderation"),
    NavItem("mentions", N_("Mentions"), "mentions"),
    NavItem("imports", N_("Sources"), "sources"),
    NavItem("setup", N_("Set-up"), "setup"),
)


def request_language(request: Request, session: WebSession | None = None) -> str:
    if session is not None:
        return session.user.language if session.user.language in LANGUAGES else "en"
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return pick_language(request.headers.get("accept-language"))


def translator(request: Request) -> Translator:
    return Translator(request_language(request, current_session(request)))


def render(
    request: Request,
    template: str,
    *,
    community: Community | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    session = current_session(request)
    language = request_language(request, session)
    state = get_state(request)
    with state.engine.connect() as conn:
        communities = get_communities(conn) if session is not None else []
    role = session.user.role if session else None
    values = {
        "request": request,
        "session": session,
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else "",
        "can_act": bool(role and role_at_least(role, "moderator")),
        "is_admin": bool(role and role_at_least(role, "admin")),
        "community": community,
        "communities": communities,
        "zone": ZoneInfo(community.timezone) if community else ZoneInfo("UTC"),
        "nav": NAV,
        "path": request.url.path,
        **context,
    }
    html = environment(language).get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Language": language})
