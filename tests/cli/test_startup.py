"""A command starts fast: `tending --help` and `tending --version` load no database library (the one
subprocess smoke test; benchmarks/startup.py measures the CPU seconds)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

FIXTURES = Path(__file__).parents[1] / "importers" / "fixtures"

PROBE = """
import json, sys
from tending.cli import main
try:
    main({args!r})
except SystemExit:
    pass
heavy = {{"sqlalchemy", "psycopg", "alembic", "numpy", "sqlalchemy.dialects.postgresql"}}
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & heavy | set(sys.modules) & heavy)
print(json.dumps(loaded), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_load_no_database_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "tending" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_a_member_list_loads_no_numpy_and_no_alembic(
    tmp_path: Path, sqlite_template: Path, run_cli: Callable[..., CliResult]
) -> None:
    """`tending members` on an up-to-date database: numpy (~70 ms) and alembic are left for the commands
    that need them, the schema check reads no migration with alembic, and a SQLite database never loads
    the PostgreSQL dialect (its drivers cost ~0.06 s)."""
    db = tmp_path / "tending.db"
    shutil.copy(sqlite_template, db)
    imported = run_cli(
        "--db",
        str(db),
        "import",
        "whatsapp",
        str(FIXTURES / "whatsapp_fr.txt"),
        "--community",
        "Chats",
    )
    assert imported.exit_code == 0, imported.stderr
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=["--db", str(db), "members", "--limit", "5"])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip()
    assert json.loads(done.stderr.strip().splitlines()[-1]) == ["sqlalchemy"]
