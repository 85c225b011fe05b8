"""Who is asking, and may they: sessions, roles, CSRF tokens.

- Sessions are server-side rows (tending.store.web_users); the cookie holds a random token (256 bits) that
  the database only knows hashed. Cookies are HttpOnly, SameSite=Lax, Path=/, and Secure over HTTPS.
- Roles are ordered viewer < moderator < admin and checked on the server for every route.
- CSRF (OWASP CSRF Prevention Cheat Sheet): every POST carries a `csrf_token` form field. Logged in, it must
  equal the session's own token ("synchronizer token"); on the login form, before any session exists, it is a
  signed double-submit token bound to a random cookie. A cross-site Origin header is refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from starlette.responses import Response

from tending.actions import web_users as accounts
from tending.actions.web_users import ROLES, WebSession

SESSION_COOKIE = "tending_session"
LOGIN_CSRF_COOKIE = "tending_login_csrf"
LANGUAGE_COOKIE = "tending_lang"
LOGIN_CSRF_MAX_AGE = 3600


@dataclass
class WebState:
    """What every request needs: set once by create_app, read through get_state()."""

    engine: Engine
    secret_key: str
    demo_login: bool = False
    demo_token: str | None = None
    demo_community_id: int | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    cache: dict[Any, Any] = field(default_factory=dict)
    uploads: list[Any] = field(
        default_factory=list
    )  # imports started from this process (views.imports)
    syncing: set[int] = field(default_factory=set)  # connectors syncing now, from views.sources

    def now(self) -> datetime:
        from tending.timeutil import ensure_utc

        return ensure_utc(self.clock())


CACHE_SIZE = 256


def remember(state: WebState, key: Any, value: Any) -> None:
    """Keep a computed value in the process's small cache (emptied when full: keys carry the data stamp, so
    stale entries are never read, only left behind)."""
    if len(state.cache) >= CACHE_SIZE:
        state.cache.clear()
    state.cache[key] = value


class NotLoggedIn(Exception):
    """Raised by a dependency; the app answers with a redirect to the login page."""


class Forbidden(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_session(request: Request) -> WebSession | None:
    if hasattr(request.state, "session"):
        return request.state.session
    token = request.cookies.get(SESSION_COOKIE)
    session = None
    if token:
        state = get_state(request)
        with state.engine.connect() as conn:
            session = accounts.get_session(conn, token, now=state.now())
    request.state.session = session
    return session


def role_at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def require(role: str) -> Any:
    """A dependency: the logged-in session, if its user has at least `role` (GET pages)."""

    def dependency(request: Request) -> WebSession:
        session = current_session(request)
        if session is None:
            raise NotLoggedIn()
        if not role_at_least(session.user.role, role):
            raise Forbidden("role")
        return session

    return Depends(dependency)


def acting(role: str) -> Any:
    """A dependency for POST routes: logged in, a valid CSRF token, and at least `role`."""

    async def dependency(request: Request) -> WebSession:
        session = current_session(request)
        if session is None:
            raise NotLoggedIn()
        check_origin(request)
        form = await request.form()
        if not tokens_match(str(form.get("csrf_token") or ""), session.csrf_token):
            raise Forbidden("csrf")
        if not role_at_least(session.user.role, role):
            raise Forbidden("role")
        return session

    return Depends(dependency)


def tokens_match(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def check_origin(request: Request) -> None:
    """Browsers send Origin on POST; one that is not this site means a cross-site request."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise Forbidden("csrf")


# -- the login form's CSRF (no session yet) --------------------------------------------------------------


def _serializer(state: WebState) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(state.secret_key, salt="tending-login-csrf")


def login_csrf(request: Request) -> tuple[str, str]:
    """(cookie value, form token): reuse the browser's cookie when it has one."""
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return nonce, _serializer(get_state(request)).dumps(nonce)


def check_login_csrf(request: Request, form_token: str) -> bool:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not nonce or not form_token:
        return False
    try:
        signed = _serializer(get_state(request)).loads(form_token, max_age=LOGIN_CSRF_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(signed, str) and tokens_match(signed, nonce)


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
