"""Running the dashboard with uvicorn: `serve` for real use, `serve_demo` for the demo on loopback."""

from __future__ import annotations

import gc
import ipaddress
import os
import secrets
import sys
import threading
import time

import uvicorn
from fastapi import FastAPI

from tending.config import load_settings
from tending.errors import UsageError
from tending.web.app import create_app
from tending.web.auth import WebState
from tending.web.proxy import parse_allowed
from tending.web.views.checkins import warm_checkins
from tending.web.views.members import warm_states
from tending.web.views.moderation import preload as preload_moderation
from tending.web.views.overview import warm_overviews


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_key_from_settings() -> str | None:
    """TENDING_WEB_SECRET_KEY, else `secret_key` in the config file's [web] section, else None (random)."""
    explicit = os.environ.get("TENDING_WEB_SECRET_KEY")
    if explicit:
        return explicit
    value = load_settings().section("web").get("secret_key")
    return str(value) if value else None


WARM_EVERY_SECONDS = 30


def preload_and_freeze() -> None:
    """Load the moderation models, then move every object alive (the app, its templates, the models'
    vocabularies: some 150,000) out of the garbage collector's reach: they live as long as the process,
    and a full collection rescanning them took 75 ms in the middle of a request."""
    preload_moderation()
    gc.freeze()


def start_warmer(state: WebState, *, every: float = WARM_EVERY_SECONDS) -> threading.Thread:
    """A background thread that recomputes the overviews and the check-in queues when the data changed or the
    hour turned (a cheap check otherwise), and records the outcomes of check-ins."""

    def loop() -> None:
        try:
            preload_and_freeze()
        except (
            Exception
        ) as error:  # a thread's boundary: the page loads the models itself, and says why
            print(
                f"tending: could not load the moderation models ({type(error).__name__}).",
                file=sys.stderr,
            )
        while True:
            for name, warm in (
                ("overview", warm_overviews),
                ("check-ins", warm_checkins),
                ("member states", warm_states),
            ):
                try:
                    warm(state)
                except (
                    Exception
                ) as error:  # never let the warmer take the server down; the page computes itself
                    print(
                        f"tending: could not precompute the {name} ({type(error).__name__}).",
                        file=sys.stderr,
                    )
            time.sleep(every)

    thread = threading.Thread(target=loop, daemon=True, name="tending-overview-warmer")
    thread.start()
    return thread


def proxy_from_settings(proxy_headers: bool | None, forwarded_allow_ips: str | None) -> str | None:
    """The proxy addresses to trust: the options, else [web] proxy_headers and forwarded_allow_ips in the
    config file; None when X-Forwarded-* headers are to be ignored (the default)."""
    section = load_settings().section("web")
    enabled = (
        proxy_headers
        if proxy_headers is not None
        else bool(forwarded_allow_ips or section.get("proxy_headers", False))
    )
    if not enabled:
        return None
    allowed = forwarded_allow_ips or section.get("forwarded_allow_ips") or "127.0.0.1,::1"
    parse_allowed(str(allowed))  # a mistake is refused before the server starts
    return str(allowed)


def serve(
    engine_url: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    proxy_headers: bool | None = None,
    forwarded_allow_ips: str | None = None,
) -> None:
    trusted = proxy_from_settings(proxy_headers, forwarded_allow_ips)
    app = create_app(engine_url, secret_key=secret_key_from_settings(), forwarded_allow_ips=trusted)
    start_warmer(app.state.web)
    print(f"tending dashboard on http://{host}:{port}/ (Ctrl+C to stop)", file=sys.stderr)
    if trusted is not None:
        print(f"Trusting X-Forwarded-Proto/-Host/-For from {trusted}.", file=sys.stderr)
    if not is_loopback(host) and trusted is None:
        print(
            "Listening beyond this machine: put it behind HTTPS (a reverse proxy) before real use.",
            file=sys.stderr,
        )
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def demo_app(engine_url: str, community_id: int) -> tuple[FastAPI, str]:
    """The demo dashboard and its login path (/demo-login?token=...), good while this server runs."""
    app = create_app(engine_url, demo_login=True)
    state: WebState = app.state.web
    state.demo_token = secrets.token_urlsafe(32)
    state.demo_community_id = community_id
    return app, f"/demo-login?token={state.demo_token}"


def serve_demo(
    engine_url: str, community_id: int, host: str = "127.0.0.1", port: int = 8000
) -> None:
    """Serve the demo on loopback with its admin logged in by a link printed here.

    The link works from this machine only, as often as needed while the demo runs; a restart makes a new
    one. Other hosts are refused: the demo admin has no password, so the demo must never listen beyond this
    machine.
    """
    if not is_loopback(host):
        raise UsageError(
            f"--host: the demo only listens on this machine (127.0.0.1), not on '{host}'."
        )
    app, path = demo_app(engine_url, community_id)
    start_warmer(app.state.web)
    shown = (
        "127.0.0.1" if host in ("localhost", "127.0.0.1") else f"[{host}]" if ":" in host else host
    )
    print(
        f"Open the demo dashboard (logged in as the demo admin; the link works while the demo runs):\n"
        f"  http://{shown}:{port}{path}",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
