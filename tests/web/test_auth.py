"""Logging in and out: cookies, CSRF on every form, rate limits, no open redirect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tending.web.app import ROUTERS
from tests.web.conftest import EMAILS, NOW, PASSWORD, csrf_of, log_in, member_id, user_id


def test_ada_logs_in_and_gets_a_strict_session_cookie(app: FastAPI) -> None:
    client = TestClient(app)
    response = log_in(client, EMAILS["admin"])
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("tending_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; over HTTPS the cookie is Secure
    assert client.get("/settings").status_code == 200


def test_cookie_is_secure_over_https(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://dashboard.example")
    response = log_in(client, EMAILS["admin"])
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("tending_session=")
    )
    assert "Secure" in cookie


def test_pages_need_a_login(app: FastAPI, cid: int) -> None:
    client = TestClient(app)
    response = client.get(f"/c/{cid}/members", follow_redirects=False)
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/login?next=/c/{cid}/members"
    )


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app: FastAPI) -> None:
    client = TestClient(app)
    wrong_password = log_in(client, EMAILS["admin"], "not the password")
    unknown_user = log_in(client, "nobody@example.org")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Wrong e-mail address or password." in wrong_password.text
    assert "tending_session" not in wrong_password.headers.get("set-cookie", "")


def test_login_without_its_csrf_token_is_refused(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": EMAILS["admin"], "password": PASSWORD, "csrf_token": ""},
        follow_redirects=False,
    )
    assert response.status_code == 403
    forged = client.post(
        "/login",
        data={"email": EMAILS["admin"], "password": PASSWORD, "csrf_token": "forged.token.value"},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(
    app: FastAPI,
) -> None:
    client = TestClient(app)
    for _ in range(5):
        assert log_in(client, EMAILS["moderator"], "guess guess guess").status_code == 401
    locked = log_in(client, EMAILS["moderator"])
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    # another account from the same address is still fine (the address limit is higher)
    assert log_in(client, EMAILS["viewer"]).status_code == 303
    # fifteen minutes later the account opens again
    app.state.web.clock = lambda: NOW + timedelta(minutes=16)
    assert log_in(TestClient(app), EMAILS["moderator"]).status_code == 303


def test_an_address_is_locked_after_twenty_failures_across_accounts(app: FastAPI) -> None:
    client = TestClient(app)
    for i in range(20):
        assert log_in(client, f"guess{i}@example.org", "guess guess guess").status_code == 401
    assert log_in(client, EMAILS["admin"]).status_code == 429
    other_address = TestClient(app, client=("203.0.113.9", 5000))
    assert log_in(other_address, EMAILS["admin"]).status_code == 303


def test_logout_ends_the_session_on_the_server(
    app: FastAPI, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    token = client.cookies.get("tending_session")
    page = client.get("/settings")
    response = client.post(
        "/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = TestClient(app)
    replay.cookies.set("tending_session", token or "")
    assert replay.get("/settings", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_next_never_leaves_the_site(app: FastAPI, target: str) -> None:
    client = TestClient(app)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": EMAILS["viewer"],
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def post_routes(db_url: str, cid: int) -> dict[str, dict[str, object]]:
    ada = member_id(db_url, "ada")
    viewer = user_id(db_url, "viewer")
    return {
        "/logout": {},
        "/account/language": {"language": "fr"},
        f"/c/{cid}/members/{ada}/do-not-contact": {"value": "on"},
        f"/c/{cid}/members/{ada}/tags": {"tag": "helper"},
        f"/c/{cid}/members/{ada}/notes": {"notes": "likes cats"},
        f"/c/{cid}/imports": {"kind": "jsonl"},
        "/settings/users": {"email": "dan@example.org", "role": "viewer", "password": PASSWORD},
        f"/settings/users/{viewer}/role": {"role": "moderator"},
        f"/settings/users/{viewer}/remove": {},
        f"/c/{cid}/outbox/1/approve": {},
        f"/c/{cid}/outbox/1/skip": {},
        f"/c/{cid}/outbox/1/edit": {"body": "hello"},
        f"/c/{cid}/outbox/1/send": {},
        f"/c/{cid}/checkins/{ada}/draft": {},
        f"/c/{cid}/moderation/1/act": {"action": "leave"},
        f"/c/{cid}/mentions/1/act": {"state": "ignored"},
        f"/c/{cid}/members/{ada}/erase": {},
        f"/settings/communities/{cid}/retention": {"text_days": "365"},
        f"/c/{cid}/outbox/1/by-hand": {},
        f"/c/{cid}/moderation/rules/backtest": {"rules": "", "since": "2026-01-01"},
        f"/c/{cid}/moderation/rules/save": {"rules": ""},
        f"/c/{cid}/moderation/rules/reset": {},
        f"/c/{cid}/moderation/1/claim": {},
        f"/c/{cid}/moderation/1/reopen": {},
        f"/c/{cid}/moderation/undo": {},
        f"/c/{cid}/moderation/bulk": {"action": "leave", "step": "preview"},
        f"/c/{cid}/outbox/bulk": {"verb": "approve", "step": "preview"},
        f"/c/{cid}/outbox/undo": {},
        f"/c/{cid}/sources/connect": {"kind": "rss", "target": "https://blog.example.org/feed/"},
        f"/c/{cid}/sources/1/sync": {},
        f"/c/{cid}/sources/1/remove": {},
        "/setup": {"name": "Koalas", "timezone": "Europe/Paris"},
        f"/c/{cid}/setup": {"language": "fr"},
        f"/c/{cid}/setup/texts/fr/welcome": {"text": "Bonjour", "action": "save"},
        f"/c/{cid}/setup/enable": {},
    }


def test_every_post_route_is_in_the_csrf_list(
    app: FastAPI, seeded: tuple[str, int], cid: int
) -> None:
    declared = {
        r.path
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "POST" in (r.methods or set())
    } - {"/login"}
    listed = post_routes(seeded[0], cid)
    assert len(declared) == len(listed) == 35, (
        f"add the new POST routes to post_routes(): {sorted(declared)}"
    )


def test_every_form_without_its_csrf_token_is_refused(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    for path, data in post_routes(seeded[0], cid).items():
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path
        wrong = client.post(
            path, data={**data, "csrf_token": "not-the-token"}, follow_redirects=False
        )
        assert wrong.status_code == 403, path
    assert (
        client.get("/settings").status_code == 200
    )  # nothing happened: still logged in, still admin


def test_a_cross_site_origin_is_refused_even_with_the_token(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    ada = member_id(seeded[0], "ada")
    token = csrf_of(client.get(f"/c/{cid}/members/{ada}").text)
    response = client.post(
        f"/c/{cid}/members/{ada}/do-not-contact",
        data={"value": "on", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_security_headers(app: FastAPI) -> None:
    response = TestClient(app).get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
