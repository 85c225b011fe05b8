"""A small community with known answers, three dashboard users (one per role), and logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tending.actions.web_users import do_add_user
from tending.models import ImportRecord, ThreadRecord
from tending.store import open_store
from tending.web import create_app
from tests.cast import act, build_on, member

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday, 10:30 in Paris
PASSWORD = "a long enough password"
EMAILS = {
    "admin": "ada.admin@example.org",
    "moderator": "bruno.mod@example.org",
    "viewer": "chloe.view@example.org",
}


def story() -> list[ImportRecord]:
    """ada posts often; bruno is staff; chloe went quiet 100 days ago; dan is a bot; eve joined last week."""
    days = timedelta(days=1)
    return [
        member("ada", joined=NOW - 400 * days),
        member("bruno", joined=NOW - 500 * days, is_staff=True),
        member("chloe", joined=NOW - 300 * days),
        member("dan", joined=NOW - 300 * days),
        member("eve", joined=NOW - 6 * days),
        ThreadRecord(source="forum", external_id="t1", title="Insulin doses"),
        ThreadRecord(source="forum", external_id="t2", title="Welcome thread"),
        ThreadRecord(source="forum", external_id="t3", title="Vet visits"),
        act(
            "c1", "chloe", "post", NOW - 100 * days, thread_external_id="t3", text="Our vet said..."
        ),
        act(
            "b1",
            "bruno",
            "post",
            NOW - 20 * days,
            thread_external_id="t2",
            text="Welcome, everyone",
        ),
        act(
            "a1", "ada", "post", NOW - 10 * days, thread_external_id="t1", text="How much insulin?"
        ),
        act(
            "b2",
            "bruno",
            "reply",
            NOW - 9 * days,
            thread_external_id="t1",
            parent_source_id="a1",
            text="Ask a vet",
        ),
        act(
            "a2",
            "ada",
            "reply",
            NOW - 2 * days,
            thread_external_id="t1",
            parent_source_id="b2",
            text="Thanks!",
        ),
        act(
            "a3", "ada", "reaction", NOW - 1 * days, thread_external_id="t1", parent_source_id="b2"
        ),
        act(
            "d1",
            "dan",
            "reply",
            NOW - 1 * days,
            thread_external_id="t2",
            parent_source_id="b1",
            text="Beep",
        ),
    ]


def seed(engine: Engine) -> int:
    with engine.begin() as conn:
        community = build_on(conn, story(), language="fr").community
        for role, email in EMAILS.items():
            do_add_user(
                conn, email, password=PASSWORD, role=role, language="en", actor="test", now=NOW
            )
        return community.id


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost takes most of a second here; the tests check behaviour, not cost."""
    from argon2 import PasswordHasher

    from tending.actions import web_users

    monkeypatch.setattr(
        web_users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def seeded(db_url: str) -> tuple[str, int]:
    engine = open_store(db_url)
    community_id = seed(engine)
    engine.dispose()
    return db_url, community_id


@pytest.fixture
def app(seeded: tuple[str, int]) -> Iterator[FastAPI]:
    application = create_app(seeded[0], secret_key="test secret")
    application.state.web.clock = lambda: NOW
    yield application
    application.state.web.engine.dispose()


@pytest.fixture
def cid(seeded: tuple[str, int]) -> int:
    return seeded[1]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture
def client_as(app: FastAPI) -> Callable[[str], TestClient]:
    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        response = log_in(client, EMAILS[role])
        assert response.status_code == 303, response.text
        return client

    return make


def member_id(db_url: str, external_id: str) -> int:
    from sqlalchemy import select

    from tending.store.schema import members

    engine = open_store(db_url)
    with engine.connect() as conn:
        value = conn.execute(
            select(members.c.id).where(members.c.external_id == external_id)
        ).scalar_one()
    engine.dispose()
    return int(value)


def user_id(db_url: str, role: str) -> int:
    from tending.store.web_users import find_user

    engine = open_store(db_url)
    with engine.connect() as conn:
        user = find_user(conn, EMAILS[role])
    engine.dispose()
    assert user is not None
    return user.id
