"""The command line: one clear line and the right exit code for every user mistake, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tending import __version__
from tests.conftest import CliResult

Run = Callable[..., CliResult]


def assert_one_clean_error(result: CliResult, code: int, fragment: str) -> None:
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr


def test_the_installed_command_starts_and_fails_cleanly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tending", "--db", "nonsense://", "communities", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --db: 'nonsense://' is not a database URL (try sqlite:///path/to/file.db or "
        "postgresql+psycopg://user@host/dbname)."
    ]


def test_version_and_help(run_cli: Run) -> None:
    assert run_cli("--version").stdout.strip() == f"tending, version {__version__}"
    help_text = run_cli("--help").stdout
    assert "communities" in help_text and "tending demo" in help_text


def test_unknown_command_is_a_usage_error(run_cli: Run) -> None:
    assert_one_clean_error(run_cli("frobnicate"), 2, "No such command 'frobnicate'")


def test_creating_and_listing_a_community(run_cli: Run, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    created = run_cli(
        "--db",
        db,
        "communities",
        "add",
        "Chats diabétiques",
        "--timezone",
        "Europe/Paris",
        "--language",
        "fr",
    )
    assert created.exit_code == 0 and "Chats diabétiques" in created.stdout
    listed = run_cli("--db", db, "communities", "list", "--format", "json")
    assert '"timezone": "Europe/Paris"' in listed.stdout


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ["communities", "add", "X", "--timezone", "Mars/Olympus"],
            2,
            "'Mars/Olympus' is not a known time zone",
        ),
        (["communities", "list", "--format", "xml"], 2, "Invalid value for '--format'"),
    ],
)
def test_bad_values_are_named(
    run_cli: Run, tmp_path: Path, args: list[str], code: int, fragment: str
) -> None:
    assert_one_clean_error(run_cli("--db", str(tmp_path / "e.db"), *args), code, fragment)


def test_a_duplicate_community_is_refused(run_cli: Run, tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    run_cli("--db", db, "communities", "add", "Cats")
    assert_one_clean_error(run_cli("--db", db, "communities", "add", "Cats"), 2, "already exists")


def test_an_unreachable_postgres_is_one_line(run_cli: Run) -> None:
    result = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "communities", "list")
    assert_one_clean_error(result, 1, "cannot open the database")
