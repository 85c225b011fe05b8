"""Slack's Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode), as the slack
connector's live stream, opt-in with an app-level token (`app_token`, xapp-..., scope
connections:write): an Events API event of the channel (a message, a reaction, a member joining it) or
of the workspace (team_join) calls news(), and the worker runs the connector's REST pass
(connectors/slack.py). Nothing is stored from the socket itself.

- POST apps.connections.open with the app-level token gives a wss:// URL (single use);
- Slack first sends {"type": "hello"}; each envelope (events_api, slash_commands, interactive) carries
  an envelope_id that must be acknowledged by sending {"envelope_id": ...} back, else Slack sends it
  again (retry_attempt) and at last disables the app's events;
- {"type": "disconnect"} (reason refresh_requested, warning, too_many_websockets): open a new URL and
  connect again; link_disabled (Socket Mode turned off for the app) ends the stream with one sentence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from tending.connectors.base import ConnectorError, Http, json_of

WAKE_S = 5.0  # the longest wait on the socket between two looks at running()
MAX_BYTES = 4 << 20
MAX_RETRIES = 5  # connections in a row that end before hello
TEAM_EVENTS = frozenset({"team_join"})


@dataclass
class Watch:
    channel: str
    news: Callable[[], None]
    running: Callable[[], bool]

    def wants(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return False
        if event.get("type") in TEAM_EVENTS:
            return True
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        assert isinstance(item, dict)
        return self.channel in (event.get("channel"), item.get("channel"))


def open_url(http: Http, base: str, app_token: str) -> str:
    """apps.connections.open (https://docs.slack.dev/reference/methods/apps.connections.open)."""
    response = http.post(
        f"{base}/apps.connections.open", headers={"Authorization": f"Bearer {app_token}"}
    )
    data = json_of(response, "apps.connections.open")
    if not isinstance(data, dict) or not data.get("ok"):
        error = str(data.get("error") if isinstance(data, dict) else "") or "an unnamed error"
        error = error if error.replace("_", "").isalpha() and len(error) <= 60 else "an error"
        raise ConnectorError(
            f"app_token: Slack refused to open a Socket Mode connection (apps.connections.open: "
            f"{error}): give an app-level token (xapp-..., Basic Information > App-Level Tokens, "
            "scope connections:write) and turn Socket Mode on."
        )
    url = data.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("ws", "wss"):
        raise ConnectorError("Slack's apps.connections.open answer names no websocket URL.")
    return url


def stream(opener: Callable[[], str], watch: Watch) -> None:
    """Hold Socket Mode until watch.running() says no; each connection on a URL opener() gives."""
    failed = 0
    while watch.running():
        url = opener()
        try:
            with _connect(url) as ws:
                failed = 0 if converse(ws, watch) else failed + 1
        except ConnectionClosed:
            failed += 1
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise ConnectorError(
                f"cannot reach Slack's Socket Mode at {urlsplit(url).hostname} "
                f"({type(error).__name__})."
            ) from None
        if failed >= MAX_RETRIES:
            raise ConnectorError(
                f"Slack's Socket Mode closed {failed} connections in a row before its hello."
            )


def _connect(url: str) -> ClientConnection:
    return connect(url, proxy=None, max_size=MAX_BYTES, open_timeout=30, close_timeout=5)


def converse(ws: ClientConnection, watch: Watch) -> bool:
    """One connection; True if Slack said hello. Returns to reconnect (disconnect) or to stop."""
    hello = False
    while watch.running():
        try:
            raw = ws.recv(timeout=WAKE_S)
        except TimeoutError:
            continue
        try:
            message = json.loads(raw)
        except ValueError:
            raise ConnectorError("Slack's Socket Mode sent something that is not JSON.") from None
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if message.get("envelope_id"):
            ws.send(json.dumps({"envelope_id": message["envelope_id"]}))  # before the work
        if kind == "hello":
            hello = True
        elif kind == "disconnect":
            if message.get("reason") == "link_disabled":
                raise ConnectorError(
                    "Slack turned Socket Mode off for the app (disconnect: link_disabled): turn it "
                    "on again (Settings > Socket Mode)."
                )
            ws.close()
            return hello
        elif kind == "events_api" and watch.wants((message.get("payload") or {}).get("event")):
            watch.news()
    ws.close()
    return hello
