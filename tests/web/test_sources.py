"""The Sources page (the former Imports page): the community's connectors with their state, last sync in
the community's time, last error, items fetched; sync now; add and remove for admins; in English and
French. The platform is the local Discord API of the connector tests (tests/connectors/discord_api.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.connectors.discord_api import CHANNEL, TOKEN, DiscordApi
from tests.connectors.jsonserver import serving
from tests.web.conftest import csrf_of


@pytest.fixture
def discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DiscordApi, str]]:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    api = DiscordApi()
    api.join("bruno")
    hello = api.say("ada", "Bonjour à tous")
    api.say("bruno", "Salut Ada", reply_to=hello)
    with serving(api) as url:
        yield api, f"{url}/api/v10"


def add_connector(
    client: TestClient, cid: int, api_url: str, fields: str | None = None
) -> httpx.Response:
    page = client.get(f"/c/{cid}/sources").text
    return client.post(
        f"/c/{cid}/sources/connect",
        data={
            "kind": "discord",
            "target": CHANNEL,
            "fields": fields
            if fields is not None
            else f"token=env:DISCORD_BOT_TOKEN\napi_url={api_url}\n",
            "csrf_token": csrf_of(page),
        },
        follow_redirects=False,
    )


def row_of(html: str, connector_id: int) -> str:
    found = re.search(rf'<tr id="connector-{connector_id}".*?</tr>', html, re.S)
    assert found, "no row for the connector"
    return found.group(0)


def synced(client: TestClient, cid: int) -> str:
    for _ in range(200):
        html = client.get(f"/c/{cid}/sources").text
        if "syncing…" not in html:
            return html
        time.sleep(0.05)
    raise AssertionError("the sync never finished")


def test_an_admin_adds_a_connector_a_moderator_syncs_it_and_the_page_shows_its_state(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    _api, api_url = discord
    admin = client_as("admin")
    empty = admin.get(f"/c/{cid}/sources").text
    assert "<h1>Sources</h1>" in empty and "No connector yet" in empty
    assert "Import an export" in empty  # the file imports stay on the page
    added = add_connector(admin, cid, api_url)
    assert added.status_code == 303 and added.headers["location"] == f"/c/{cid}/sources?connected=1"
    page = admin.get(f"/c/{cid}/sources").text
    row = row_of(page, 1)
    assert "discord" in row and ">ok<" in row and "never" in row and "1 of 1 connector" in page
    moderator = client_as("moderator")
    started = moderator.post(
        f"/c/{cid}/sources/1/sync",
        data={"csrf_token": csrf_of(moderator.get(f"/c/{cid}/sources").text)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    row = row_of(synced(moderator, cid), 1)
    # 3 activities; the sync ran at the app's clock: 9:30 UTC is 10:30 in Paris, the community's zone
    assert "<td>3</td>" in row and "10:30" in row and "—" in row
    assert "Remove" not in row and "Sync now" in row  # a moderator syncs, only admins remove
    assert TOKEN not in page and "env:DISCORD_BOT_TOKEN" not in page


def test_a_failing_connector_shows_its_reason_in_one_sentence_and_never_the_token(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    api, api_url = discord
    admin = client_as("admin")
    add_connector(admin, cid, api_url)
    api.token = "reset"
    admin.post(
        f"/c/{cid}/sources/1/sync",
        data={"csrf_token": csrf_of(admin.get(f"/c/{cid}/sources").text)},
    )
    row = row_of(synced(admin, cid), 1)
    assert ">failing<" in row
    assert "token: Discord refused the bot token (HTTP 401)" in row and TOKEN not in row


def test_a_secret_given_as_a_value_is_refused_and_nothing_is_recorded(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    _api, api_url = discord
    admin = client_as("admin")
    refused = add_connector(admin, cid, api_url, fields=f"token={TOKEN}\napi_url={api_url}")
    assert refused.status_code == 400
    assert "token: give a reference, env:VARIABLE or config:KEY" in refused.text
    assert TOKEN not in refused.text  # not even back in the form
    assert "No connector yet" in refused.text
    unknown = add_connector(admin, cid, api_url, fields="colour=blue")
    assert (
        unknown.status_code == 400 and "discord connectors take no &#39;colour&#39;" in unknown.text
    )


def test_a_viewer_sees_the_connectors_but_cannot_sync_add_or_remove(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    _api, api_url = discord
    add_connector(client_as("admin"), cid, api_url)
    viewer = client_as("viewer")
    page = viewer.get(f"/c/{cid}/sources").text
    assert "discord" in row_of(page, 1) and "Sync now" not in page and "Add a connector" not in page
    token = csrf_of(page)
    for action in ("1/sync", "1/remove", "connect"):
        answer = viewer.post(
            f"/c/{cid}/sources/{action}",
            data={"csrf_token": token, "kind": "rss", "target": "https://blog.example.org/feed/"},
            follow_redirects=False,
        )
        assert answer.status_code == 403, action


def test_an_admin_removes_a_connector_and_another_community_cannot_touch_it(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    _api, api_url = discord
    admin = client_as("admin")
    add_connector(admin, cid, api_url)
    token = csrf_of(admin.get(f"/c/{cid}/sources").text)
    assert admin.post(f"/c/{cid}/sources/7/remove", data={"csrf_token": token}).status_code == 404
    removed = admin.post(
        f"/c/{cid}/sources/1/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.headers["location"] == f"/c/{cid}/sources?msg=removed"
    page = admin.get(removed.headers["location"]).text
    assert "The connector was removed; what it synced stays." in page and "No connector yet" in page


def test_the_page_speaks_french(
    cid: int, client_as: Callable[[str], TestClient], discord: tuple[DiscordApi, str]
) -> None:
    _api, api_url = discord
    admin = client_as("admin")
    add_connector(admin, cid, api_url)
    admin.post(
        "/account/language",
        data={"language": "fr", "csrf_token": csrf_of(admin.get(f"/c/{cid}/sources").text)},
    )
    page = admin.get(f"/c/{cid}/sources").text
    for french in ("Connecteurs", "Synchroniser maintenant", "Éléments récupérés", "jamais"):
        assert french in page, french
    assert "<h1>Sources</h1>" in page and "1 connecteur sur 1" in page
