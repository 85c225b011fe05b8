"""Logging in and out, the language switch, the demo's login link, and the front door."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from tending.actions import web_users as accounts
from tending.actions.communities import get_communities
from tending.actions.web_users import WebSession
from tending.web.auth import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    acting,
    check_login_csrf,
    client_ip,
    current_session,
    get_state,
    login_csrf,
    require,
    set_cookie,
)
from tending.web.i18n import LANGUAGES
from tending.web.pages import render, translator

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //): never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> Response:
    """A page with no database work: the benchmark's baseline, and a liveness probe. An admin asking for
    ?detail=1 gets the workers' last ticks and what is stuck, as JSON (what `tending status` says)."""
    if request.query_params.get("detail") != "1":
        return PlainTextResponse("ok")
    session = current_session(request)
    if session is None or session.user.role != "admin":
        return PlainTextResponse("ok")
    from tending.actions.worker import get_worker_status

    return JSONResponse(
        get_worker_status(get_state(request).engine, now=get_state(request).now()).as_dict()
    )


@router.get("/")
def home(request: Request, session: WebSession = require("viewer")) -> Response:
    state = get_state(request)
    with state.engine.connect() as conn:
        communities = get_communities(conn)
    if not communities:  # the first run: an admin sets up the first community
        first = "/setup" if session.user.role == "admin" else "/settings"
        return RedirectResponse(first, status_code=303)
    return RedirectResponse(f"/c/{communities[0].id}/overview", status_code=303)


def _login_page(
    request: Request, *, error: str | None = None, status_code: int = 200, email: str = ""
) -> Response:
    nonce, token = login_csrf(request)
    response = render(
        request,
        "login.html",
        demo=get_state(request).demo_login,
        login_token=token,
        error=error,
        email=email,
        next=safe_next(request.query_params.get("next")),
        status_code=status_code,
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, nonce, max_age=3600)
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        set_cookie(request, response, LANGUAGE_COOKIE, str(lang), max_age=365 * 86400)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    _ = translator(request)
    if not check_login_csrf(request, csrf_token):
        return _login_page(
            request,
            error=_("This form has expired. Please try again."),
            status_code=403,
            email=email,
        )
    state = get_state(request)
    with state.engine.begin() as conn:
        result = accounts.do_login(conn, email, password, ip=client_ip(request), now=state.now())
    if result.token is None:
        if result.failure == "throttled":
            return _login_page(
                request,
                error=_("Too many failed attempts. Wait 15 minutes and try again."),
                status_code=429,
                email=email,
            )
        return _login_page(
            request, error=_("Wrong e-mail address or password."), status_code=401, email=email
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        result.token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: WebSession = acting("viewer")) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    with get_state(request).engine.begin() as conn:
        accounts.do_logout(conn, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/language")
def set_language(
    request: Request,
    language: str = Form(...),
    next: str = Form("/"),
    session: WebSession = acting("viewer"),
) -> Response:
    state = get_state(request)
    if language in LANGUAGES:
        with state.engine.begin() as conn:
            accounts.do_set_language(conn, session.user, language=language, now=state.now())
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/demo-login")
def demo_login(request: Request, token: str = "") -> Response:
    """The demo's link (server.serve_demo prints it): loopback only, and it keeps working while the demo
    runs (a closed tab or a log-out must not lock the person out of the demo); a restart makes a new one."""
    state = get_state(request)
    if not (
        state.demo_login
        and state.demo_token
        and client_ip(request) in ("127.0.0.1", "::1")
        and hmac.compare_digest(token.encode(), state.demo_token.encode())
    ):
        return RedirectResponse("/login", status_code=303)
    with state.engine.begin() as conn:
        user = accounts.ensure_demo_admin(conn, now=state.now())
        session_token = accounts.open_session(conn, user, now=state.now())
    target = f"/c/{state.demo_community_id}/overview" if state.demo_community_id else "/"
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        session_token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )
    return response
