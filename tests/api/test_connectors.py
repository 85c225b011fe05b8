"""A script keeps Cats' Discord channel current through the JSON API: it lists the connector, has bruno
(moderator) sync it now, and ada (admin) pause and resume it; each change is audited as api:EMAIL. The
platform is the local Discord API of the connector tests (tests/connectors/discord_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.actions.connectors import do_connect
from tending.store import open_store
from tending.store.schema import audit_events
from tests.api.conftest import bearer
from tests.connectors.discord_api import CHANNEL, TOKEN, DiscordApi
from tests.connectors.jsonserver import serving


@pytest.fixture
def connected(
    seeded: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DiscordApi, int]]:
    """Cats connected to a Discord channel where ada greets and bruno answers (connector 1)."""
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    platform = DiscordApi()
    platform.join("bruno")
    hello = platform.say("ada", "Bonjour à tous")
    platform.say("bruno", "Salut Ada", reply_to=hello)
    with serving(platform) as url:
        engine = open_store(seeded[0])
        made = do_connect(
            engine,
            "discord",
            CHANNEL,
            community_name="Cats",
            fields={"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"},
        )
        engine.dispose()
        yield platform, made.connector.id


def audited(seeded: tuple[str, int]) -> list[tuple[str, str, int]]:
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.action, audit_events.c.details)
            .where(audit_events.c.actor.like("api:%"))
            .order_by(audit_events.c.id)
        ).all()
    engine.dispose()
    return [(r.actor, r.action, r.details["connector_id"]) for r in rows]


def post(api: TestClient, token: str, path: str) -> Any:
    return api.post(f"/api/v1{path}", headers=bearer(token))


def test_a_viewer_lists_the_connectors_with_references_never_the_token(
    api: TestClient, cid: int, tokens: dict[str, str], connected: tuple[DiscordApi, int]
) -> None:
    _platform, connector = connected
    answer = api.get(f"/api/v1/communities/{cid}/connectors", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    [item] = body["items"]
    assert (item["id"], item["kind"], item["target"], item["state"], item["reason"]) == (
        connector,
        "discord",
        CHANNEL,
        "ok",
        None,
    )
    assert item["community"] == "Cats" and item["last_sync_at"] is None
    assert item["credentials"] == {"token": "env:DISCORD_BOT_TOKEN"}
    assert TOKEN not in answer.text


def test_a_moderator_syncs_now_and_the_answer_says_what_came_in(
    api: TestClient,
    seeded: tuple[str, int],
    cid: int,
    tokens: dict[str, str],
    connected: tuple[DiscordApi, int],
) -> None:
    platform, connector = connected
    path = f"/communities/{cid}/connectors/{connector}/sync"
    refused = post(api, tokens["viewer"], path)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This needs the moderator role; the token's user is viewer."}
    first = post(api, tokens["moderator"], path)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["connector"], body["state"], body["reason"]) == (connector, "ok", None)
    assert body["added"]["activities"] == 3  # bruno joined, ada greeted, bruno answered
    again = post(api, tokens["moderator"], path).json()
    assert again["added"]["activities"] == 0 and again["records"] == 0
    platform.token = "revoked"  # the bot was removed: the platform answers 401
    failing = post(api, tokens["moderator"], path)
    assert failing.status_code == 200  # the request was fine; the connector is failing
    assert failing.json()["state"] == "failing"
    assert failing.json()["reason"] == (
        "token: Discord refused the bot token (HTTP 401): it is wrong or was reset "
        "(Developer Portal > Bot > Reset Token)."
    )
    assert TOKEN not in failing.text
    listed = api.get(
        f"/api/v1/communities/{cid}/connectors", headers=bearer(tokens["viewer"])
    ).json()
    assert listed["items"][0]["state"] == "failing"
    assert audited(seeded) == [("api:bruno.mod@example.org", "connector.sync_requested", 1)] * 3


def test_an_admin_pauses_and_resumes_and_a_moderator_cannot(
    api: TestClient,
    seeded: tuple[str, int],
    cid: int,
    tokens: dict[str, str],
    connected: tuple[DiscordApi, int],
) -> None:
    _platform, connector = connected
    base = f"/communities/{cid}/connectors/{connector}"
    refused = post(api, tokens["moderator"], f"{base}/pause")
    assert refused.status_code == 403
    assert refused.json() == {"error": "This needs the admin role; the token's user is moderator."}
    paused = post(api, tokens["admin"], f"{base}/pause")
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    resumed = post(api, tokens["admin"], f"{base}/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "ok"
    assert audited(seeded) == [
        ("api:ada.admin@example.org", "connector.paused", connector),
        ("api:ada.admin@example.org", "connector.resumed", connector),
    ]


def test_a_connector_of_another_community_or_none_is_not_found(
    api: TestClient, cid: int, tokens: dict[str, str], connected: tuple[DiscordApi, int]
) -> None:
    _platform, connector = connected
    admin = tokens["admin"]
    missing = post(api, admin, f"/communities/{cid}/connectors/99/pause")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": f"connector_id: no connector 99 in community {cid} "
        f"(see /api/v1/communities/{cid}/connectors)."
    }
    elsewhere = post(api, admin, f"/communities/{cid + 1}/connectors/{connector}/sync")
    assert elsewhere.status_code == 404
    assert post(api, admin, f"/communities/{cid}/connectors/0/resume").status_code == 422


def test_the_openapi_document_lists_the_connector_routes(api: TestClient) -> None:
    paths = set(api.get("/api/v1/openapi.json").json()["paths"])
    assert {
        "/communities/{community_id}/connectors",
        "/communities/{community_id}/connectors/{connector_id}/pause",
        "/communities/{community_id}/connectors/{connector_id}/resume",
        "/communities/{community_id}/connectors/{connector_id}/sync",
    } <= paths
