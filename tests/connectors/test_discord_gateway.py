"""The discord connector's live stream: Discord's Gateway as its documentation shows it
(https://discord.com/developers/docs/events/gateway: HELLO, IDENTIFY with intents, heartbeats and their
ACK, READY, RESUME, RECONNECT, INVALID SESSION, close codes), served by tests/connectors/gateway.py; the
REST side is the local Discord API of tests/connectors/discord_api.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.streams import Streams
from tending.connectors import discord_gateway
from tending.connectors.base import ConnectorError
from tending.connectors.discord_gateway import Watch
from tending.playbooks import default_playbook
from tending.timeutil import utcnow
from tests.connectors.discord_api import CHANNEL, GUILD, TOKEN, USERS, DiscordApi
from tests.connectors.gateway import Gateway
from tests.connectors.gateway import serving as serving_gateway
from tests.connectors.jsonserver import serving
from tests.connectors.streaming import FAST, welcomes, worker

IDENTIFY = {
    "token": TOKEN,
    "intents": (1 << 1) | (1 << 9) | (1 << 15),  # GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT
    "properties": {"os": "linux", "browser": "tending", "device": "tending"},
}


class Listener:
    """discord_gateway.stream in a thread, counting the news it tells."""

    def __init__(self, url: str, token: str = TOKEN) -> None:
        self.news = 0
        self.error: BaseException | None = None
        self.go = True
        self.watch = Watch(token, CHANNEL, GUILD, self._tell, lambda: self.go)
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()

    def _tell(self) -> None:
        self.news += 1

    def _run(self, url: str) -> None:
        try:
            discord_gateway.stream(url, self.watch)
        except BaseException as error:
            self.error = error

    def until(self, condition: object, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.01)
        assert condition(), "the condition never held"  # type: ignore[operator]

    def stop(self) -> None:
        self.go = False
        self.thread.join(10)
        assert not self.thread.is_alive()


@contextmanager
def listening(gateway: Gateway) -> Iterator[Listener]:
    with serving_gateway(gateway) as url:
        listener = Listener(url)
        try:
            yield listener
        finally:
            listener.stop()


def message(channel: str = CHANNEL) -> dict[str, object]:
    return {"id": "1", "channel_id": channel, "guild_id": GUILD, "author": USERS["ada"]}


def test_identify_heartbeats_and_the_events_of_the_channel_and_its_server() -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=100)
    with listening(gateway) as listener:
        gateway.wait_connected()
        assert gateway.identified == [IDENTIFY]
        gateway.dispatch("MESSAGE_CREATE", message())
        gateway.dispatch("MESSAGE_CREATE", message("999"))  # another channel: not ours
        gateway.dispatch("GUILD_MEMBER_ADD", {"guild_id": GUILD, "user": USERS["bruno"]})
        gateway.dispatch("TYPING_START", {"channel_id": CHANNEL})  # not news
        listener.until(lambda: listener.news == 2)
        listener.until(lambda: len(gateway.heartbeats) >= 3)
        assert gateway.heartbeats[-1] == gateway.seq  # the last sequence number received
    assert gateway.closes == [1000] and listener.error is None and listener.news == 2


def test_reconnect_resumes_the_session_and_gets_what_was_missed() -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=100)
    with listening(gateway) as listener:
        gateway.wait_connected()
        gateway.dispatch("MESSAGE_CREATE", message(), missed=True)
        gateway.reconnect()  # op 7
        gateway.wait_connected()
        listener.until(lambda: listener.news == 1)
        assert gateway.resumed == [{"token": TOKEN, "session_id": "session-1", "seq": 1}]
        assert len(gateway.identified) == 1
        gateway.wait_closed()
        assert gateway.closes[0] == 4900  # not 1000, which would have ended the session


def test_a_zombie_connection_is_closed_and_resumed() -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=100)
    with listening(gateway):
        gateway.wait_connected()
        gateway.stop_acking()  # the heartbeat goes unacknowledged: the connection is a zombie
        gateway.wait_connected()
        gateway.wait_closed()
        assert gateway.closes[0] == 4900 and len(gateway.resumed) == 1


def test_an_invalid_session_is_identified_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord_gateway, "INVALID_WAIT_S", (0.0, 0.01))
    gateway = Gateway(TOKEN, heartbeat_ms=100)
    with listening(gateway):
        gateway.wait_connected()
        gateway.invalidate(resumable=False)  # op 9, d false
        gateway.wait_connected()
        assert gateway.identified == [IDENTIFY, IDENTIFY] and gateway.resumed == []


@pytest.mark.parametrize(
    ("token", "privileged", "sentence"),
    [
        ("MTA4OTUy.reset-long-ago", True, discord_gateway.FATAL[4004]),
        (TOKEN, False, discord_gateway.FATAL[4014]),
    ],
)
def test_a_refused_token_or_intents_end_the_stream_with_one_sentence(
    token: str, privileged: bool, sentence: str
) -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=100)
    gateway.privileged_enabled = privileged
    with serving_gateway(gateway) as url:
        listener = Listener(url, token)
        listener.thread.join(10)
    assert isinstance(listener.error, ConnectorError) and str(listener.error) == sentence
    assert "reset-long-ago" not in sentence and TOKEN not in sentence


@contextmanager
def connected_channel(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, gateway: Gateway
) -> Iterator[DiscordApi]:
    """Cats connected to #general, synced once, the built-in playbook on from now."""
    from tending.actions.communities import do_set_start_url
    from tending.actions.onboarding import do_enable_playbook
    from tending.store.communities import find_community

    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    platform = DiscordApi()
    platform.say("ada", "Bonjour à tous")
    with serving(platform) as url, serving_gateway(gateway) as gateway_url:
        platform.gateway_url = gateway_url
        fields = {"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"}
        do_connect(engine, "discord", CHANNEL, community_name="Cats", fields=fields, backoff=FAST)
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        with engine.begin() as conn:
            community = find_community(conn, "Cats")
            assert community is not None
            community = do_set_start_url(conn, community, "https://chats-amis.fr/regles", actor="t")
            do_enable_playbook(conn, community, default_playbook(), since=utcnow(), actor="t")
        yield platform


def test_a_member_who_joins_gets_a_drafted_welcome_through_the_gateway(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=1000)
    with connected_channel(engine, monkeypatch, gateway) as platform:
        with worker(engine, Streams(engine, backoff=FAST)):
            gateway.wait_connected()
            platform.clock = datetime.now(UTC) - timedelta(minutes=5)  # say() adds 5 minutes
            platform.join("bruno")  # the join message in the system channel
            joined = time.monotonic()
            gateway.dispatch("GUILD_MEMBER_ADD", {"guild_id": GUILD, "user": USERS["bruno"]})
            while not welcomes(engine) and time.monotonic() - joined < 20:
                time.sleep(0.02)
            delay = time.monotonic() - joined
        assert welcomes(engine) == [USERS["bruno"]["id"]]
    print(f"welcome drafted {delay:.2f} s after GUILD_MEMBER_ADD")
    assert delay < 5  # the worker ticks every 300 s: only the gateway brings it this soon
    assert gateway.identified == [IDENTIFY]


def test_a_refused_gateway_marks_the_connector_failing_and_polling_goes_on(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = Gateway(TOKEN, heartbeat_ms=1000)
    gateway.privileged_enabled = False  # the application has not enabled its privileged intents
    with (
        connected_channel(engine, monkeypatch, gateway) as platform,
        worker(engine, Streams(engine, backoff=FAST, retry_s=600)),
    ):
        deadline = time.monotonic() + 20
        while get_connectors(engine)[0].state != "failing" and time.monotonic() < deadline:
            time.sleep(0.02)
        [broken] = get_connectors(engine)
        platform.say("bruno", "Salut")
        [polled] = do_sync(engine, backoff=FAST)  # the interval's poll
    assert broken.reason == (
        "the live stream stopped: Discord's gateway refused the privileged intents (close code "
        "4014): enable Server Members Intent and Message Content Intent (Developer Portal > Bot > "
        "Privileged Gateway Intents); syncing every 300 s instead until it reconnects."
    )
    assert polled.ok and polled.counts.activities_added == 1
    assert get_connectors(engine)[0].state == "ok"


def test_gateway_no_keeps_to_polling(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    platform = DiscordApi()
    with serving(platform) as url:
        fields = {"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10", "gateway": "no"}
        do_connect(engine, "discord", CHANNEL, community_name="Cats", fields=fields, backoff=FAST)
        assert Streams(engine).refresh() == []
