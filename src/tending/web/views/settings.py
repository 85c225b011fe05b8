"""Settings: the communities, the users and their roles (admins change them), and whether delivery
credentials are configured (never their values)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tending.actions import web_users as accounts
from tending.actions.communities import get_communities
from tending.actions.web_users import LANGUAGES, ROLES, WebSession
from tending.config import load_settings, secret
from tending.errors import TendingError, UsageError
from tending.web.auth import acting, get_state, require
from tending.web.pages import N_, render, translator
from tending.web.views.common import see_other

router = APIRouter()

# Credential names per channel, as TENDING_<NAME> environment variables or keys of the config file's
# [delivery.<channel>] section. Only whether each is set is shown.
CREDENTIALS = {
    "email": ("smtp_host", "smtp_username", "smtp_password"),
    "matrix": ("matrix_homeserver", "matrix_access_token"),
    "discord": ("discord_webhook_url",),
    "discourse": ("discourse_url", "discourse_api_key"),
    "slack": ("slack_token",),
}
MESSAGES = {
    "user_added": N_("User added."),
    "role_changed": N_("Role changed."),
    "retention_saved": N_(
        "How long message texts are kept is saved; the worker applies it every night."
    ),
    "user_removed": N_("User removed."),
}


def credential_status() -> list[dict[str, Any]]:
    try:
        values = load_settings().file_values
    except TendingError:
        values = {}
    delivery = values.get("delivery", {}) if isinstance(values.get("delivery"), dict) else {}
    status = []
    for channel, names in CREDENTIALS.items():
        section = delivery.get(channel) if isinstance(delivery.get(channel), dict) else {}
        present = {name: secret(name, section) is not None for name in names}
        status.append({"channel": channel, "names": present, "configured": all(present.values())})
    return status


@router.get("/settings")
def settings_page(request: Request, session: WebSession = require("viewer")) -> Response:
    return _settings(request, session)


def _settings(
    request: Request, session: WebSession, *, error: str | None = None, status_code: int = 200
) -> Response:
    _ = translator(request)
    with get_state(request).engine.connect() as conn:
        communities = get_communities(conn)
        users = accounts.get_users(conn) if session.user.role == "admin" else []
        events = accounts.get_user_events(conn, limit=20) if session.user.role == "admin" else []
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return render(
        request,
        "settings.html",
        all_communities=communities,
        users=users,
        events=events,
        roles=ROLES,
        user_languages=LANGUAGES,
        credentials=credential_status(),
        message=_(msg) if msg else None,
        error=error,
        page_name="settings",
        status_code=status_code,
    )


def _by_id(request: Request, user_id: int) -> accounts.WebUser:
    with get_state(request).engine.connect() as conn:
        user = accounts.get_user(conn, user_id)
    if user is None:
        raise HTTPException(404)
    return user


def _attempt(request: Request, session: WebSession, action: Any, done: str) -> Response:
    state = get_state(request)
    try:
        with state.engine.begin() as conn:
            action(conn, state.now())
    except UsageError as error:
        return _settings(request, session, error=str(error), status_code=400)
    return see_other("/settings", msg=done)


@router.post("/settings/users")
def add_user(
    request: Request,
    email: str = Form(...),
    role: str = Form(...),
    password: str = Form(...),
    language: str = Form("en"),
    session: WebSession = acting("admin"),
) -> Response:
    return _attempt(
        request,
        session,
        lambda conn, now: accounts.do_add_user(
            conn,
            email,
            password=password,
            role=role,
            language=language,
            actor=session.user.email,
            now=now,
        ),
        "user_added",
    )


@router.post("/settings/users/{user_id}/role")
def set_role(
    request: Request, user_id: int, role: str = Form(...), session: WebSession = acting("admin")
) -> Response:
    user = _by_id(request, user_id)
    return _attempt(
        request,
        session,
        lambda conn, now: accounts.do_set_role(
            conn, user.email, role=role, actor=session.user.email, now=now
        ),
        "role_changed",
    )


@router.post("/settings/users/{user_id}/remove")
def remove_user(request: Request, user_id: int, session: WebSession = acting("admin")) -> Response:
    user = _by_id(request, user_id)
    return _attempt(
        request,
        session,
        lambda conn, now: accounts.do_remove_user(
            conn, user.email, actor=session.user.email, now=now
        ),
        "user_removed",
    )
