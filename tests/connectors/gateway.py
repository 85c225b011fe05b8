"""A local Discord Gateway answering as https://discord.com/developers/docs/events/gateway shows:
HELLO (op 10) with heartbeat_interval on connect; IDENTIFY (op 2) checked (token, intents) and answered
with READY (session_id, resume_gateway_url); heartbeats (op 1) answered with HEARTBEAT ACK (op 11);
RESUME (op 6) replays the dispatches after `seq`, then RESUMED; an unknown session gets INVALID SESSION
(op 9, d false). Close codes as
https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-close-event-codes: 4004 for a
wrong token, 4014 for privileged intents the application has not enabled, 4002 for a payload it cannot
decode. The test drives it: dispatch(), reconnect() (op 7), invalidate() (op 9), stop_acking().
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

PRIVILEGED = (1 << 1) | (1 << 15)  # GUILD_MEMBERS, MESSAGE_CONTENT


class Gateway:
    def __init__(self, token: str, *, heartbeat_ms: int = 200) -> None:
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.privileged_enabled = True
        self.acking = True
        self.url = ""
        self.identified: list[dict[str, Any]] = []
        self.resumed: list[dict[str, Any]] = []
        self.heartbeats: list[Any] = []
        self.closes: list[int | None] = []  # the codes the client closed with
        self.events: list[dict[str, Any]] = []  # every dispatch sent, with its s, for RESUME
        self.sessions: set[str] = set()
        self.seq = 0
        self.connected = threading.Event()
        self.closed = threading.Event()  # a connection's handler ended (its close code recorded)
        self._sessions = itertools.count(1)
        self._current: ServerConnection | None = None
        self._lock = threading.Lock()

    # -- what the test does -------------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], *, missed: bool = False) -> None:
        """An event of the bot's servers, sent now (and kept for a RESUME that missed it); `missed`:
        lost on the way, as when the connection drops, so only a RESUME brings it."""
        with self._lock:
            self.seq += 1
            payload = {"op": 0, "t": event, "s": self.seq, "d": data}
            self.events.append(payload)
            current = self._current
        if current is not None and not missed:
            with contextlib.suppress(ConnectionClosed):  # missed: a RESUME replays it
                current.send(json.dumps(payload))

    def reconnect(self) -> None:
        self._send_now({"op": 7, "d": None})

    def invalidate(self, resumable: bool) -> None:
        if not resumable:
            self.sessions.clear()
        self._send_now({"op": 9, "d": resumable})

    def stop_acking(self) -> None:
        self.acking = False

    def wait_closed(self, timeout: float = 10) -> None:
        """Until a connection's handler has ended: the client may resume on a new connection before the
        old one's handler has seen its close."""
        assert self.closed.wait(timeout), "no connection to the gateway was closed"

    def wait_connected(self, timeout: float = 10) -> None:
        assert self.connected.wait(timeout), "no client connected to the gateway"
        self.connected.clear()

    def _send_now(self, payload: dict[str, Any]) -> None:
        with self._lock:
            current = self._current
        assert current is not None, "no client is connected"
        current.send(json.dumps(payload))

    # -- the protocol --------------------------------------------------------------------------------

    def handle(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}}))
        try:
            for raw in ws:
                payload = json.loads(raw)
                if not self._answer(ws, payload):
                    return
        except ConnectionClosed:
            pass
        finally:
            self.closes.append(ws.close_code)
            self.closed.set()
            with self._lock:
                if self._current is ws:
                    self._current = None

    def _answer(self, ws: ServerConnection, payload: dict[str, Any]) -> bool:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeats.append(data)
            if self.acking:
                ws.send(json.dumps({"op": 11}))
            return True
        if op == 2:
            return self._identify(ws, data or {})
        if op == 6:
            return self._resume(ws, data or {})
        ws.close(4002, "Decode error")
        return False

    def _identify(self, ws: ServerConnection, data: dict[str, Any]) -> bool:
        self.identified.append(data)
        if data.get("token") != self.token:
            ws.close(4004, "Authentication failed.")
            return False
        if data.get("intents", 0) & PRIVILEGED and not self.privileged_enabled:
            ws.close(4014, "Disallowed intent(s).")
            return False
        session = f"session-{next(self._sessions)}"
        self.sessions.add(session)
        with self._lock:
            self.seq += 1
            ready = {
                "op": 0,
                "t": "READY",
                "s": self.seq,
                "d": {
                    "v": 10,
                    "user": {"id": "80351110224678999", "username": "helper", "bot": True},
                    "guilds": [{"id": "1089521338000000000", "unavailable": True}],
                    "session_id": session,
                    "resume_gateway_url": self.url,
                    "application": {"id": "80351110224678999", "flags": 0},
                },
            }
            self._current = ws
        ws.send(json.dumps(ready))
        self.connected.set()
        return True

    def _resume(self, ws: ServerConnection, data: dict[str, Any]) -> bool:
        self.resumed.append(data)
        if data.get("token") != self.token:
            ws.close(4004, "Authentication failed.")
            return False
        if data.get("session_id") not in self.sessions:
            ws.send(json.dumps({"op": 9, "d": False}))
            return True
        with self._lock:
            missed = [e for e in self.events if e["s"] > int(data.get("seq") or 0)]
            self.seq += 1
            resumed = {"op": 0, "t": "RESUMED", "s": self.seq, "d": None}
            self._current = ws
        for event in missed:
            ws.send(json.dumps(event))
        ws.send(json.dumps(resumed))
        self.connected.set()
        return True


@contextmanager
def serving(gateway: Gateway) -> Iterator[str]:
    """The gateway's ws:// URL (what GET /gateway/bot answers) while it serves."""
    server = serve(gateway.handle, "127.0.0.1", 0, compression=None)
    gateway.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield gateway.url
    finally:
        server.shutdown()
