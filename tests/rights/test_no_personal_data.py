"""Every command, run on a community whose members carry marker names, handles, e-mail addresses and texts,
prints none of them to standard error or to the log, whatever happens: success, refusal, bad input, or an
unexpected failure on a damaged database (no traceback, no SQL parameters)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from sqlalchemy import Engine, text

from tending.cli import cli
from tending.cli.reference import walk
from tests.conftest import CliResult
from tests.rights.cast import ADA_MARKERS, build

MARKERS = (*ADA_MARKERS, "adaline.marker@example.org")
# long-running or building their own database: not run here (each has its own tests)
NOT_RUN = {
    ("demo",): "builds the demo database",
    ("serve",): "runs the web server until stopped",
    ("worker",): "ticks until stopped",
    ("train",): "trains a model for minutes",
}


def leaf_commands() -> list[tuple[str, ...]]:
    found = []
    for path, command in walk(cli, ["tending"]):
        if isinstance(command, click.Group) and not command.invoke_without_command:
            continue
        if tuple(path[1:]) and tuple(path[1:]) not in NOT_RUN:
            found.append(tuple(path[1:]))
    return found


def arguments(command: click.Command, values: dict[str, str]) -> list[str]:
    return [
        values[p.name or ""] for p in command.params if isinstance(p, click.Argument) and p.required
    ]


def command_of(path: tuple[str, ...]) -> click.Command:
    current: click.Command = cli
    for name in path:
        assert isinstance(current, click.Group)
        found = current.get_command(click.Context(current), name)
        assert found is not None, path
        current = found
    return current


def bad_export(tmp_path: Path) -> Path:
    """A file with the markers on a malformed line (a date that is not one)."""
    line = {
        "platform": "forum",
        "member_id": "adaline.marker@example.org",
        "member_name": "Adaline Zorglub",
        "kind": "post",
        "occurred_at": "not a date knitting-quokka-one",
        "text": "knitting-quokka-two",
    }
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return path


def leaked(result: CliResult, caplog: pytest.LogCaptureFixture) -> list[str]:
    seen = (result.stderr + "\n" + "\n".join(r.getMessage() for r in caplog.records)).lower()
    return [m for m in MARKERS if m.lower() in seen]


def test_no_command_prints_personal_data_to_stderr_or_the_log(
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    run_cli: Callable[..., CliResult],
) -> None:
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    build(sqlite_engine, tmp_path)
    with sqlite_engine.connect() as conn:
        ids: dict[str, int] = dict(conn.execute(text("SELECT external_id, id FROM members")).all())
    url = str(sqlite_engine.url)
    values = {
        "member_ref": f"#{ids['ada']}",
        "keep_ref": f"#{ids['ada']}",
        "other_ref": f"#{ids['bruno']}",
        "kind": "jsonl",
        "path": str(bad_export(tmp_path)),
        "name": "Another community",
        "item_id": "1",
        "action": "leave",
        "ids_and_action": "leave",
        "item_ids": "1",
        "member": f"#{ids['ada']}",
        "message_ids": "1",
        "message_id": "1",
        "email": "nobody@example.net",
        "role": "viewer",
        "ref": "1",
        "token_id": "1",
        "url": "http://127.0.0.1:9/hook",
        "webhook_id": "1",
        "target": "http://127.0.0.1:9/",
        "connector_id": "1",
        "text": "nobody",
        "query_id": "1",
        "mention_id": "1",
        "state": "answered",
    }
    caplog.set_level(logging.DEBUG)
    ran = []
    for path in sorted(
        leaf_commands(), key=lambda p: p == ("members", "merge")
    ):  # merge last: it changes the cast
        caplog.clear()
        result = run_cli("--db", url, *path, *arguments(command_of(path), values))
        assert "Traceback" not in result.stderr, (path, result.stderr)
        assert not leaked(result, caplog), (path, result.stderr)
        ran.append(path)
    assert ("import",) in ran and ("members", "export") in ran and len(ran) >= 40


def test_an_unexpected_failure_is_one_line_without_data(
    sqlite_engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    run_cli: Callable[..., CliResult],
) -> None:
    build(sqlite_engine, tmp_path)
    with sqlite_engine.begin() as conn:  # a damaged database: the accounts table is gone
        conn.exec_driver_sql("ALTER TABLE identities RENAME TO identities_lost")
    caplog.set_level(logging.DEBUG)
    result = run_cli(
        "--db", str(sqlite_engine.url), "members", "show", "adaline.marker@example.org"
    )
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    # the database's own sentence names the failure (the statement's values are never bound into it)
    assert (
        result.stderr
        == "Error: the database failed (OperationalError: no such table: identities).\n"
    )
    assert "Traceback" not in result.stderr and not leaked(result, caplog)
