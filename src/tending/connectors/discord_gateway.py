"""Discord's Gateway, the websocket that pushes a bot's events
(https://discord.com/developers/docs/events/gateway), as the discord connector's live stream: an event
for the channel (MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE) or its server (GUILD_MEMBER_ADD,
GUILD_MEMBER_REMOVE) calls news(), and the worker runs the connector's REST pass (connectors/discord.py),
which stores what is new from its cursor. Nothing is stored from the gateway itself.

The conversation, as the documentation's "Connection Lifecycle" tells it:
- GET /gateway/bot gives the URL; connect with ?v=10&encoding=json;
- HELLO (op 10) gives heartbeat_interval: a heartbeat (op 1, the last sequence number or null) after
  interval x jitter, then every interval; each must be acknowledged (op 11) before the next is due, else
  the connection is a zombie: close it (not with 1000, which would end the session) and resume;
  a heartbeat asked for (op 1 from Discord) is sent at once;
- IDENTIFY (op 2) with the token, the intents GUILD_MEMBERS, GUILD_MESSAGES and MESSAGE_CONTENT, and
  properties; READY gives session_id and resume_gateway_url;
- RECONNECT (op 7), or a close with a code that allows it: connect to resume_gateway_url and RESUME
  (op 6: token, session_id, seq); Discord replays what was missed, then RESUMED;
- INVALID SESSION (op 9): d true, resume; d false, wait 1 to 5 s and IDENTIFY again;
- close codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-close-event-codes):
  4004 (authentication failed), 4010 to 4014 (shard, version, intents) end the stream with one sentence;
  4007 (invalid seq) and 4009 (session timed out) start a new session; the others resume.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from tending.connectors.base import ConnectorError, Http, json_of

VERSION = 10
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
INTENTS = GUILD_MEMBERS | GUILD_MESSAGES | MESSAGE_CONTENT
CHANNEL_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})
GUILD_EVENTS = frozenset({"GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE"})
NEW_SESSION_CODES = frozenset({4007, 4009})
FATAL = {
    4004: "token: Discord's gateway refused the bot token (close code 4004): it is wrong or was reset "
    "(Developer Portal > Bot > Reset Token).",
    4010: "Discord's gateway refused the shard (close code 4010).",
    4011: "Discord's gateway asks for sharding (close code 4011): the bot is in too many servers for "
    "one connection.",
    4012: "Discord's gateway refused API version 10 (close code 4012).",
    4013: "Discord's gateway refused the intents (close code 4013).",
    4014: "Discord's gateway refused the privileged intents (close code 4014): enable Server Members "
    "Intent and Message Content Intent (Developer Portal > Bot > Privileged Gateway Intents).",
}
WAKE_S = 5.0  # the longest wait on the socket between two looks at running()
MAX_BYTES = 16 << 20  # a READY of a large server is big; the default 1 MiB is too little
MAX_RETRIES = 5  # connections in a row that end before READY or RESUMED
INVALID_WAIT_S = (1.0, 5.0)  # after INVALID SESSION (d false), before a new IDENTIFY


@dataclass
class Session:
    """What lets a connection resume: the session's id, where to resume, the last sequence number."""

    session_id: str | None = None
    resume_url: str | None = None
    seq: int | None = None

    def forget(self) -> None:
        self.session_id = self.resume_url = self.seq = None


@dataclass
class Watch:
    """What the stream listens for, and whom to tell."""

    token: str
    channel: str
    guild: str | None
    news: Callable[[], None]
    running: Callable[[], bool]

    def wants(self, event: str | None, data: Any) -> bool:
        if not isinstance(data, dict):
            return False
        if event in CHANNEL_EVENTS:
            return str(data.get("channel_id")) == self.channel
        if event in GUILD_EVENTS:
            return self.guild is not None and str(data.get("guild_id")) == self.guild
        return False


def gateway_url(http: Http, base: str) -> str:
    """GET /gateway/bot (https://discord.com/developers/docs/events/gateway#get-gateway-bot)."""
    response = http.get(f"{base}/gateway/bot", ok=(200, 401))
    if response.status_code == 401:
        raise ConnectorError(
            "token: Discord refused the bot token (HTTP 401): it is wrong or was reset "
            "(Developer Portal > Bot > Reset Token)."
        )
    data = json_of(response, "gateway")
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("ws", "wss"):
        raise ConnectorError("Discord's /gateway/bot answer names no websocket URL.")
    return url


def stream(gateway: str, watch: Watch) -> None:
    """Hold the gateway until watch.running() says no; raises ConnectorError when it cannot go on."""
    session = Session()
    failed = 0
    while watch.running():
        url = session.resume_url if session.session_id and session.resume_url else gateway
        try:
            with _connect(url) as ws:
                if converse(ws, session, watch):
                    failed = 0
                else:
                    failed += 1
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            if code in FATAL:
                raise ConnectorError(FATAL[code]) from None
            if code in NEW_SESSION_CODES:
                session.forget()
            failed += 1
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise ConnectorError(
                f"cannot reach Discord's gateway at {urlsplit(url).hostname} "
                f"({type(error).__name__})."
            ) from None
        if failed >= MAX_RETRIES:
            raise ConnectorError(
                f"Discord's gateway closed {failed} connections in a row before they were ready."
            )


def _connect(url: str) -> ClientConnection:
    return connect(
        f"{url.rstrip('/')}/?v={VERSION}&encoding=json",
        proxy=None,
        ping_interval=None,  # the gateway's own heartbeats keep the connection alive
        max_size=MAX_BYTES,
        open_timeout=30,
        close_timeout=5,
        user_agent_header="DiscordBot (tending, 0.1)",
    )


def converse(ws: ClientConnection, session: Session, watch: Watch) -> bool:
    """One connection, from HELLO to its end; True if it got READY or RESUMED. Returns to reconnect
    (RECONNECT, INVALID SESSION, a zombie) or when watch.running() says no."""
    hello = _receive(ws, 30)
    if hello.get("op") != 10:
        raise ConnectorError("Discord's gateway did not begin with HELLO (op 10).")
    interval = float((hello.get("d") or {}).get("heartbeat_interval", 41250)) / 1000
    if session.session_id:
        _send(ws, 6, {"token": watch.token, "session_id": session.session_id, "seq": session.seq})
    else:
        _send(ws, 2, _identify(watch.token))
    beat_at = time.monotonic() + interval * random.random()
    acked, ready = True, False
    while watch.running():
        now = time.monotonic()
        if now >= beat_at:
            if not acked:
                ws.close(4900, "zombied connection")  # not 1000: the session stays resumable
                return ready
            _send(ws, 1, session.seq)
            acked, beat_at = False, now + interval
            continue
        try:
            payload = _receive(ws, min(beat_at - now, WAKE_S))
        except TimeoutError:
            continue
        if payload.get("s") is not None:
            session.seq = int(payload["s"])
        op = payload.get("op")
        if op == 0:
            ready = _dispatch(payload, session, watch) or ready
        elif op == 1:
            _send(ws, 1, session.seq)
        elif op == 11:
            acked = True
        elif op == 7:
            ws.close(4900, "reconnect asked")
            return ready
        elif op == 9:
            if not payload.get("d"):
                session.forget()
                time.sleep(random.uniform(*INVALID_WAIT_S))  # the documentation's wait
            ws.close(4900, "invalid session")
            return ready
    ws.close(1000, "stopped")
    return ready


def _dispatch(payload: dict[str, Any], session: Session, watch: Watch) -> bool:
    event, data = payload.get("t"), payload.get("d")
    if event == "READY" and isinstance(data, dict):
        session.session_id = str(data.get("session_id") or "") or None
        session.resume_url = str(data.get("resume_gateway_url") or "") or None
        return True
    if event == "RESUMED":
        return True
    if watch.wants(event, data):
        watch.news()
    return False


def _identify(token: str) -> dict[str, Any]:
    return {
        "token": token,
        "intents": INTENTS,
        "properties": {"os": "linux", "browser": "tending", "device": "tending"},
    }


def _send(ws: ClientConnection, op: int, data: Any) -> None:
    ws.send(json.dumps({"op": op, "d": data}))


def _receive(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    raw = ws.recv(timeout=max(0.0, timeout))
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ConnectorError("Discord's gateway sent something that is not JSON.") from None
    if not isinstance(payload, dict):
        raise ConnectorError("Discord's gateway sent a payload that is not an object.")
    return payload
