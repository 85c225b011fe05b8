"""kill -9 of a real `tending import` whose parser runs in a child process: the child dies with it instead
of running forever (issue 15, defect 7), and the database is as it was (nothing half-written)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from tending.store.schema import activities

from .helpers import tending_process


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(c) for c in text)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _export(path: Path, lines: int) -> Path:
    row = {
        "platform": "forum",
        "member_id": "m0",
        "kind": "post",
        "occurred_at": "2026-02-27T09:00:00Z",
        "text": "Bonjour à toutes et à tous",
    }
    with path.open("w") as handle:
        for i in range(lines):
            row["member_id"], row["member_name"], row["source_id"] = (
                f"m{i % 5000}",
                f"M {i % 5000}",
                f"p{i}",
            )
            handle.write(json.dumps(row) + "\n")
    return path


def test_the_parsing_child_dies_with_a_killed_import(engine: Engine, tmp_path: Path) -> None:
    export = _export(tmp_path / "export.jsonl", 150_000)  # over 4 MB: parsed in a child process
    (tmp_path / "config.toml").write_text("")
    importer = tending_process(
        engine.url.render_as_string(hide_password=False),
        "import",
        "jsonl",
        str(export),
        "--community",
        "Cats",
        config=tmp_path / "config.toml",
        home=tmp_path,
    )
    deadline = time.monotonic() + 60
    while not (children := _children(importer.pid)):
        assert importer.poll() is None and time.monotonic() < deadline, (
            "the import never forked its parser"
        )
        time.sleep(0.01)
    time.sleep(0.5)  # parsing and writing are under way
    assert importer.poll() is None, importer.communicate()[0].decode()
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait()
    deadline = time.monotonic() + 5
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [c for c in children if _alive(c)]
    deadline = time.monotonic() + 5  # the server notices a closed connection soon, not at once
    while (idle := _idle_in_transaction(engine)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # what the fix prevents, cleaned up before the database is read
        os.kill(pid, signal.SIGKILL)
    with engine.connect() as conn:
        written = conn.execute(select(func.count()).select_from(activities)).scalar_one()
    print(
        f"\nparsing children left running 5 s after kill -9 of the import: {len(left)}; partial writes: "
        f"{written}; sessions idle in transaction: {idle}"
    )
    assert left == [] and written == 0 and idle == 0


def _idle_in_transaction(engine: Engine) -> int:
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )
