"""A local Slack Socket Mode endpoint answering as
https://docs.slack.dev/apis/events-api/using-socket-mode shows: {"type": "hello", "num_connections",
"debug_info", "connection_info"} on connect; Events API envelopes {"type": "events_api", "envelope_id",
"payload": {"event": ...}, "accepts_response_payload", "retry_attempt", "retry_reason"}, each to be
acknowledged with {"envelope_id"} (the acknowledgements are kept, for the test to check);
{"type": "disconnect", "reason": ...} before it closes. The test drives it: event(), disconnect().
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


class SocketMode:
    def __init__(self) -> None:
        self.acks: list[str] = []
        self.paths: list[str] = []  # the ticket each connection used
        self.connected = threading.Event()
        self._ids = itertools.count(1)
        self._current: ServerConnection | None = None
        self._lock = threading.Lock()

    def event(self, event: dict[str, Any], *, retry_attempt: int = 0) -> str:
        envelope = f"envelope-{next(self._ids)}"
        self._send(
            {
                "envelope_id": envelope,
                "type": "events_api",
                "payload": {"type": "event_callback", "team_id": "T12345678", "event": event},
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope

    def disconnect(self, reason: str) -> None:
        self._send({"type": "disconnect", "reason": reason, "debug_info": {"host": "local"}})

    def wait_connected(self, timeout: float = 10) -> None:
        assert self.connected.wait(timeout), "no client connected to Socket Mode"
        self.connected.clear()

    def _send(self, message: dict[str, Any]) -> None:
        with self._lock:
            current = self._current
        assert current is not None, "no client is connected"
        current.send(json.dumps(message))

    def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "local", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0123APP"},
                }
            )
        )
        with self._lock:
            self._current = ws
        self.connected.set()
        with contextlib.suppress(ConnectionClosed):
            for raw in ws:
                envelope = json.loads(raw).get("envelope_id")
                if envelope:
                    self.acks.append(envelope)
        with self._lock:
            if self._current is ws:
                self._current = None


@contextmanager
def serving(socket_mode: SocketMode) -> Iterator[str]:
    server = serve(socket_mode.handle, "127.0.0.1", 0, compression=None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link/"
    finally:
        server.shutdown()
