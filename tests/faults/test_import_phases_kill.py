"""kill -9 of a real `tending import` during each phase of the bulk path (writing, rollups, indexes):
the database is exactly as it was before the import, every table, indexes included (issue 21). SQLite,
where the command line takes the bulk path for this export; PostgreSQL in the writing phase.

The phase is read from the progress the import shows on a terminal (its stderr is a pseudo-terminal
here): each phase's closing line ("writing: ... records in ... s") means the next one has begun."""

from __future__ import annotations

import json
import os
import pty
import select as selecting
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tending.actions.imports import do_import
from tests.store.test_ingest_paths import every_table

# the line that tells the phase has begun: the previous phase's closing line
STARTED_BY = {"writing": b"reading:", "rollups": b"writing:", "indexes": b"rollups:"}


def _export(path: Path, lines: int, prefix: str) -> Path:
    with path.open("w") as handle:
        for i in range(lines):
            who = f"m{i % 5000}"
            row = {
                "platform": "forum",
                "member_id": who,
                "member_name": f"M {who}",
                "kind": ("post", "reply", "reaction")[i % 3],
                "occurred_at": f"2026-02-{1 + i % 27:02d}T09:00:00Z",
                "source_id": f"{prefix}{i}",
                "thread_id": f"t{i // 20}",
                "text": "Bonjour à toutes et à tous",
            }
            handle.write(json.dumps(row) + "\n")
    return path


def _indexes(engine: Engine) -> list[str]:
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
    )
    with engine.connect() as conn:
        return [name for (name,) in conn.execute(text(sql))]


def _kill_in(phase: str, engine: Engine, export: Path, home: Path) -> str:
    """Run the import with a terminal for stderr; kill -9 it once `phase` has begun. Returns what it
    printed."""
    (home / "config.toml").write_text("")
    env = {**os.environ, "TENDING_CONFIG": str(home / "config.toml"), "TENDING_HOME": str(home)}
    env.pop("TENDING_DATABASE_URL", None)
    env["TERM"] = "xterm"
    controller, terminal = pty.openpty()
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "tending", "--db", url, "import", "jsonl", str(export)]
    process = subprocess.Popen(
        [*command, "--community", "Cats"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    seen, deadline = b"", time.monotonic() + 240
    try:
        while STARTED_BY[phase] not in seen:
            assert process.poll() is None and time.monotonic() < deadline, seen[-500:]
            if selecting.select([controller], [], [], 0.05)[0]:
                seen += os.read(controller, 65536)
        time.sleep(0.1)  # well inside the phase
        assert process.poll() is None, f"the import ended before it could be killed in {phase}"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return seen.decode(errors="replace")


@pytest.mark.parametrize("phase", ["writing", "rollups", "indexes"])
def test_a_bulk_import_killed_in_any_phase_leaves_the_database_as_it_was(
    engine: Engine, tmp_path: Path, phase: str
) -> None:
    if phase == "indexes" and engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its indexes during a bulk import: there is no index phase")
    do_import(engine, "jsonl", _export(tmp_path / "older.jsonl", 2000, "o"), community_name="Cats")
    before, indexes = every_table(engine), _indexes(engine)
    _kill_in(phase, engine, _export(tmp_path / "export.jsonl", 60_000, "n"), tmp_path)
    assert every_table(engine) == before
    assert _indexes(engine) == indexes
