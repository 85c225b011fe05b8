"""Two syncs of one connector at once (the worker's, and `tending sync` or the API's): the one whose
cursor was moved meanwhile stops at its next step and writes nothing, so a cursor is never put back by
a sync that started earlier. The channel answers as Discord's documentation shows
(tests/connectors/discord_api.py); the first sync is held at a page after its first step (2,000
messages) was stored."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from tending.actions.connectors import SyncResult, do_connect, do_sync, get_connectors
from tending.connectors.base import Backoff
from tests.connectors.discord_api import CHANNEL, TOKEN, DiscordApi
from tests.connectors.jsonserver import serving

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)
MESSAGES = 5000


def test_a_sync_overtaken_by_another_stops_without_writing_its_older_cursor(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    api = DiscordApi()
    for number in range(MESSAGES):
        api.say(("ada", "bruno")[number % 2], f"message {number}", minutes=1)
    last = api.messages[CHANNEL][-1]["id"]
    with serving(api) as url:
        fields = {"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"}
        made = do_connect(engine, "discord", CHANNEL, community_name="Cats", fields=fields)
        api.requests.clear()
        api.hold_at = 2 + 25  # the channel, the latest page, then pages forward: after step one
        first: list[SyncResult] = []
        slow = threading.Thread(
            target=lambda: first.extend(
                do_sync(engine, connector_id=made.connector.id, backoff=FAST)
            )
        )
        slow.start()
        assert api.reached.wait(60), "the first sync never reached the held page"
        [second] = do_sync(engine, connector_id=made.connector.id, backoff=FAST)
        api.hold.set()
        slow.join(60)
    [overtaken] = first
    assert second.ok and not second.superseded
    assert second.counts.activities_added == MESSAGES - 2000
    assert overtaken.ok and overtaken.superseded and overtaken.counts.activities_added == 2000
    assert overtaken.as_dict()["superseded"] is True
    [info] = get_connectors(engine)
    assert info.cursor["after"] == last and info.items_fetched == MESSAGES
