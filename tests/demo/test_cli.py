"""`tending demo`: builds once, reuses after, rebuilds on request, refuses bad sizes in one line."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tending.cli import main


@pytest.fixture(autouse=True)
def demo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")  # no config file
    monkeypatch.delenv("TENDING_DATABASE_URL", raising=False)
    return tmp_path / "home"


def run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_builds_once_then_reuses(demo_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("demo", "--members", "150", "--no-serve") == 0
    first = capsys.readouterr().out
    assert "(built, seed 42)" in first and "members     150 (3 staff, 2 bots)" in first
    assert str(demo_home / "demo.db") in first
    assert run("demo", "--members", "150", "--no-serve") == 0
    second = capsys.readouterr().out
    assert "(reused, seed 42)" in second
    # the same figures, read back from the store
    assert first.splitlines()[1:6] == second.splitlines()[1:6]


def test_another_seed_or_fresh_rebuilds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("demo", "--members", "120", "--no-serve") == 0
    assert run("demo", "--members", "120", "--seed", "7", "--no-serve") == 0
    captured = capsys.readouterr()
    assert (
        "Rebuilding the demo community (it was built with --seed 42 --members 120)" in captured.err
    )
    assert "(built, seed 7)" in captured.out
    assert run("demo", "--members", "120", "--seed", "7", "--no-serve", "--fresh") == 0
    assert "(built, seed 7)" in capsys.readouterr().out


def test_a_database_given_with_db_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "elsewhere.db"
    assert run("--db", str(path), "demo", "--members", "100", "--no-serve") == 0
    assert path.exists() and str(path) in capsys.readouterr().out


@pytest.mark.parametrize("members", ["0", "-3"])
def test_too_few_members_is_a_usage_error(
    members: str, demo_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("demo", "--members", members, "--no-serve") == 2
    err = capsys.readouterr().err
    assert err == f"Error: --members: {members} is too few; the demo needs at least 10 members.\n"
    assert not (demo_home / "demo.db").exists()


def test_serves_the_dashboard_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []
    server = types.ModuleType("tending.web.server")
    server.serve_demo = lambda url, community_id, host, port: calls.append(  # type: ignore[attr-defined]
        (url, community_id, host, port)
    )
    monkeypatch.setitem(sys.modules, "tending.web.server", server)
    assert run("demo", "--members", "100", "--port", "9123") == 0
    assert (
        len(calls) == 1
        and calls[0][1:] == (1, "127.0.0.1", 9123)
        and calls[0][0].endswith("demo.db")
    )


def test_the_tour_reads_the_demo_until_a_real_database_exists(
    demo_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Right after `tending demo`, the README's tour (no --db) answered "run tending demo": it read another
    database. Until the real one exists, a command that only reads uses the demo's, and says so; an
    import makes the real database, which every command then uses."""
    assert run("demo", "--members", "30", "--no-serve") == 0
    capsys.readouterr()
    assert run("communities", "list") == 0
    captured = capsys.readouterr()
    assert "Chats diabétiques / Cat Diabetes Support" in captured.out
    assert captured.err.strip() == (
        f"(No database of your own yet: reading the demo's, {demo_home / 'demo.db'}.)"
    )
    assert run("members", "--inactive-days", "60", "--limit", "3") == 0
    assert "members inactive for 60 days" in capsys.readouterr().out
    export = tmp_path / "group.jsonl"
    export.write_text(
        '{"platform": "facebook", "member_id": "1", "member_name": "Camille", "kind": "joined", '
        '"occurred_at": "2026-10-06T09:00:00+00:00"}\n',
        encoding="utf-8",
    )
    assert run("import", "jsonl", str(export), "--community", "Chats diabétiques") == 0
    assert (demo_home / "tending.db").exists()
    capsys.readouterr()
    assert run("communities", "list") == 0
    after = capsys.readouterr()
    assert "Chats diabétiques" in after.out and after.err == ""
    assert "Cat Diabetes Support" not in after.out


def test_a_fresh_demo_has_a_moderation_queue_to_review(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo plants spam, reposts and insults: its moderation page must show them right away, not an
    empty queue until someone thinks of `tending moderate scan`."""
    assert run("demo", "--members", "400", "--no-serve") == 0
    built = capsys.readouterr().out
    assert "to review" in built and "spam" in built and "(the last 90 days scanned)" in built
    assert run("moderate", "queue", "--signal", "spam", "--format", "json") == 0
    listed = capsys.readouterr().out
    assert '"signal": "spam"' in listed
