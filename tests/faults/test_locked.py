"""Another process holds the SQLite write lock longer than the busy timeout (a large import does): the
worker logs one line, backs off and delivers once the lock is gone; `tending run` says one sentence; the
dashboard answers 503, not 500 (issue 15, defect 2)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tending.actions.worker import WorkerLoop, get_worker_status
from tending.store import open_store
from tests.web.conftest import EMAILS, csrf_of, seed

from .helpers import crowd, smtp_delivery, smtp_sink, statuses

LOCKED = (
    "the database is busy: another process (an import, perhaps) holds its write lock; try again when it "
    "has finished"
)


@contextmanager
def write_lock(path: str) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def impatient(sqlite_engine: Engine) -> Iterator[tuple[Engine, str]]:
    """The same file, opened with a busy timeout of 100 ms (30 s by default)."""
    path = str(sqlite_engine.url.database)
    engine = open_store(f"sqlite:///{path}?busy_timeout_ms=100")
    yield engine, path
    engine.dispose()


def test_the_worker_outlives_a_held_write_lock(
    impatient: tuple[Engine, str], caplog: pytest.LogCaptureFixture
) -> None:
    engine, path = impatient
    crowd(engine, 3)
    with smtp_sink() as (sink, port):
        loop = WorkerLoop(
            engine, smtp_delivery(port), interval=1, community_name=None, templates=None
        )
        with write_lock(path), caplog.at_level(logging.WARNING, logger="tending.worker"):
            waits = [loop.tick_once(), loop.tick_once()]
        assert waits == [2, 4]  # backs off
        assert [r.getMessage() for r in caplog.records] == [
            f"{LOCKED}; messages stay queued; next try in 2 s",
            f"{LOCKED}; messages stay queued; next try in 4 s",
        ]
        assert statuses(engine) == {"approved": 3}  # nothing claimed, nothing failed
        assert loop.tick_once() == 1  # the lock is gone
    assert statuses(engine) == {"sent": 3} and sum(sink.received.values()) == 3
    status = get_worker_status(engine)
    assert (
        status.running
        and status.heartbeats[0].last_error is None
        and status.heartbeats[0].ticks == 1
    )


def test_tending_run_under_a_held_lock_says_one_sentence(
    impatient: tuple[Engine, str], run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = impatient
    crowd(engine, 1)
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")
    with write_lock(path):
        result = run_cli("--db", f"sqlite:///{path}?busy_timeout_ms=100", "run")
    assert (result.exit_code, result.stderr) == (1, f"Error: {LOCKED}.\n")


def test_a_login_under_a_held_lock_answers_503(tmp_path: Path) -> None:
    from tending.web.app import create_app

    path = tmp_path / "web.db"
    engine = open_store(f"sqlite:///{path}")
    seed(engine)
    engine.dispose()
    app = create_app(f"sqlite:///{path}?busy_timeout_ms=100", secret_key="test")
    client = TestClient(app, base_url="http://testserver")
    token = csrf_of(client.get("/login").text)
    with write_lock(str(path)):
        response = client.post(
            "/login",
            data={"email": EMAILS["admin"], "password": "wrong", "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
    assert response.status_code == 503 and response.headers["retry-after"] == "30"
    assert "The database is busy" in response.text
    app.state.web.engine.dispose()
