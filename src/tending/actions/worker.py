"""The worker as a service: one tick (playbooks, then delivery), the loop that survives what goes wrong
between ticks, the configuration check that `tending check` and `tending worker` run, and the status that
`tending status` and /healthz show.

What the loop survives, one log line each, then waits longer (up to MAX_BACKOFF_S) and tries again; rows
stay queued throughout:
- a locked SQLite file (an import holds the write lock) or an unreachable PostgreSQL server;
- a delivery configuration mistake (ConfigurationError: the row in hand goes back untouched);
- a message that makes a transport fail in an unexpected way (recorded on the row, retried with backoff);
- any other error of one tick.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from tending.actions.outbox import SENDING_LEASE
from tending.actions.run import TickSummary
from tending.actions.run import do_tick as run_tick
from tending.actions.streams import Streams
from tending.config import Settings
from tending.delivery.base import ConfigurationError
from tending.delivery.config import check_delivery, merged_delivery
from tending.errors import TendingError, UsageError
from tending.store.communities import get_communities, resolve_community
from tending.store.engine import describe_database_error
from tending.store.outbox import get_queued_channels, get_stuck_counts
from tending.store.workers import Heartbeat, forget_heartbeats, get_heartbeats, record_heartbeat
from tending.timeutil import isoformat_utc, utcnow

log = logging.getLogger("tending.worker")
MAX_BACKOFF_S = 300.0
OVERDUE = timedelta(hours=1)  # an approved row due this long ago and not sent is stuck
SILENT = timedelta(minutes=10)  # a worker not heard of for this long is not running
FORGOTTEN = timedelta(days=7)


def do_tick_named(
    engine: Engine,
    delivery: dict[str, Any],
    *,
    now: datetime | None,
    community_name: str | None,
    templates: Path | None,
) -> list[TickSummary]:
    """One tick of every community (or the one named): the single tick of actions/run.py, with the
    community chosen by name (`tending run` and the worker)."""
    with engine.connect() as conn:
        chosen = (
            [resolve_community(conn, community_name)] if community_name else get_communities(conn)
        )
    return run_tick(engine, chosen, now=now, delivery_settings=delivery, templates_dir=templates)


# -- the configuration check ----------------------------------------------------------------------------


def check_configuration(settings: Settings, engine: Engine | None) -> list[str]:
    """Every mistake that would stop delivery, one sentence each (empty: all is well): the [delivery]
    table, and for each community the transports its queued messages need."""
    delivery = settings.section("delivery")
    problems = check_delivery(delivery)
    if engine is None:
        return problems
    with engine.connect() as conn:
        for community in get_communities(conn):
            channels = get_queued_channels(conn, community.id)
            merged = merged_delivery(dict(delivery), community.settings)
            for problem in check_delivery(merged, platform=community.platform, channels=channels):
                if problem not in problems:
                    problems.append(f"{community.name}: {problem}")
    return problems


# -- the loop -------------------------------------------------------------------------------------------


@dataclass
class WorkerLoop:
    """`tending worker`: a tick every `interval` seconds until `stop()` says so."""

    engine: Engine
    delivery: dict[str, Any]
    interval: float
    community_name: str | None
    templates: Path | None  # the user's templates folder (None: the built-in texts)
    report: Callable[[list[TickSummary]], None] = lambda summaries: None
    # the connectors' pass, run before each tick (tending worker): those due, and those a stream woke
    sync: Callable[[set[int]], None] | None = None
    streams: Streams | None = None  # the live streams (actions/streams.py): news cuts a wait short
    sleep: Callable[[float], None] = time.sleep
    stop: Callable[[], bool] = lambda: False
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    started_at: datetime = field(default_factory=utcnow)
    failures: int = 0

    def run(self) -> None:
        try:
            while not self.stop():
                started = time.monotonic()
                wait = self.tick_once()
                rest = max(0.0, wait - (time.monotonic() - started))
                if self.streams is not None:
                    self.streams.wait(rest)
                else:
                    self.sleep(rest)
        finally:
            if self.streams is not None:
                self.streams.stop()

    def tick_once(self) -> float:
        """One tick; the seconds to wait before the next (longer after each failure in a row)."""
        try:
            woken: set[int] = set()
            if self.streams is not None:
                woken = self.streams.take()
                self.streams.refresh()  # streams for connectors added since; paused ones end
            if self.sync is not None:
                self.sync(woken)  # a failing connector is marked failing, never stops the others
            summaries = do_tick_named(
                self.engine,
                self.delivery,
                now=None,
                community_name=self.community_name,
                templates=self.templates,
            )
        except Exception as error:
            self.failures += 1
            wait = min(self.interval * 2 ** min(self.failures, 10), MAX_BACKOFF_S)
            sentence = describe_tick_error(error)
            log.warning("%s; messages stay queued; next try in %d s", sentence, wait)
            self._heartbeat(error=sentence)
            return wait
        self.failures = 0
        self._heartbeat(summary=[summary.as_json() for summary in summaries])
        self.report(summaries)
        return self.interval

    def _heartbeat(
        self, *, summary: list[dict[str, Any]] | None = None, error: str | None = None
    ) -> None:
        try:
            with self.engine.begin() as conn:
                now = utcnow()
                record_heartbeat(
                    conn,
                    self.name,
                    started_at=self.started_at,
                    at=now,
                    summary=summary,
                    error=error,
                )
                forget_heartbeats(conn, before=now - FORGOTTEN)
        except (OperationalError, DBAPIError):
            pass  # the database is busy or away: the tick's own error already says so


def describe_tick_error(error: BaseException) -> str:
    """One sentence for the log and the heartbeat: never a traceback, never personal data."""
    if isinstance(error, DBAPIError):
        return describe_database_error(error)
    if isinstance(error, ConfigurationError):
        return f"delivery configuration: {error} (tending check lists every mistake)"
    if isinstance(error, TendingError):
        return str(error)
    return f"the tick failed unexpectedly ({type(error).__name__})"


def refuse_invalid_configuration(settings: Settings, engine: Engine) -> None:
    problems = check_configuration(settings, engine)
    if problems:
        more = (
            f" (and {len(problems) - 1} more: tending check lists them)"
            if len(problems) > 1
            else ""
        )
        raise UsageError(f"the worker cannot start: {problems[0]}{more}")


# -- status ---------------------------------------------------------------------------------------------


@dataclass
class WorkerStatus:
    heartbeats: list[Heartbeat]
    stuck: dict[
        str, dict[str, int]
    ]  # community name -> counts (needs_check, failed, stale_sending, overdue)
    running: bool

    def as_dict(self) -> dict[str, Any]:
        workers = [
            {
                "worker": h.worker,
                "started_at": isoformat_utc(h.started_at),
                "last_tick_at": isoformat_utc(h.last_tick_at),
                "last_ok_at": isoformat_utc(h.last_ok_at) if h.last_ok_at else None,
                "last_error": h.last_error,
                "ticks": h.ticks,
                "last_summary": h.last_summary,
            }
            for h in self.heartbeats
        ]
        return {"running": self.running, "workers": workers, "stuck": self.stuck}


def get_worker_status(engine: Engine, *, now: datetime | None = None) -> WorkerStatus:
    now = now or utcnow()
    with engine.connect() as conn:
        heartbeats = get_heartbeats(conn)
        stuck = {}
        for community in get_communities(conn):
            counts = get_stuck_counts(
                conn,
                community.id,
                now=now,
                stale_before=now - SENDING_LEASE,
                overdue_before=now - OVERDUE,
            )
            if any(counts.values()):
                stuck[community.name] = counts
    running = any(now - h.last_tick_at < SILENT for h in heartbeats)
    return WorkerStatus(heartbeats=heartbeats, stuck=stuck, running=running)
