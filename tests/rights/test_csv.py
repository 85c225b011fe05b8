"""CSV exports never hand a spreadsheet a formula: cells starting with = + - @ tab or CR are neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy import Engine

from tending.lib.csvsafe import safe_cell, safe_row
from tending.models import MemberRecord
from tests.conftest import CliResult
from tests.members.story import T, act, ingest

NASTY = [
    '=HYPERLINK("http://evil.example","click")',
    "+33 6 12",
    "-2+3",
    "@SUM(A1)",
    "\tindent",
    "\rreturn",
]


def test_dangerous_cells_get_an_apostrophe_and_the_rest_stays() -> None:
    assert [safe_cell(v) for v in NASTY] == ["'" + v for v in NASTY]
    assert safe_row(["Ada", 42, -3, None, "2025-06-01T12:00:00Z", "a=b"]) == [
        "Ada",
        42,
        -3,
        None,
        "2025-06-01T12:00:00Z",
        "a=b",
    ]


# a carriage return inside a field: Python's csv module quotes it only when the line terminator holds one,
# and the CLI ends lines with "\n" (its output contract), so it is left out of the CLI case
CLI_NASTY = NASTY[:-1]


def nasty_members(engine: Engine) -> None:
    ingest(
        engine,
        [
            MemberRecord(source="forum", external_id=f"n{i}", display_name=name, handle=name)
            for i, name in enumerate(CLI_NASTY)
        ]
        + [act(f"a{i}", f"n{i}", "post", T) for i in range(len(CLI_NASTY))],
        timezone="UTC",
    )


def test_the_members_csv_of_the_cli_is_safe(
    db_url: str, engine: Engine, run_cli: Callable[..., CliResult]
) -> None:
    nasty_members(engine)
    result = run_cli("--db", db_url, "members", "--format", "csv", "--as-of", "2025-06-02")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["name"] for r in rows) == sorted("'" + v for v in CLI_NASTY)
    assert all(r["handle"].startswith("'") for r in rows)
