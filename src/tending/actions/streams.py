"""The worker's live streams: for each connector whose platform can push (a module of tending.connectors
with `listen`: Matrix's long-polled /sync, Telegram's long-polled getUpdates, Discord's Gateway, Slack's
Socket Mode), a thread holds the stream open and, as soon as something
arrives, wakes the worker, which syncs that connector at once and runs the playbooks: a member who
joins gets a drafted welcome within seconds instead of one poll interval.

A stream only says "something is new". The worker's own thread does every sync (actions/connectors.py
sync_one, the single write path), so a stream never writes records or a cursor. A stream that can only
listen from the stored cursor (Telegram: an offset confirms updates) returns True from listen once it
told news; it listens again as soon as a sync stored a newer cursor. A stream that breaks
(a token revoked, the homeserver away) marks its connector failing with one sentence and is tried again
later, with a growing wait; meanwhile the connector's polling at its interval goes on, and the worker
never stops for it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from tending.actions.connectors import masked, resolve_credentials
from tending.connectors import get_connector
from tending.connectors.base import Backoff, Http
from tending.errors import TendingError
from tending.store.communities import resolve_community
from tending.store.connectors import PAUSED, ConnectorRow, get_connector_rows, mark_failing

log = logging.getLogger("tending.worker")
RETRY_S = 30.0  # the first wait before a broken stream is tried again, doubled each time
MAX_RETRY_S = 900.0
IDLE_S = 5.0  # a stream with nothing to listen from yet (no first sync) looks again after this
SYNCED_S = (
    0.05  # the first wait before looking whether the sync a stream asked for stored its cursor
)


def can_stream(row: ConnectorRow) -> bool:
    """The connector's module has a live stream, and the connector did not turn it off."""
    module = get_connector(row.kind)
    wants = getattr(module, "wants_stream", None)
    return hasattr(module, "listen") and (
        wants is None or bool(wants(row.options, row.credentials))
    )


@dataclass
class Streams:
    """The streams of every connector that can stream and is not paused (of one community, or all)."""

    engine: Engine
    community_name: str | None = None
    file_values: dict[str, Any] | None = None
    timeout_ms: int | None = None  # the long-poll's; None: the connector's own
    backoff: Backoff | None = None
    retry_s: float = RETRY_S
    idle_s: float = IDLE_S
    _threads: dict[int, threading.Thread] = field(default_factory=dict)
    _active: set[int] = field(default_factory=set)
    _news: set[int] = field(default_factory=set)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> list[int]:
        """Start a stream for each connector that can stream and has none; the ids streaming now. A
        paused or removed connector's stream ends after its current long-poll."""
        with self.engine.connect() as conn:
            community_id = (
                resolve_community(conn, self.community_name).id if self.community_name else None
            )
            rows = get_connector_rows(conn, community_id=community_id)
        wanted = {row.id: row for row in rows if row.state != PAUSED and can_stream(row)}
        with self._lock:
            self._active = set(wanted)
            for connector_id, row in wanted.items():
                thread = self._threads.get(connector_id)
                if thread is None or not thread.is_alive():
                    thread = threading.Thread(
                        target=self._run, args=(row,), daemon=True, name=f"stream-{row.id}"
                    )
                    self._threads[connector_id] = thread
                    thread.start()
            return sorted(wanted)

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stream has news."""
        self._wake.wait(seconds)

    def take(self) -> set[int]:
        """The connectors with news since the last take."""
        with self._lock:
            found, self._news = self._news, set()
            self._wake.clear()
            return found

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def _running(self, connector_id: int) -> bool:
        return not self._stopped.is_set() and connector_id in self._active

    def _tell(self, connector_id: int) -> None:
        with self._lock:
            self._news.add(connector_id)
            self._wake.set()

    def _run(self, row: ConnectorRow) -> None:
        failures = 0
        while self._running(row.id):
            try:
                current = self._current(row)
                told = self._listen(current)
                failures = 0
                if told:
                    self._until_synced(current)
                else:  # nothing to listen from yet, or paused meanwhile
                    self._stopped.wait(self.idle_s)
            except TendingError as error:
                failures += 1
                self._broken(row, str(error), failures)
            except Exception as error:  # a connector's bug must not stop the worker
                failures += 1
                self._broken(row, f"it failed unexpectedly ({type(error).__name__})", failures)

    def _current(self, row: ConnectorRow) -> ConnectorRow:
        """The row as it is now: the cursor moves with each sync."""
        with self.engine.connect() as conn:
            found = get_connector_rows(conn, connector_id=row.id)
        return found[0] if found else row

    def _until_synced(self, row: ConnectorRow) -> None:
        """Wait until a sync stored a cursor other than row's, looking more and more seldom (up to
        idle_s apart): a sync that keeps failing leaves the stream waiting, not asking again."""
        wait = SYNCED_S
        while self._running(row.id) and self._current(row).cursor == row.cursor:
            self._stopped.wait(wait)
            wait = min(wait * 2, self.idle_s)

    def _listen(self, row: ConnectorRow) -> bool:
        """The module's listen; True when it told news and listens on only from a newer cursor."""
        module = get_connector(row.kind)
        values = resolve_credentials(row.options, row.credentials, self.file_values)
        secrets = [values[name] for name in row.credentials]
        options: dict[str, Any] = {}
        if self.timeout_ms is not None and hasattr(module, "STREAM_TIMEOUT_MS"):
            options["timeout_ms"] = self.timeout_ms
        wait_s = float(self.timeout_ms or getattr(module, "STREAM_TIMEOUT_MS", 0) or 0) / 1000
        try:
            with Http(
                headers=module.headers(values),
                backoff=self.backoff,
                timeout=wait_s + 15,
                follow_redirects=not row.credentials,
            ) as http:
                return bool(
                    module.listen(
                        row.target,
                        values,
                        row.cursor,
                        http=http,
                        news=lambda: self._tell(row.id),
                        running=lambda: self._running(row.id),
                        **options,
                    )
                )
        except TendingError as error:
            raise TendingError(masked(str(error), secrets)) from None

    def _broken(self, row: ConnectorRow, why: str, failures: int) -> None:
        wait = min(self.retry_s * 2 ** (failures - 1), MAX_RETRY_S)
        reason = (
            f"the live stream stopped: {why.rstrip('.')}; syncing every {row.interval_s} s "
            "instead until it reconnects."
        )
        log.warning("connector %s: %s (next try in %d s)", row.id, reason, wait)
        try:
            with self.engine.begin() as conn:
                mark_failing(conn, row.id, reason)
        except Exception:  # the database is busy or away: the log line says it, the tick will too
            pass
        self._stopped.wait(wait)
