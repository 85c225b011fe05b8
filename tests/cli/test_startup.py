"""A command starts fast: `tending --help` and `tending --version` load no database library (the one
subprocess smoke test; benchmarks/startup.py measures the CPU seconds)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from tending.cli import main
try:
    main({args!r})
except SystemExit:
    pass
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & {{"sqlalchemy", "psycopg", "alembic", "numpy"}})
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
