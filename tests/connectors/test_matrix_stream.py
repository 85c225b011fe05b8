"""`tending worker` streams a Matrix room: it holds a long-polled /sync open on the real Synapse of the
delivery tests (spec.matrix.org v1.11, client-server API, GET /sync: `timeout` is how long the homeserver
may wait for an event before answering), so a member who joins gets a drafted welcome within seconds,
not one poll interval. A stream that breaks marks the connector failing with one sentence, the worker
goes on, and polling takes over."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.streams import Streams
from tending.playbooks import default_playbook
from tending.timeutil import utcnow
from tests.connectors.streaming import FAST, welcomes, worker
from tests.delivery.synapse import Homeserver

pytestmark = pytest.mark.synapse
START_URL = "https://entraide-chats.fr/regles"
_n = itertools.count(1)


@dataclass
class Room:
    id: str
    ada: httpx.Client
    bot: str
    token: str


@contextmanager
def connected_room(
    engine: Engine, homeserver: Homeserver, monkeypatch: pytest.MonkeyPatch, url: str | None = None
) -> Iterator[Room]:
    """ada's room, where the bot account sits; Entraide is connected to it (through `url`, else the
    homeserver itself), synced once, with the built-in playbook on from now."""
    from tending.actions.communities import do_set_start_url
    from tending.actions.onboarding import do_enable_playbook
    from tending.store.communities import find_community

    n = next(_n)
    (bot, bot_token), (_ada, ada_token) = (
        homeserver.register(f"{name}s{n}") for name in ("tending", "ada")
    )
    with homeserver.client(ada_token) as as_ada, homeserver.client(bot_token) as as_bot:
        room = as_ada.post(
            "/_matrix/client/v3/createRoom",
            json={"name": "Entraide", "invite": [bot], "preset": "private_chat"},
        ).json()["room_id"]
        as_bot.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
        monkeypatch.setenv("BOT_TOKEN", bot_token)
        fields = {"homeserver": url or homeserver.url, "access_token": "env:BOT_TOKEN"}
        do_connect(engine, "matrix", room, community_name="Entraide", fields=fields, backoff=FAST)
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        with engine.begin() as conn:
            community = find_community(conn, "Entraide")
            assert community is not None
            community = do_set_start_url(conn, community, START_URL, actor="test")
            do_enable_playbook(conn, community, default_playbook(), since=utcnow(), actor="test")
        yield Room(id=room, ada=as_ada, bot=bot, token=bot_token)


def join(homeserver: Homeserver, room: Room, name: str) -> str:
    user, token = homeserver.register(name)
    room.ada.post(
        f"/_matrix/client/v3/rooms/{room.id}/invite", json={"user_id": user}
    ).raise_for_status()
    with homeserver.client(token) as client:
        client.post(f"/_matrix/client/v3/join/{room.id}").raise_for_status()
    return user


def test_a_member_who_joins_gets_a_drafted_welcome_within_seconds(
    engine: Engine, homeserver: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connected_room(engine, homeserver, monkeypatch) as room:
        streams = Streams(engine, timeout_ms=3000, backoff=FAST)
        with worker(engine, streams):
            assert welcomes(engine) == []
            chloe = join(homeserver, room, f"chloe{next(_n)}")
            joined = time.monotonic()
            while not welcomes(engine) and time.monotonic() - joined < 20:
                time.sleep(0.02)
            delay = time.monotonic() - joined
    assert welcomes(engine) == [chloe]
    print(f"welcome drafted {delay:.2f} s after the join")
    assert delay < 5  # the worker ticks every 300 s: only the stream brings it this soon
    [info] = get_connectors(engine)
    assert info.state == "ok" and info.reason is None


class CuttingProxy:
    """A reverse proxy in front of Synapse that cuts long-polls short with 504 Gateway Timeout (as a
    proxy whose read timeout is shorter than the long-poll does) and passes every other request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.cut = 0

    @contextmanager
    def serving(self) -> Iterator[str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if query.get("timeout", ["0"])[0] != "0":
                    proxy.cut += 1
                    self.answer(504, b"<html>504 Gateway Time-out</html>", "text/html")
                    return
                headers = {"Authorization": self.headers.get("Authorization", "")}
                got = httpx.get(f"{proxy.upstream}{self.path}", headers=headers, timeout=30)
                self.answer(got.status_code, got.content, got.headers.get("content-type", ""))

            def answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def test_a_broken_stream_marks_the_connector_failing_and_polling_takes_over(
    engine: Engine, homeserver: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = CuttingProxy(homeserver.url)
    with proxy.serving() as url, connected_room(engine, homeserver, monkeypatch, url) as room:
        streams = Streams(engine, timeout_ms=3000, backoff=FAST, retry_s=600)
        with worker(engine, streams):
            deadline = time.monotonic() + 20
            while get_connectors(engine)[0].state != "failing" and time.monotonic() < deadline:
                time.sleep(0.05)
            [broken] = get_connectors(engine)
            chloe = join(homeserver, room, f"chloe{next(_n)}")
            # the interval's poll, as the worker runs it when the connector is due
            [polled] = do_sync(engine, backoff=FAST)
        assert proxy.cut == 2  # the stream's two tries (FAST), then it waits before trying again
    assert broken.state == "failing"
    assert broken.reason == (
        f"the live stream stopped: {url[7:]}/_matrix/client/v3/sync has a server error (HTTP 504, "
        "2 tries); the next sync will try again; syncing every 300 s instead until it reconnects."
    )
    assert room.token not in str(broken.as_dict())
    assert polled.ok and polled.counts.activities_added == 1
    [info] = get_connectors(engine)
    assert info.state == "ok"
    with engine.connect() as conn:
        joined = conn.execute(
            text(
                "SELECT i.external_id FROM activities a JOIN identities i ON i.member_id = a.member_id "
                "WHERE a.kind = 'joined' ORDER BY a.occurred_at DESC LIMIT 1"
            )
        ).scalar_one()
    assert joined == chloe
