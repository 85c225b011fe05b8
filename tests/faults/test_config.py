"""Configuration mistakes: a TENDING_CONFIG naming a missing file is refused; a transport configuration
error leaves every message queued (it once failed all 1,500 due messages); `tending check` names the
mistake, `tending worker` refuses to start on it; `tending status` says what the worker did (issue 15,
defect 4)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tending.actions.worker import WorkerLoop
from tending.store.outbox import get_message

from .helpers import crowd, smtp_delivery, smtp_sink, statuses

NO_HOST = "[delivery.smtp]: 'host' is needed to deliver through smtp."


def test_a_missing_config_file_is_refused(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "confg.toml"
    monkeypatch.setenv("TENDING_CONFIG", str(missing))
    result = run_cli("--db", str(tmp_path / "t.db"), "communities", "list")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: the configuration file {missing} does not exist (named by TENDING_CONFIG); "
        "create it or unset TENDING_CONFIG.\n"
    )


def test_a_transport_mistake_leaves_every_message_queued(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    story, ids = crowd(sqlite_engine, 40)
    loop = WorkerLoop(
        sqlite_engine,
        {"smtp": {"port": 25, "sender": "x@example.org"}},
        interval=60,
        community_name=None,
        templates=None,
    )
    with caplog.at_level(logging.WARNING, logger="tending.worker"):
        assert loop.tick_once() == 120
    assert [r.getMessage() for r in caplog.records] == [
        f"delivery configuration: {NO_HOST} (tending check lists every mistake); messages stay queued; "
        "next try in 120 s"
    ]
    assert statuses(sqlite_engine) == {"approved": 40}  # 40 failed for good before the fix
    with sqlite_engine.connect() as conn:
        first = get_message(conn, story.community.id, ids[0])
    assert first is not None and (first.attempts, first.last_error) == (0, NO_HOST)
    with smtp_sink() as (sink, port):  # the operator fixes the configuration
        loop.delivery = smtp_delivery(port)
        assert loop.tick_once() == 60
    assert statuses(sqlite_engine) == {"sent": 40} and len(sink.received) == 40


def test_check_worker_and_status(
    sqlite_engine: Engine, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd(sqlite_engine, 2)
    db = ["--db", str(sqlite_engine.url.database)]
    config = tmp_path / "config.toml"
    config.write_text(
        '[delivery]\npost = "pigeon"\n[delivery.smtp]\nport = 25\nsender = "x@example.org"\n'
    )
    monkeypatch.setenv("TENDING_CONFIG", str(config))
    checked = run_cli(*db, "check")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[1:] == [
        "problem: [delivery] post = 'pigeon' is not one of smtp, matrix, discord, discourse, slack",
        f"problem: {NO_HOST}",
    ]
    assert checked.stderr == "Error: 2 problems in the configuration; the worker would not start.\n"
    refused = run_cli(*db, "worker")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "Error: the worker cannot start: [delivery] post = 'pigeon' is not one of smtp, "
        "matrix, discord, discourse, slack (and 1 more: tending check lists them)\n"
    )
    assert "worker: none has ever run on this database" in run_cli(*db, "status").stdout
    with smtp_sink() as (_sink, port):
        config.write_text(
            f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'sender = "x@example.org"\n'
        )
        assert run_cli(*db, "check").stdout.endswith("configuration: ok\n")
        WorkerLoop(
            sqlite_engine, smtp_delivery(port), interval=60, community_name=None, templates=None
        ).tick_once()
    status = run_cli(*db, "status")
    assert status.exit_code == 0
    lines = status.stdout.splitlines()
    assert "(last tick ok); 1 ticks since" in lines[0] and lines[1:] == [
        "delivery: a worker is running",
        "stuck: nothing",
    ]
