"""What the fault tests share: a community with members who have e-mail addresses, approved e-mails, a
real SMTP sink (aiosmtpd) that can be slowed down, and a `tending` process to kill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select

from tending.store.outbox import outbox
from tests.delivery.common import approved
from tests.delivery.servers import free_port
from tests.onboarding.story import T0, Story, ingest, person


@dataclass
class SlowSink:
    """Accepts every e-mail after `delay` seconds; counts them by recipient."""

    delay: float = 0.0
    received: Counter[str] = field(default_factory=Counter)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        for rcpt in envelope.rcpt_tos:
            self.received[rcpt] += 1
        return "250 OK"


@contextmanager
def smtp_sink(delay: float = 0.0) -> Iterator[tuple[SlowSink, int]]:
    sink, port = SlowSink(delay), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def smtp_delivery(port: int) -> dict[str, Any]:
    return {
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "Cats <team@cats.example>",
        }
    }


def write_config(path: Path, port: int) -> Path:
    path.write_text(
        f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'sender = "Cats <team@cats.example>"\n'
    )
    return path


def crowd(engine: Engine, count: int) -> tuple[Story, list[int]]:
    """`count` members (m00, m01...) and one approved welcome e-mail to each, due since T0."""
    names = [f"m{i:02d}" for i in range(count)]
    story = ingest(engine, [person(n, joined=T0) for n in names])
    return story, [approved(engine, story, channel="email", who=[n]) for n in names]


def statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.status, outbox.c.needs_check, func.count()).group_by(
                outbox.c.status, outbox.c.needs_check
            )
        ).all()
    return Counter({("needs_check" if check else status): n for status, check, n in rows})


def tending_process(db_url: str, *args: str, config: Path, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TENDING_CONFIG": str(config),
        "TENDING_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TENDING_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tending", "--db", db_url, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def kill_when(process: subprocess.Popen[bytes], condition: Any, *, timeout: float = 30) -> None:
    """kill -9 the process as soon as `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            raise AssertionError(f"the condition never held; the process said:\n{output}")
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
