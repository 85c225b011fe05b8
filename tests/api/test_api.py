"""The JSON API as a script sees it: a token, pages with totals, clear 4xx, and the dashboard's audit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.schema import audit_events
from tests.api.conftest import bearer
from tests.web.conftest import NOW


def get(api: TestClient, token: str, path: str, **params: Any) -> Any:
    return api.get(f"/api/v1{path}", headers=bearer(token), params=params)


def test_without_a_token_or_with_an_unknown_one_the_answer_is_401_in_json(
    api: TestClient, cid: int
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer tnd_not-a-real-token"},
        {"Authorization": "Basic abc"},
    ):
        response = api.get("/api/v1/communities", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"].endswith(".")
    assert "login" not in api.get("/api/v1/communities").headers.get("location", "")


def test_a_viewer_reads_but_cannot_act(api: TestClient, cid: int, tokens: dict[str, str]) -> None:
    assert get(api, tokens["viewer"], "/communities").status_code == 200
    refused = api.post(
        f"/api/v1/communities/{cid}/outbox/1/approve", headers=bearer(tokens["viewer"])
    )
    assert refused.status_code == 403
    assert refused.json() == {"error": "This needs the moderator role; the token's user is viewer."}


def test_communities_are_a_page_with_the_total(
    api: TestClient, cid: int, tokens: dict[str, str]
) -> None:
    body = get(api, tokens["viewer"], "/communities").json()
    assert body == {
        "items": [
            {
                "id": cid,
                "name": "Cats",
                "platform": "forum",
                "timezone": "Europe/Paris",
                "language": "fr",
            }
        ],
        "total": 1,
        "limit": 50,
        "offset": 0,
    }


def test_members_pages_say_n_of_m_and_filter_like_the_dashboard(
    api: TestClient, cid: int, tokens: dict[str, str]
) -> None:
    first = get(api, tokens["viewer"], f"/communities/{cid}/members", limit=2).json()
    second = get(api, tokens["viewer"], f"/communities/{cid}/members", limit=2, offset=2).json()
    # people, not bots: ada, bruno, chloe, eve (dan is a bot), the latest to join first
    assert (first["total"], second["total"]) == (4, 4)
    assert [m["handle"] for m in first["items"] + second["items"]] == [
        "eve",
        "chloe",
        "ada",
        "bruno",
    ]
    staff = get(api, tokens["viewer"], f"/communities/{cid}/members", kind="staff").json()
    assert [m["handle"] for m in staff["items"]] == ["bruno"]
    searched = get(api, tokens["viewer"], f"/communities/{cid}/members", q="chlo").json()
    assert searched["total"] == 1 and searched["items"][0]["name"] == "Chloé Dubois"


def test_lifecycle_filters_and_inactive_members(
    api: TestClient, cid: int, tokens: dict[str, str]
) -> None:
    inactive = get(api, tokens["viewer"], f"/communities/{cid}/members", inactive_days=60).json()
    assert [m["handle"] for m in inactive["items"]] == ["chloe"] and inactive["order"] == "inactive"
    listed = get(api, tokens["viewer"], f"/communities/{cid}/inactive", days=60).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == "chloe" and listed["days"] == 60
    assert listed["as_of"] == "2026-03-02T09:30:00Z"
    newcomers = get(api, tokens["viewer"], f"/communities/{cid}/members", state="newcomer").json()
    assert [m["handle"] for m in newcomers["items"]] == ["eve"]


def test_bad_query_values_get_one_sentence_and_never_a_500(
    api: TestClient, cid: int, tokens: dict[str, str]
) -> None:
    token = tokens["viewer"]
    cases = {
        f"/communities/{cid}/members?as_of=9999-12-31": (
            400,
            "as_of: 9999-12-31 is in the future; give an instant up to now.",
        ),
        f"/communities/{cid}/members?as_of=yesterday": (400, None),
        "/communities/12345678901234567890": (422, None),
        "/communities/999": (404, "community_id: no community 999 (see /api/v1/communities)."),
        f"/communities/{cid}/members?limit=0": (422, None),
        f"/communities/{cid}/members?state=asleep": (422, None),
        f"/communities/{cid}/outbox?status=lost": (400, None),
        "/nowhere": (404, "There is nothing at this address."),
    }
    for path, (status, message) in cases.items():
        response = api.get(f"/api/v1{path}", headers=bearer(token))
        assert response.status_code == status, (path, response.text)
        error = response.json()["error"]
        assert error.endswith(".") and "\n" not in error, (path, error)
        if message is not None:
            assert error == message
    assert api.get("/api/v1/communities/12345678901234567890", headers=bearer(token)).json()[
        "error"
    ] == ("community_id: input should be less than or equal to 9223372036854775807.")


def test_a_check_in_through_the_api_is_drafted_and_audited(
    api: TestClient, seeded: tuple[str, int], cid: int, tokens: dict[str, str]
) -> None:
    listed = get(api, tokens["viewer"], f"/communities/{cid}/checkins").json()
    assert [(i["id"], i["reason"], i["priority"]) for i in listed["items"]] == [
        ("chloe", "unanswered", 1)
    ]
    assert listed["total"] == 1
    chloe = listed["items"][0]["member_id"]
    path = f"/api/v1/communities/{cid}/checkins/{chloe}"
    assert api.post(path, headers=bearer(tokens["viewer"])).status_code == 403
    made = api.post(
        path, headers=bearer(tokens["moderator"]), json={"message": "Hi Chloé, how is your cat?"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["member_id"] == chloe
    assert (
        get(api, tokens["viewer"], f"/communities/{cid}/checkins").json()["total"] == 0
    )  # the cooldown
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.action, audit_events.c.member_id).where(
                audit_events.c.action == "checkin.drafted"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("api:bruno.mod@example.org", "checkin.drafted", chloe)]


def test_checkins_health_and_alerts(api: TestClient, cid: int, tokens: dict[str, str]) -> None:
    checkins = get(api, tokens["viewer"], f"/communities/{cid}/checkins").json()
    assert checkins["total"] == len(checkins["items"])
    health = get(api, tokens["viewer"], f"/communities/{cid}/health", window_days=28).json()
    assert health["community"] == "Cats" and health["window_days"] == 28
    assert health["as_of"] == "2026-03-02T09:30:00Z"
    alerts = get(api, tokens["viewer"], f"/communities/{cid}/alerts").json()
    assert alerts == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_a_decision_through_the_api_writes_the_dashboards_audit_row(
    api: TestClient, seeded: tuple[str, int], cid: int, tokens: dict[str, str]
) -> None:
    from tending.store.moderation import bulk_add_items

    engine = open_store(seeded[0])
    with engine.begin() as conn:
        bulk_add_items(
            conn,
            cid,
            [
                {
                    "signal": "spam",
                    "subject_key": "activity:1",
                    "score": 0.9,
                    "evidence": {"text": "Buy now"},
                    "occurred_at": NOW,
                }
            ],
            now=NOW,
        )
    queue = get(api, tokens["viewer"], f"/communities/{cid}/moderation/queue").json()
    assert queue["total"] == 1
    item = queue["items"][0]
    decided = api.post(
        f"/api/v1/communities/{cid}/moderation/queue/{item['id']}/decision",
        headers=bearer(tokens["moderator"]),
        json={"action": "leave", "note": "fine"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["action"] == "leave"
    again = api.post(
        f"/api/v1/communities/{cid}/moderation/queue/{item['id']}/decision",
        headers=bearer(tokens["moderator"]),
        json={"action": "leave"},
    )
    assert again.status_code == 409
    missing = api.post(
        f"/api/v1/communities/{cid}/moderation/queue/999/decision",
        headers=bearer(tokens["moderator"]),
        json={"action": "leave"},
    )
    assert missing.status_code == 404
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.action, audit_events.c.details).where(
                audit_events.c.action.like("moderation.%")
            )
        ).all()
    engine.dispose()
    assert [(r.actor, r.action, r.details["item_id"]) for r in rows] == [
        ("api:bruno.mod@example.org", "moderation.leave", item["id"])
    ]
    done = get(api, tokens["viewer"], f"/communities/{cid}/moderation/decisions").json()
    assert done["total"] == 1 and done["items"][0]["acted_by"] == "api:bruno.mod@example.org"


def test_approving_and_skipping_outbox_messages(
    api: TestClient, seeded: tuple[str, int], cid: int, tokens: dict[str, str]
) -> None:
    from tending.actions.outbox import do_draft_message
    from tending.store.communities import get_community_by_id

    engine = open_store(seeded[0])
    with engine.begin() as conn:
        community = get_community_by_id(conn, cid)
        ids = [
            do_draft_message(
                conn,
                community,
                member_ids=[],
                rule="welcome",
                channel="post",
                body=f"Hello {n}",
                due_at=NOW,
                key=f"test:{n}",
                actor="test",
            )
            for n in range(3)
        ]
    engine.dispose()
    listed = get(
        api, tokens["viewer"], f"/communities/{cid}/outbox", status="drafted", limit=2
    ).json()
    assert (
        listed["total"] == 3
        and len(listed["items"]) == 2
        and "claim_token" not in listed["items"][0]
    )
    moderator = bearer(tokens["moderator"])
    approved = api.post(f"/api/v1/communities/{cid}/outbox/{ids[0]}/approve", headers=moderator)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    skipped = api.post(f"/api/v1/communities/{cid}/outbox/{ids[1]}/skip", headers=moderator)
    assert skipped.json()["status"] == "skipped"
    assert (
        api.post(
            f"/api/v1/communities/{cid}/outbox/{ids[1]}/approve", headers=moderator
        ).status_code
        == 409
    )
    assert (
        api.post(f"/api/v1/communities/{cid}/outbox/999/approve", headers=moderator).status_code
        == 404
    )
    assert (
        get(api, tokens["viewer"], f"/communities/{cid}/outbox", status="drafted").json()["total"]
        == 1
    )
    reopened = api.post(f"/api/v1/communities/{cid}/outbox/{ids[1]}/reopen", headers=moderator)
    assert reopened.status_code == 200 and reopened.json()["status"] == "drafted"
    again = api.post(f"/api/v1/communities/{cid}/outbox/{ids[1]}/reopen", headers=moderator)
    assert again.status_code == 409 and "cannot be reopened" in again.json()["error"]
    assert (
        api.post(
            f"/api/v1/communities/{cid}/outbox/{ids[1]}/reopen", headers=bearer(tokens["viewer"])
        ).status_code
        == 403
    )
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.action, audit_events.c.details)
            .where(audit_events.c.actor.like("api:%"))
            .order_by(audit_events.c.id)
        ).all()
    engine.dispose()
    assert [(r.actor, r.action, r.details["outbox_id"]) for r in rows] == [
        ("api:bruno.mod@example.org", "outbox.approved", ids[0]),
        ("api:bruno.mod@example.org", "outbox.skipped", ids[1]),
        ("api:bruno.mod@example.org", "outbox.reopened", ids[1]),
    ]


def test_openapi_lists_the_api_and_none_of_the_dashboards_pages(api: TestClient) -> None:
    document = api.get("/api/v1/openapi.json")
    assert document.status_code == 200
    paths = set(document.json()["paths"])
    assert {
        "/communities",
        "/communities/{community_id}/members",
        "/communities/{community_id}/inactive",
        "/communities/{community_id}/checkins",
        "/communities/{community_id}/outbox",
        "/communities/{community_id}/outbox/{message_id}/approve",
        "/communities/{community_id}/moderation/queue",
        "/communities/{community_id}/moderation/decisions",
        "/communities/{community_id}/health",
        "/communities/{community_id}/alerts",
    } <= paths
    assert not any(p.startswith(("/c/", "/login", "/settings", "/static")) for p in paths)
    assert document.json()["servers"] == [{"url": "/api/v1"}]
    assert api.get("/openapi.json").status_code == 404


def test_the_dashboards_session_cookie_does_not_open_the_api(client_as: Any, cid: int) -> None:
    """The API reads only the Authorization header: a page on another site cannot drive it through the
    browser's cookie (so no CSRF token is needed)."""
    browser = client_as("admin")
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/communities").status_code == 401
    assert browser.post(f"/api/v1/communities/{cid}/outbox/1/skip").status_code == 401


def test_the_api_calls_actions_and_never_the_store() -> None:
    import ast
    from pathlib import Path

    import tending.api

    for path in Path(tending.api.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ]
        imported += [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        assert not [m for m in imported if m.startswith(("tending.store", "tending.web"))], (
            path.name
        )


def test_a_token_acts_with_its_users_role_as_it_is_now(
    api: TestClient, seeded: tuple[str, int], cid: int, tokens: dict[str, str]
) -> None:
    from tending.actions.web_users import do_set_role

    path = f"/api/v1/communities/{cid}/outbox/999/approve"
    assert (
        api.post(path, headers=bearer(tokens["moderator"])).status_code == 404
    )  # allowed; no such message
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        do_set_role(conn, "bruno.mod@example.org", role="viewer", actor="test", now=NOW)
    engine.dispose()
    assert api.post(path, headers=bearer(tokens["moderator"])).status_code == 403


def test_every_operation_in_the_openapi_document_asks_for_the_bearer_token(api: TestClient) -> None:
    document = api.get("/api/v1/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [op for methods in document["paths"].values() for op in methods.values()]
    assert operations and all(op.get("security") == [{"HTTPBearer": []}] for op in operations)
