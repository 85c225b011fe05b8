"""Behind an HTTPS reverse proxy (issue 15, defect 5): POSTs pass the origin check, the session cookie is
Secure, and login throttling counts each real client; X-Forwarded-* from anyone but the proxy are ignored.
In process: the requests come from the proxy's address with the headers Caddy and nginx send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tending.web.app import create_app

from .conftest import EMAILS, NOW, PASSWORD, csrf_of

PUBLIC = "https://community.example.org"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "community.example.org"}


@pytest.fixture
def proxied(seeded: tuple[str, int]) -> Iterator[FastAPI]:
    application = create_app(
        seeded[0], secret_key="test secret", forwarded_allow_ips="127.0.0.1,::1"
    )
    application.state.web.clock = lambda: NOW
    yield application
    application.state.web.engine.dispose()


def _through_proxy(app: FastAPI, client_ip: str, *, peer: str = "127.0.0.1") -> TestClient:
    headers = {**FORWARDED, "X-Forwarded-For": client_ip, "Origin": PUBLIC}
    return TestClient(app, base_url="http://127.0.0.1:8000", client=(peer, 40000), headers=headers)


def _log_in(client: TestClient, email: str, password: str) -> Any:
    """The test client speaks plain HTTP to the origin, as the proxy does, so it would not send back a
    Secure cookie: the login form's cookie is sent by hand, as the browser does over HTTPS."""
    page = client.get("/login")
    nonce = page.headers["set-cookie"].split(";", 1)[0]
    assert nonce.startswith("tending_login_csrf=")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        headers={"Cookie": nonce},
        follow_redirects=False,
    )


def _log_out(client: TestClient, session_cookie: str) -> Any:
    """A POST made once logged in: it passes the origin check only if the origin knows its public address."""
    headers = {"Cookie": session_cookie}
    token = csrf_of(client.get("/settings", headers=headers).text)
    return client.post(
        "/logout", data={"csrf_token": token}, headers=headers, follow_redirects=False
    )


def test_through_the_proxy_cookies_are_secure_and_posts_pass(proxied: FastAPI) -> None:
    client = _through_proxy(proxied, "203.0.113.7")
    response = _log_in(client, EMAILS["admin"], PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tending_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert (
        _log_out(client, cookie.split(";", 1)[0]).status_code == 303
    )  # 403 before: Origin https://... refused


def test_forwarded_headers_from_elsewhere_are_ignored(proxied: FastAPI) -> None:
    client = _through_proxy(proxied, "203.0.113.7", peer="198.51.100.9")  # not the proxy
    response = _log_in(client, EMAILS["admin"], PASSWORD)
    assert "Secure" not in response.headers["set-cookie"]
    assert _log_out(client, response.headers["set-cookie"].split(";", 1)[0]).status_code == 403


def test_throttling_counts_each_real_client(proxied: FastAPI) -> None:
    mallory = _through_proxy(proxied, "203.0.113.66")
    for attempt in range(20):
        _log_in(
            mallory, f"nobody{attempt}@example.org", "wrong password"
        )  # 20 failures from one address
    assert (
        "Too many" in _log_in(mallory, EMAILS["viewer"], PASSWORD).text
    )  # mallory's address is locked out
    ada = _through_proxy(proxied, "203.0.113.7")
    assert _log_in(ada, EMAILS["viewer"], PASSWORD).status_code == 303  # everyone else is not


def test_a_forged_forwarded_for_does_not_escape_throttling(proxied: FastAPI) -> None:
    """The proxy appends the address it saw; what the client wrote before it is not believed."""
    for attempt in range(20):
        _log_in(
            _through_proxy(proxied, f"10.9.9.{attempt}, 203.0.113.66"),
            f"x{attempt}@example.org",
            "wrong",
        )
    assert (
        "Too many"
        in _log_in(
            _through_proxy(proxied, "10.9.9.99, 203.0.113.66"), EMAILS["viewer"], PASSWORD
        ).text
    )
