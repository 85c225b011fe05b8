"""A full disk in the middle of an import (the SQLite file on a small tmpfs): one sentence, exit 1, and the
database as it was (issue 15, fault suite). Needs root to mount the tmpfs; skipped with the reason otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tending.store import open_store
from tending.store.schema import activities


@pytest.fixture
def tiny_disk(tmp_path: Path, sqlite_template: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    size = sqlite_template.stat().st_size + (1 << 20)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    try:
        shutil.copy(sqlite_template, mount / "tending.db")
        yield mount / "tending.db"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_during_an_import(
    tiny_disk: Path, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")
    export = tmp_path / "export.jsonl"
    with export.open("w") as handle:
        for i in range(20_000):
            handle.write(
                json.dumps(
                    {
                        "platform": "forum",
                        "member_id": f"m{i % 3000}",
                        "member_name": f"M {i}",
                        "kind": "post",
                        "occurred_at": "2026-02-27T09:00:00Z",
                        "source_id": f"p{i}",
                        "text": "Bonjour à toutes et à tous, voici un message assez long " * 2,
                    }
                )
                + "\n"
            )
    result = run_cli("--db", str(tiny_disk), "import", "jsonl", str(export), "--community", "Cats")
    engine = open_store(f"sqlite:///{tiny_disk}")
    with engine.connect() as conn:
        written = conn.execute(select(func.count()).select_from(activities)).scalar_one()
    engine.dispose()
    print(
        f"\nfull disk: exit {result.exit_code}; partial writes: {written}; said: {result.stderr.strip()}"
    )
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "disk holding the database is full" in result.stderr
    assert written == 0
