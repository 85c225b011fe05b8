"""The dashboard's FastAPI application: create_app() wires the store, the routes and the security headers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from tending.actions.database import analyze_if_never_analyzed, is_database_unavailable, open_store
from tending.api import create_api
from tending.api.app import PREFIX as API_PREFIX
from tending.errors import describe_unexpected
from tending.web.auth import Forbidden, NotLoggedIn, WebState
from tending.web.limits import BodyLimits
from tending.web.pages import render, translator
from tending.web.proxy import ProxyHeaders
from tending.web.views import (
    account,
    checkins,
    imports,
    members,
    mentions,
    moderation,
    moderation_rules,
    onboarding,
    overview,
    rights,
    settings,
    setup,
    sources,
)

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
ROUTERS = tuple(
    module.router
    for module in (
        account,
        overview,
        members,
        checkins,
        onboarding,
        moderation_rules,
        moderation,
        mentions,
        imports,
        sources,
        settings,
        setup,
        rights,
    )
)

# Everything comes from this site; no inline script; SVG charts are inline markup, not resources.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(
    engine_url: str,
    *,
    secret_key: str | None = None,
    demo_login: bool = False,
    forwarded_allow_ips: str | None = None,
) -> FastAPI:
    """The dashboard for the database at engine_url (migrated if needed).

    secret_key signs the login form's CSRF token and the demo's login link; sessions themselves
    are server-side rows, so a random key (the default) only means a login form open across a restart
    must be reloaded. demo_login enables /demo-login, for loopback requests only (see server.serve_demo).
    forwarded_allow_ips: behind a reverse proxy, the proxy's addresses whose X-Forwarded-* headers are
    believed (web/proxy.py); None ignores those headers.
    """
    app = FastAPI(title="tending", docs_url=None, redoc_url=None, openapi_url=None)
    engine = open_store(engine_url)
    with engine.begin() as conn:
        analyze_if_never_analyzed(conn)
    app.state.web = state = WebState(
        engine=engine, secret_key=secret_key or secrets.token_urlsafe(32), demo_login=demo_login
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # the JSON API, its own application (JSON errors, its own OpenAPI document), on the same database and clock
    app.mount(API_PREFIX, create_api(engine, clock=state.now), name="api")
    for router in ROUTERS:
        app.include_router(router)
    _add_handlers(app)
    app.middleware("http")(_no_data_in_errors)
    app.middleware("http")(_security_headers)
    app.add_middleware(BodyLimits)  # before any body is read: its size, and an upload's sender
    if forwarded_allow_ips is not None:
        app.add_middleware(
            ProxyHeaders, allowed=forwarded_allow_ips
        )  # outermost: every layer sees the client
    return app


async def _no_data_in_errors(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """An unexpected failure answers a plain 500 page and logs one line, its type and place, never its message
    or traceback (which may quote names, e-mail addresses or texts; SQL parameters are hidden by the engine)."""
    try:
        return await call_next(request)
    except Exception as error:
        log.error("%s %s: %s", request.method, request.url.path, describe_unexpected(error))
        return Response(
            "Something went wrong on our side; nothing half-written was kept.",
            status_code=500,
            media_type="text/plain; charset=utf-8",
        )


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _error: NotLoggedIn) -> Response:
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        _ = translator(request)
        message = (
            _(
                "This form has expired or did not come from this site. Go back, reload the page and try "
                "again."
            )
            if error.reason == "csrf"
            else _("Your role does not allow this.")
        )
        return render(
            request, "error.html", status_code=403, title=_("Not allowed"), message=message
        )

    @app.exception_handler(DBAPIError)
    async def database_unavailable(request: Request, error: DBAPIError) -> Response:
        """A locked SQLite file (an import holds the write lock) or an unreachable server: 503 and a
        sentence, not a 500, and the browser may try again shortly. Any other database error (a damaged
        database) is the unexpected failure it is: the plain 500, logged without data."""
        if not is_database_unavailable(error):
            log.error("%s %s: %s", request.method, request.url.path, describe_unexpected(error))
            return Response(
                "Something went wrong on our side; nothing half-written was kept.",
                status_code=500,
                media_type="text/plain; charset=utf-8",
            )
        _ = translator(request)
        response = render(
            request,
            "error.html",
            status_code=503,
            title=_("Busy"),
            message=_(
                "The database is busy (an import may be running) or out of reach. Try "
                "again in a minute."
            ),
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, _error: Exception) -> Response:
        """A number in the address too large for the database (a 20-digit id: OverflowError from SQLite,
        DataError from PostgreSQL): nothing can be there."""
        _ = translator(request)
        return render(
            request,
            "error.html",
            status_code=404,
            title=_("Not found"),
            message=_("There is nothing at this address."),
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        _ = translator(request)
        if error.status_code == 404:
            return render(
                request,
                "error.html",
                status_code=404,
                title=_("Not found"),
                message=_("There is nothing at this address."),
            )
        return render(
            request,
            "error.html",
            status_code=error.status_code,
            title=str(error.status_code),
            message=str(error.detail),
        )
