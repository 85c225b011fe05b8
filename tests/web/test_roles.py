"""Every route for every role: viewers read, moderators act on members, admins also manage users and imports."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.schema import audit_events, members
from tending.store.web_users import find_user
from tests.web.conftest import EMAILS, PASSWORD, csrf_of, member_id, user_id

ROLES = ("viewer", "moderator", "admin")


def get_routes(db_url: str, cid: int) -> dict[str, str]:
    """path -> the least role that may read it."""
    ada = member_id(db_url, "ada")
    return {
        f"/c/{cid}/overview": "viewer",
        f"/c/{cid}/members": "viewer",
        f"/c/{cid}/members?inactive=60&kind=members": "viewer",
        f"/c/{cid}/members/{ada}": "viewer",
        f"/c/{cid}/members.csv": "moderator",
        f"/c/{cid}/imports": "viewer",
        f"/c/{cid}/checkins": "viewer",
        f"/c/{cid}/onboarding": "viewer",
        f"/c/{cid}/moderation": "viewer",
        "/settings": "viewer",
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_its_rights_say(
    role: str, seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as(role)
    for path, least in get_routes(seeded[0], cid).items():
        response = client.get(path, follow_redirects=False)
        allowed = ROLES.index(role) >= ROLES.index(least)
        assert response.status_code == (200 if allowed else 403), (role, path)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == f"/c/{cid}/overview"


def test_anonymous_visitors_are_sent_to_the_login_page(
    app: FastAPI, seeded: tuple[str, int], cid: int
) -> None:
    client = TestClient(app)
    for path in [*get_routes(seeded[0], cid), "/"]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), (
            path
        )


def test_unknown_community_and_member_are_404(
    cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    assert client.get("/c/999/overview").status_code == 404
    assert client.get(f"/c/{cid}/members/999999").status_code == 404
    assert client.get("/nowhere").status_code == 404


def _post(client: TestClient, path: str, data: Mapping[str, object], page: str) -> int:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False).status_code


def _dnc(db_url: str, external_id: str) -> bool:
    engine = open_store(db_url)
    with engine.connect() as conn:
        value = conn.execute(
            select(members.c.do_not_contact).where(members.c.external_id == external_id)
        ).scalar()
    engine.dispose()
    return bool(value)


def test_a_viewer_reads_but_cannot_change_a_member(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    ada = member_id(seeded[0], "ada")
    page = f"/c/{cid}/members/{ada}"
    assert "Mark as do not contact" not in client.get(page).text  # no button for a viewer
    for action, data in (
        ("do-not-contact", {"value": "on"}),
        ("tags", {"tag": "helper"}),
        ("notes", {"notes": "x"}),
    ):
        assert _post(client, f"{page}/{action}", data, page) == 403
    assert not _dnc(seeded[0], "ada")


def test_a_moderator_marks_chloe_do_not_contact_and_it_is_audited(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    chloe = member_id(seeded[0], "chloe")
    page = f"/c/{cid}/members/{chloe}"
    assert _post(client, f"{page}/do-not-contact", {"value": "on"}, page) == 303
    assert _dnc(seeded[0], "chloe")
    shown = client.get(page).text
    assert "Do not contact: on." in shown and "member.do_not_contact_set" in shown
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        event = conn.execute(select(audit_events).where(audit_events.c.member_id == chloe)).one()
    engine.dispose()
    assert (
        event.actor == f"web:{EMAILS['moderator']}" and event.action == "member.do_not_contact_set"
    )
    assert _post(client, f"{page}/do-not-contact", {"value": "off"}, page) == 303
    assert not _dnc(seeded[0], "chloe")


def test_a_moderator_tags_and_notes_a_member(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    ada = member_id(seeded[0], "ada")
    page = f"/c/{cid}/members/{ada}"
    assert _post(client, f"{page}/tags", {"tag": "  cat   expert "}, page) == 303
    assert _post(client, f"{page}/notes", {"notes": "Asked about insulin; follow up."}, page) == 303
    shown = client.get(page).text
    assert (
        '<span class="badge">cat expert</span>' in shown
        and "Asked about insulin; follow up." in shown
    )
    assert "cat expert" in client.get(f"/c/{cid}/members?tag=cat+expert").text
    assert _post(client, f"{page}/tags", {"tag": "cat expert", "op": "remove"}, page) == 303
    assert '<span class="badge">cat expert</span>' not in client.get(page).text
    assert _post(client, f"{page}/tags", {"tag": "   "}, page) == 303  # refused, said on the page
    assert "A tag needs between 1 and 100 characters." in client.get(f"{page}?error=tag").text


def test_a_moderator_cannot_manage_users_or_import(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    viewer = user_id(seeded[0], "viewer")
    assert "Users and roles" not in client.get("/settings").text
    assert (
        _post(
            client,
            "/settings/users",
            {"email": "eve@example.org", "role": "admin", "password": PASSWORD},
            "/settings",
        )
        == 403
    )
    assert _post(client, f"/settings/users/{viewer}/role", {"role": "admin"}, "/settings") == 403
    assert _post(client, f"/settings/users/{viewer}/remove", {}, "/settings") == 403
    token = csrf_of(client.get("/settings").text)
    upload = client.post(
        f"/c/{cid}/imports",
        data={"kind": "jsonl", "csrf_token": token},
        files={"file": ("a.jsonl", b"{}\n")},
        follow_redirects=False,
    )
    assert upload.status_code == 403
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        assert find_user(conn, "eve@example.org") is None
        assert find_user(conn, EMAILS["viewer"]).role == "viewer"  # type: ignore[union-attr]
    engine.dispose()


def test_an_admin_adds_promotes_and_removes_a_user(
    seeded: tuple[str, int], client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    assert (
        _post(
            client,
            "/settings/users",
            {"email": "Eve@Example.org", "role": "viewer", "password": PASSWORD, "language": "fr"},
            "/settings",
        )
        == 303
    )
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        eve = find_user(conn, "eve@example.org")
    assert eve is not None and eve.role == "viewer" and eve.language == "fr"
    assert (
        _post(client, f"/settings/users/{eve.id}/role", {"role": "moderator"}, "/settings") == 303
    )
    with engine.connect() as conn:
        assert find_user(conn, "eve@example.org").role == "moderator"  # type: ignore[union-attr]
    duplicate = client.post(
        "/settings/users",
        data={
            "email": "eve@example.org",
            "role": "viewer",
            "password": PASSWORD,
            "csrf_token": csrf_of(client.get("/settings").text),
        },
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.text
    assert _post(client, f"/settings/users/{eve.id}/remove", {}, "/settings") == 303
    with engine.connect() as conn:
        assert find_user(conn, "eve@example.org") is None
    engine.dispose()
    shown = client.get("/settings").text
    assert "user.removed" in shown and "user.role_changed" in shown


def test_the_last_admin_cannot_demote_themself(
    seeded: tuple[str, int], client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("admin")
    admin = user_id(seeded[0], "admin")
    token = csrf_of(client.get("/settings").text)
    response = client.post(
        f"/settings/users/{admin}/role", data={"role": "viewer", "csrf_token": token}
    )
    assert response.status_code == 400 and "last admin" in response.text


def test_a_removed_user_is_logged_out_at_once(
    app: FastAPI, seeded: tuple[str, int], client_as: Callable[[str], TestClient]
) -> None:
    viewer_client = client_as("viewer")
    admin_client = client_as("admin")
    viewer = user_id(seeded[0], "viewer")
    assert _post(admin_client, f"/settings/users/{viewer}/remove", {}, "/settings") == 303
    assert viewer_client.get("/settings", follow_redirects=False).status_code == 303
