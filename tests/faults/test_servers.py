"""Servers that misbehave: an SMTP server that accepts the connection and then says nothing (a hang), and
one that answers 451 (try later) to every message. The worker keeps ticking, the messages stay queued with
a retry time, and once the server is well again each goes out exactly once."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from tending.actions.worker import WorkerLoop
from tending.timeutil import utcnow
from tests.delivery.common import deliver
from tests.delivery.servers import free_port
from tests.onboarding.story import Story

from .helpers import crowd, smtp_delivery, smtp_sink, statuses

COUNT = 4


@contextmanager
def silent_server() -> Iterator[int]:
    """Listens, so connections succeed, but never accepts nor answers."""
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        yield port


class Refusing:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "451 4.3.0 try again later"


def _loop(engine: Engine, delivery: dict[str, Any]) -> WorkerLoop:
    return WorkerLoop(engine, delivery, interval=1, community_name=None, templates=None)


def _settle(engine: Engine, story: Story) -> None:
    """Deliver what is due once the server is well again (after every backoff): each e-mail once."""
    with smtp_sink() as (sink, port):
        counts = deliver(engine, story, smtp_delivery(port), now=utcnow() + timedelta(days=1))
    duplicates = sum(n - 1 for n in sink.received.values() if n > 1)
    assert counts.sent == COUNT and duplicates == 0 and len(sink.received) == COUNT


def test_a_hanging_server(sqlite_engine: Engine) -> None:
    story, _ids = crowd(sqlite_engine, COUNT)
    with silent_server() as port:
        delivery = smtp_delivery(port)
        delivery["smtp"]["timeout"] = 0.3
        loop = _loop(sqlite_engine, delivery)
        assert loop.tick_once() == 1  # the tick ends, the worker is fine
    after = statuses(sqlite_engine)
    print(f"\nhanging server: {after}")
    assert after == {"approved": COUNT}
    _settle(sqlite_engine, story)
    assert statuses(sqlite_engine) == {"sent": COUNT}


def test_a_server_that_says_try_later(sqlite_engine: Engine) -> None:
    story, _ids = crowd(sqlite_engine, COUNT)
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert _loop(sqlite_engine, smtp_delivery(port)).tick_once() == 1
    finally:
        controller.stop()
    after = statuses(sqlite_engine)
    print(f"\nserver answering 451: {after}")
    assert after == {"approved": COUNT}
    _settle(sqlite_engine, story)
    assert statuses(sqlite_engine) == {"sent": COUNT}
