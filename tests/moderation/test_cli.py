"""scan, queue and act through the command line, on a SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tending.store import open_store

from .conftest import build_story


def _tending(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tending", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scan_queue_act_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    engine = open_store(f"sqlite:///{db}")
    story = build_story(engine, tmp_path)
    engine.dispose()
    first = _tending(db, "moderate", "scan", "--media-root", str(story.media), "--format", "json")
    assert first.returncode == 0, first.stderr
    found = json.loads(first.stdout)["new_items"]
    assert found["repost"] == 2 and found["toxic"] == 1
    again = _tending(db, "moderate", "scan", "--media-root", str(story.media))
    assert again.returncode == 0 and again.stdout.strip().endswith("nothing new.")
    queue = json.loads(_tending(db, "moderate", "queue", "--format", "json").stdout)
    toxic = next(i for i in queue if i["signal"] == "toxic")
    assert toxic["suggested_action"] == "warn" and toxic["status"] == "open"
    acted = _tending(db, "moderate", "act", str(toxic["id"]), "warn", "--by", "chloe")
    assert acted.returncode == 0, acted.stderr
    assert "Suggested reply:\nBonjour Eve, ceci est un avertissement" in acted.stdout
    twice = _tending(db, "moderate", "act", str(toxic["id"]), "warn")
    assert twice.returncode == 1 and "already handled (warn by chloe)" in twice.stderr
    table = _tending(db, "moderate", "queue", "--status", "done")
    assert f"{toxic['id']:>6}  toxic" in table.stdout


def test_since_must_be_a_date(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    build_story(open_store(f"sqlite:///{db}"), tmp_path)
    done = _tending(db, "moderate", "scan", "--since", "last tuesday")
    assert done.returncode == 2 and "--since: 'last tuesday' is not an ISO 8601 date" in done.stderr
