"""What the streaming tests share: a worker in a thread that ticks every 300 s (so only a live stream
can make it act sooner), and the welcomes it drafted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from tending.actions.connectors import do_sync_due
from tending.actions.streams import Streams
from tending.actions.worker import WorkerLoop
from tending.connectors.base import Backoff

FAST = Backoff(attempts=2, base_s=0.001, max_wait_s=0.01)


@contextmanager
def worker(engine: Engine, streams: Streams) -> Iterator[WorkerLoop]:
    """A worker in a thread, ticking every 300 s: only a stream can make it act sooner."""
    stop = threading.Event()
    ticked = threading.Event()

    def sync(woken: set[int]) -> None:
        do_sync_due(engine, woken=woken, backoff=FAST)

    loop = WorkerLoop(
        engine,
        {},
        300,
        None,
        None,
        report=lambda summaries: ticked.set(),
        sync=sync,
        streams=streams,
        stop=stop.is_set,
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert ticked.wait(30), "the worker's first tick did not end"
    try:
        yield loop
    finally:
        stop.set()
        streams.stop()
        thread.join(30)


def welcomes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT i.external_id FROM outbox o "
                    "JOIN outbox_recipients r ON r.outbox_id = o.id "
                    "JOIN identities i ON i.member_id = r.member_id "
                    "WHERE o.rule = 'welcome' ORDER BY o.id"
                )
            )
        ]
