"""`tending communities delete` (issue: a volunteer admin's first week): the community a forgotten
--community doubled can be deleted, after a confirmation listing what goes, all or nothing, with a record of
the deletion that outlives it; the tombstones of members erased in it go to the community that stays, so a
later import still leaves those people out (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select

from tending.actions.imports import do_import
from tending.actions.rights import do_erase_member
from tending.errors import UsageError
from tending.store.audit import get_events
from tending.store.communities import find_community, get_community_deletions
from tending.store.members import resolve_member
from tests.conftest import CliResult
from tests.rights.cast import build, write_export


def rows_of(engine: Engine, community_id: int) -> dict[str, int]:
    """How many rows each table holds for the community, read from the database itself."""
    reflected = MetaData()
    reflected.reflect(engine)
    counts = {}
    with engine.connect() as conn:
        for table in reflected.sorted_tables:
            if "community_id" in table.c:
                n = len(
                    conn.execute(select(table).where(table.c.community_id == community_id)).all()
                )
                if n:
                    counts[table.name] = n
    return counts


def ids(engine: Engine, *names: str) -> list[int]:
    with engine.connect() as conn:
        found = [find_community(conn, name) for name in names]
    return [c.id if c is not None else 0 for c in found]


def test_a_doubled_community_is_deleted_after_a_confirmation(
    run_cli: Callable[..., CliResult],
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = build(engine, tmp_path)  # "Quokkas", with every kind of data
    do_import(engine, "jsonl", export, community_name="Quokkas (2)")  # the doubled re-import
    quokkas, double = ids(engine, "Quokkas", "Quokkas (2)")
    before = rows_of(engine, quokkas)
    assert rows_of(engine, double)["members"] == 5

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    refused = run_cli("--db", db_url, "communities", "delete", "Quokkas (2)")
    assert refused.exit_code == 1 and "Aborted." in refused.stderr
    assert "Deleting 'Quokkas (2)' (forum) removes for good:" in refused.stdout
    assert "           5  members" in refused.stdout
    assert rows_of(engine, double)["members"] == 5  # answering no changes nothing

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    done = run_cli("--db", db_url, "communities", "delete", "Quokkas (2)")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.endswith(f"Deleted community {double}: Quokkas (2) (5 members, 54 rows).\n")
    assert rows_of(engine, double) == {}  # no table keeps a row of it
    assert rows_of(engine, quokkas) == before  # the other community is untouched
    with engine.connect() as conn:
        assert find_community(conn, "Quokkas (2)") is None
        (record,) = get_community_deletions(conn)
    assert record["former_community_id"] == double and record["name"] == "Quokkas (2)"
    assert record["actor"] == "cli" and record["details"]["rows"]["members"] == 5
    listed = run_cli("--db", db_url, "communities", "list", "--format", "json")
    assert [c["name"] for c in __import__("json").loads(listed.stdout)] == ["Quokkas"]


def test_tombstones_go_to_the_community_that_stays(
    run_cli: Callable[..., CliResult], engine: Engine, db_url: str, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "community.jsonl")
    do_import(engine, "jsonl", export, community_name="Quokkas")
    with engine.begin() as conn:
        community = find_community(conn, "Quokkas")
        assert community is not None
        do_erase_member(conn, community, "forum:ada", actor="test")
    assert (
        run_cli("--db", db_url, "communities", "add", "Wombats", "--platform", "forum").exit_code
        == 0
    )
    quokkas, wombats = ids(engine, "Quokkas", "Wombats")
    before = rows_of(engine, quokkas)

    refused = run_cli("--db", db_url, "communities", "delete", "Quokkas", "--yes")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "Error: 'Quokkas' holds 1 tombstone of erased members, which keep them from being imported "
        "again; give --tombstones-to COMMUNITY to hand them to the community that stays."
    )
    assert rows_of(engine, quokkas) == before
    unknown = run_cli(
        "--db", db_url, "communities", "delete", "Quokkas", "--tombstones-to", "Koalas", "--yes"
    )
    assert (
        unknown.exit_code == 2 and "--tombstones-to: no community named 'Koalas'" in unknown.stderr
    )
    assert rows_of(engine, quokkas) == before

    done = run_cli(
        "--db", db_url, "communities", "delete", "Quokkas", "--tombstones-to", "Wombats", "--yes"
    )
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip().endswith("; its tombstones went to 'Wombats'.")
    assert rows_of(engine, quokkas) == {}
    with engine.connect() as conn:
        (record,) = get_community_deletions(conn)
        events = get_events(conn, wombats)
    assert record["details"]["tombstones_moved"] == 1
    assert events[0]["action"] == "community.tombstones_received"

    do_import(engine, "jsonl", export, community_name="Wombats")  # the same export, into the heir
    with engine.connect() as conn:
        wombat_community = find_community(conn, "Wombats")
        assert wombat_community is not None
        resolve_member(conn, wombat_community, "forum:bruno")
        with pytest.raises(UsageError, match="no member"):
            resolve_member(conn, wombat_community, "forum:ada")  # erased: still left out
