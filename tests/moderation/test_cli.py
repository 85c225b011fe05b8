"""scan, queue and act through the command line, on a SQLite file (in process: tests/conftest.py's
run_cli calls the same main() as the `tending` command)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tending.store import open_store
from tests.conftest import CliResult

from .conftest import build_story


def test_scan_queue_act_round_trip(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    db = tmp_path / "t.db"
    engine = open_store(f"sqlite:///{db}")
    story = build_story(engine, tmp_path)
    engine.dispose()
    first = run_cli(
        "--db", str(db), "moderate", "scan", "--media-root", str(story.media), "--format", "json"
    )
    assert first.exit_code == 0, first.stderr
    found = json.loads(first.stdout)["new_items"]
    assert found["repost"] == 2 and found["toxic"] == 1
    again = run_cli("--db", str(db), "moderate", "scan", "--media-root", str(story.media))
    assert again.exit_code == 0 and again.stdout.strip().endswith("nothing new.")
    queue = json.loads(run_cli("--db", str(db), "moderate", "queue", "--format", "json").stdout)
    toxic = next(i for i in queue if i["signal"] == "toxic")
    assert toxic["suggested_action"] == "warn" and toxic["status"] == "open"
    acted = run_cli("--db", str(db), "moderate", "act", str(toxic["id"]), "warn", "--by", "chloe")
    assert acted.exit_code == 0, acted.stderr
    assert "Suggested reply:\nBonjour Eve, ceci est un avertissement" in acted.stdout
    twice = run_cli("--db", str(db), "moderate", "act", str(toxic["id"]), "warn")
    # a closed item is refused in one sentence, exit 2 (issue #16), without naming who closed it
    assert twice.exit_code == 2 and f"item {toxic['id']} is already closed" in twice.stderr
    assert "chloe" not in twice.stderr
    table = run_cli("--db", str(db), "moderate", "queue", "--status", "done")
    assert f"{toxic['id']:>6}  toxic" in table.stdout


def test_since_must_be_a_date(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    db = tmp_path / "t.db"
    build_story(open_store(f"sqlite:///{db}"), tmp_path)
    done = run_cli("--db", str(db), "moderate", "scan", "--since", "last tuesday")
    assert done.exit_code == 2 and "--since: 'last tuesday' is not an ISO 8601 date" in done.stderr
