"""`tending worker` streams a Telegram group: it holds a long-polled getUpdates open (Bot API,
https://core.telegram.org/bots/api#getupdates: `timeout` is how long Telegram may hold the request until
an update comes) from the stored offset, which confirms only what a sync stored, so a member who joins
gets a drafted welcome within a second, not one poll interval, and no update is lost. The Bot API is
the local one of tests/connectors/telegram_api.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.streams import Streams
from tending.playbooks import default_playbook
from tending.timeutil import utcnow
from tests.connectors.jsonserver import serving
from tests.connectors.streaming import FAST, welcomes, worker
from tests.connectors.telegram_api import TOKEN, BotApi, a_group

START_URL = "https://entraide-chats.fr/regles"
CHLOE = {"id": 333, "is_bot": False, "first_name": "Chloé", "username": "chloe"}
DAVID = {"id": 444, "is_bot": False, "first_name": "David"}


@contextmanager
def connected_group(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApi]:
    """Entraide's group on the local Bot API, connected, synced once, the built-in playbook on from a
    minute ago (its history is months old)."""
    from tending.actions.communities import do_set_start_url
    from tending.actions.onboarding import do_enable_playbook
    from tending.store.communities import find_community

    api = BotApi()
    a_group(api)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    with serving(api) as url:
        fields = {"token": "env:BOT_TOKEN", "api_url": url}
        do_connect(engine, "telegram", "-1001234567890", community_name="Entraide", fields=fields)
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        with engine.begin() as conn:
            community = find_community(conn, "Entraide")
            assert community is not None
            community = do_set_start_url(conn, community, START_URL, actor="test")
            since = utcnow() - timedelta(minutes=1)  # the Bot API's dates are whole seconds
            do_enable_playbook(conn, community, default_playbook(), since=since, actor="test")
        yield api


def joins(api: BotApi, person: dict[str, Any]) -> float:
    api.add({"from": person, "new_chat_members": [person], "date": int(time.time())})
    return time.monotonic()


def until(condition: Any, timeout: float = 10) -> float:
    started = time.monotonic()
    while not condition() and time.monotonic() - started < timeout:
        time.sleep(0.01)
    return time.monotonic()


def test_a_member_who_joins_gets_a_drafted_welcome_within_a_second(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connected_group(engine, monkeypatch) as api:
        streams = Streams(engine, timeout_ms=3000, backoff=FAST, idle_s=0.5)
        with worker(engine, streams):
            until(lambda: api.held == 1)
            assert welcomes(engine) == []
            joined = joins(api, CHLOE)
            chloe_s = until(lambda: len(welcomes(engine)) == 1) - joined
            joined = joins(api, DAVID)  # the stream listens again from the offset the sync stored
            david_s = until(lambda: len(welcomes(engine)) == 2) - joined
            # the interval's poll while the stream's long-poll is open: Telegram ends the older one
            until(lambda: api.held == 1)
            [polled] = do_sync(engine, backoff=FAST)
            until(lambda: api.held == 1)  # the stream, back after its idle wait
            [info] = get_connectors(engine)
    assert welcomes(engine) == ["user333", "user444"]
    print(f"welcomes drafted {chloe_s:.2f} s and {david_s:.2f} s after the joins")
    # the worker ticks every 300 s: only the stream brings it this soon
    assert chloe_s < 1.5 and david_s < 1.5
    assert polled.ok and polled.records == 0
    assert info.state == "ok" and info.reason is None
    assert api.updates == []  # all confirmed, each after it was stored
    with engine.connect() as conn:
        found = conn.execute(text("SELECT source_id FROM activities ORDER BY source_id")).scalars()
        assert list(found) == [
            "-1001234567890:1:user111",
            "-1001234567890:2",
            "-1001234567890:3",
            "-1001234567890:5:user333",
            "-1001234567890:6:user444",
        ]


def test_a_webhook_stops_the_stream_with_one_sentence(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connected_group(engine, monkeypatch) as api:
        api.webhook = True
        streams = Streams(engine, timeout_ms=3000, backoff=FAST, retry_s=600)
        with worker(engine, streams):
            until(lambda: get_connectors(engine)[0].state == "failing")
            [broken] = get_connectors(engine)
    assert broken.reason == (
        "the live stream stopped: the bot has a webhook set, and getUpdates does not work while it "
        "has one (HTTP 409): remove it (deleteWebhook) or give this connector a bot of its own; "
        "syncing every 300 s instead until it reconnects."
    )
    assert TOKEN not in str(broken.as_dict())


def test_a_stream_whose_sync_fails_waits_for_a_newer_offset_without_asking_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connected_group(engine, monkeypatch) as api:
        streams = Streams(engine, timeout_ms=3000, backoff=FAST)
        with worker(engine, streams):
            until(lambda: api.held == 1)
            api.add({"from": CHLOE, "text": "Bonjour", "date": "hier"})  # a sync refuses it
            until(lambda: get_connectors(engine)[0].state == "failing")
            asked = api.polls
            time.sleep(1.5)
            [failing] = get_connectors(engine)
            assert api.polls == asked and api.held == 0  # the update is still there, unconfirmed
    assert failing.reason == "getUpdates: field 'date': update #1: no valid date."
    assert [u["update_id"] for u in api.updates] == [5005]
