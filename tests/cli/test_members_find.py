"""`tending members find TEXT` (issue: a volunteer admin's first week): members could not be found by name
or handle in the CLI. The same search as the dashboard's, with a header, local dates and "N of M"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult


def test_members_are_found_by_name_or_handle(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    db = str(tmp_path / "t.db")
    rows = [
        {
            "member_id": "c1",
            "member_name": "Chloé Dubois",
            "member_handle": "chlo",
            "kind": "post",
            "occurred_at": "2026-10-05T23:30:00+00:00",
            "source_id": "p1",
        },
        {
            "member_id": "c2",
            "member_name": "Bruno",
            "member_handle": "chloe_fan",
            "kind": "post",
            "occurred_at": "2026-10-06T10:00:00+00:00",
            "source_id": "p2",
        },
        {
            "member_id": "c3",
            "member_name": "Ada",
            "kind": "post",
            "occurred_at": "2026-10-06T11:00:00+00:00",
            "source_id": "p3",
        },
    ]
    export = tmp_path / "groupe.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    imported = run_cli(
        "--db",
        db,
        "import",
        "jsonl",
        str(export),
        "--community",
        "Chats",
        "--timezone",
        "Europe/Paris",
    )
    assert imported.exit_code == 0, imported.stderr
    found = run_cli("--db", db, "members", "find", "CHLO")
    lines = found.stdout.strip().splitlines()
    assert found.exit_code == 0 and lines[0].split() == [
        "#",
        "name",
        "handle",
        "joined",
        "last",
        "contribution",
    ]
    assert [line.split()[1] for line in lines[1:-1]] == ["Bruno", "Chloé"]
    assert "2026-10-06" in lines[2]  # Chloé's post at 23:30 UTC is on 6 October in Paris
    assert lines[-1] == "2 of 2 members"
    paged = json.loads(
        run_cli("--db", db, "members", "find", "chlo", "--limit", "1", "--format", "json").stdout
    )
    assert paged["total"] == 2 and len(paged["items"]) == 1 and paged["limit"] == 1
    assert (
        run_cli("--db", db, "members", "find", "zoé").stdout.strip() == "No member matches 'zoé'."
    )
