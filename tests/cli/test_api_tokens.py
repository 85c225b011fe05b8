"""`tending users token`: a token made for bruno, shown once, listed without its secret, used, revoked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.api_tokens import api_tokens
from tending.store.web_users import web_user_events
from tending.web import create_app
from tests.conftest import CliResult


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from argon2 import PasswordHasher

    from tending.actions import web_users

    monkeypatch.setattr(
        web_users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    yield


def test_a_token_lives_from_add_to_revoke(
    db_url: str, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough password\n"))
    assert (
        run_cli(
            "--db",
            db_url,
            "users",
            "add",
            "bruno@example.org",
            "--role",
            "moderator",
            "--password-stdin",
        ).exit_code
        == 0
    )
    made = run_cli("--db", db_url, "users", "token", "add", "Bruno@Example.org")
    assert made.exit_code == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("tnd_") and len(secret) > 40
    assert made.stderr == "Token 1 for bruno@example.org: keep it now, it is not shown again.\n"

    listed = run_cli("--db", db_url, "users", "token", "list", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [
        (r["id"], r["email"], r["prefix"], r["last_used_at"], r["revoked_at"]) for r in rows
    ] == [(1, "bruno@example.org", secret[:8], None, None)]
    assert (
        secret not in listed.stdout
        and secret not in run_cli("--db", db_url, "users", "token", "list").stdout
    )

    engine = open_store(db_url)
    with engine.connect() as conn:  # only the hash is kept
        stored = conn.execute(select(api_tokens.c.token_hash)).scalar_one()
    assert secret not in stored and len(stored) == 64

    app = create_app(db_url, secret_key="test")
    client = TestClient(app)
    assert (
        client.get("/api/v1/communities", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert (
        json.loads(run_cli("--db", db_url, "users", "token", "list", "--format", "json").stdout)[0][
            "last_used_at"
        ]
        is not None
    )

    revoked = run_cli("--db", db_url, "users", "token", "revoke", "1")
    assert revoked.stdout == "Token 1 (bruno@example.org) is revoked.\n"
    refused = client.get("/api/v1/communities", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401 and refused.json() == {
        "error": "This API token is unknown or was revoked."
    }
    app.state.web.engine.dispose()
    with engine.connect() as conn:
        events = [
            row.action
            for row in conn.execute(select(web_user_events.c.action).order_by(web_user_events.c.id))
        ]
    engine.dispose()
    assert events == ["user.added", "token.added", "token.revoked"]


def test_token_mistakes_get_one_sentence(db_url: str, run_cli: Callable[..., CliResult]) -> None:
    nobody = run_cli("--db", db_url, "users", "token", "add", "nobody@example.org")
    assert nobody.exit_code == 2
    assert "no user 'nobody@example.org'" in nobody.stderr and "Traceback" not in nobody.stderr
    unknown = run_cli("--db", db_url, "users", "token", "revoke", "7")
    assert unknown.exit_code == 2 and "no API token 7" in unknown.stderr
    assert (
        run_cli("--db", db_url, "users", "token", "revoke", "12345678901234567890").exit_code == 2
    )


def test_removing_a_user_removes_their_tokens(
    db_url: str, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for email, role in (("ada@example.org", "admin"), ("chloe@example.org", "viewer")):
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough password\n"))
        run_cli("--db", db_url, "users", "add", email, "--role", role, "--password-stdin")
    run_cli("--db", db_url, "users", "token", "add", "chloe@example.org")
    assert run_cli("--db", db_url, "users", "remove", "chloe@example.org").exit_code == 0
    assert (
        json.loads(run_cli("--db", db_url, "users", "token", "list", "--format", "json").stdout)
        == []
    )
