"""--db mistakes (issue 15, defect 8): a file that is not a database says so in one sentence, and a command
that only reads does not create a database file, nor its folders."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TENDING_DATABASE_URL", raising=False)


def test_a_file_that_is_not_a_database(run_cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("these are my notes, not a database\n" * 100)
    result = run_cli("--db", str(notes), "communities", "list")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and "not a SQLite database" in result.stderr
    assert result.stderr.count("\n") == 1
    assert notes.read_text().startswith("these are my notes")  # untouched


def test_a_read_only_command_creates_nothing(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "deeper" / "tending.db"
    for args in (["communities", "list"], ["status"], ["outbox", "list"]):
        result = run_cli("--db", str(missing), *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr == (
            f"Error: no database at {missing}: import an export first (tending import KIND "
            "FILE), try tending demo, or name the database with --db.\n"
        )
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_given_as_the_database(run_cli, tmp_path: Path) -> None:
    result = run_cli("--db", str(tmp_path), "communities", "list")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: --db: {tmp_path} is a folder, not a database file.\n",
    )
