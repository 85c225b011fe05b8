"""The slack connector's live stream, opt-in with an app-level token: Socket Mode as
https://docs.slack.dev/apis/events-api/using-socket-mode shows it (apps.connections.open, hello,
envelopes acknowledged by their envelope_id, disconnect), served by tests/connectors/socket_mode.py;
the Web API is the local one of tests/connectors/slack_api.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tending.actions.connectors import do_connect, do_sync
from tending.actions.streams import Streams
from tending.connectors import slack
from tending.connectors.base import ConnectorError, Http
from tending.playbooks import default_playbook
from tending.timeutil import utcnow
from tests.connectors.jsonserver import serving
from tests.connectors.slack_api import APP_TOKEN, CHANNEL, TOKEN, SlackApi
from tests.connectors.socket_mode import SocketMode
from tests.connectors.socket_mode import serving as serving_socket
from tests.connectors.streaming import FAST, welcomes, worker

BRUNO = "U02BRUNO"


class Listener:
    """slack.listen in a thread, counting the news it tells."""

    def __init__(self, api_url: str, app_token: str = APP_TOKEN) -> None:
        self.news = 0
        self.error: BaseException | None = None
        self.go = True
        credentials = {"token": TOKEN, "api_url": api_url, "app_token": app_token}
        self.thread = threading.Thread(target=self._run, args=(credentials,), daemon=True)
        self.thread.start()

    def _tell(self) -> None:
        self.news += 1

    def _run(self, credentials: dict[str, str]) -> None:
        try:
            with Http(headers=slack.headers(credentials), backoff=FAST) as http:
                slack.listen(
                    CHANNEL, credentials, {}, http=http, news=self._tell, running=lambda: self.go
                )
        except BaseException as error:
            self.error = error

    def until(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert condition(), "the condition never held"


@contextmanager
def workspace() -> Iterator[tuple[SlackApi, SocketMode, str]]:
    api, socket = SlackApi(), SocketMode()
    with serving(api) as url, serving_socket(socket) as socket_url:
        api.socket_url = socket_url
        yield api, socket, url


def test_events_of_the_channel_are_news_and_every_envelope_is_acknowledged() -> None:
    with workspace() as (api, socket, url):
        listener = Listener(url)
        socket.wait_connected()
        sent = [
            socket.event({"type": "message", "channel": CHANNEL, "user": BRUNO, "text": "Salut"}),
            socket.event({"type": "message", "channel": "C0OTHER", "user": BRUNO, "text": "x"}),
            socket.event(
                {"type": "reaction_added", "item": {"type": "message", "channel": CHANNEL}}
            ),
            socket.event({"type": "member_joined_channel", "channel": CHANNEL, "user": BRUNO}),
            socket.event({"type": "team_join", "user": {"id": "U03CHLOE"}}),
        ]
        listener.until(lambda: len(socket.acks) == len(sent))
        listener.go = False
        listener.thread.join(10)
    assert socket.acks == sent and listener.news == 4 and listener.error is None
    assert api.opened == 1


def test_a_disconnect_opens_a_new_url_and_link_disabled_ends_the_stream() -> None:
    with workspace() as (_api, socket, url):
        listener = Listener(url)
        socket.wait_connected()
        socket.disconnect("refresh_requested")
        socket.wait_connected()
        assert [p.split("ticket=")[1][:2] for p in socket.paths] == ["t1", "t2"]
        socket.disconnect("link_disabled")
        listener.thread.join(10)
    assert isinstance(listener.error, ConnectorError)
    assert str(listener.error) == (
        "Slack turned Socket Mode off for the app (disconnect: link_disabled): turn it on again "
        "(Settings > Socket Mode)."
    )


def test_a_bot_token_given_as_the_app_token_is_refused_in_one_sentence() -> None:
    with workspace() as (_api, _socket, url):
        listener = Listener(url, app_token=TOKEN)
        listener.thread.join(10)
    assert isinstance(listener.error, ConnectorError)
    assert str(listener.error) == (
        "app_token: Slack refused to open a Socket Mode connection (apps.connections.open: "
        "not_allowed_token_type): give an app-level token (xapp-..., Basic Information > "
        "App-Level Tokens, scope connections:write) and turn Socket Mode on."
    )


def test_a_member_who_joins_gets_a_drafted_welcome_through_socket_mode(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tending.actions.communities import do_set_start_url
    from tending.actions.onboarding import do_enable_playbook
    from tending.store.communities import find_community

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    with workspace() as (api, socket, url):
        api.say("U01ADA", "Bonjour à tous")
        fields = {
            "token": "env:SLACK_BOT_TOKEN",
            "api_url": url,
            "app_token": "env:SLACK_APP_TOKEN",
        }
        do_connect(engine, "slack", CHANNEL, community_name="Entraide", fields=fields, backoff=FAST)
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        with engine.begin() as conn:
            community = find_community(conn, "Entraide")
            assert community is not None
            community = do_set_start_url(
                conn, community, "https://entraide-slack.fr/regles", actor="t"
            )
            do_enable_playbook(conn, community, default_playbook(), since=utcnow(), actor="t")
        with worker(engine, Streams(engine, backoff=FAST)):
            socket.wait_connected()
            api.clock = Decimal(f"{time.time() - 300:.6f}")  # say() adds 300 s: now
            api.join(BRUNO)  # the channel_join message
            joined = time.monotonic()
            socket.event({"type": "member_joined_channel", "channel": CHANNEL, "user": BRUNO})
            while not welcomes(engine) and time.monotonic() - joined < 20:
                time.sleep(0.02)
            delay = time.monotonic() - joined
        assert welcomes(engine) == [BRUNO]
    print(f"welcome drafted {delay:.2f} s after member_joined_channel")
    assert delay < 5  # the worker ticks every 300 s: only Socket Mode brings it this soon
    assert len(socket.acks) == 1


def test_without_an_app_token_a_slack_connector_keeps_to_polling(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with workspace() as (_api, _socket, url):
        fields = {"token": "env:SLACK_BOT_TOKEN", "api_url": url}
        do_connect(engine, "slack", CHANNEL, community_name="Entraide", fields=fields, backoff=FAST)
        assert Streams(engine).refresh() == []
