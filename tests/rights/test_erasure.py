"""Erasure: a person on two platforms is erased from every table, the figures everyone else sees stay the
same, and re-importing the original export does not bring them back (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select

from tending.actions.imports import do_import
from tending.actions.members import get_segments_report
from tending.actions.rights import (
    do_erase_member,
    do_lift_tombstone,
    get_erasure_preview,
    get_member_export,
)
from tending.errors import UsageError
from tending.models import Community
from tending.store.communities import find_community
from tending.store.health import get_health_report
from tending.store.schema import activities, identities, members
from tests.rights.cast import ADA_MARKERS, OTHERS_TEXT, T, build


def quokkas(engine: Engine) -> Community:
    with engine.connect() as conn:
        community = find_community(conn, "Quokkas")
    assert community is not None
    return community


def dump(engine: Engine) -> str:
    """Every row of every table in the database, as text."""
    reflected = MetaData()
    reflected.reflect(engine)
    lines = []
    with engine.connect() as conn:
        for table in reflected.sorted_tables:
            for row in conn.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def figures(engine: Engine) -> dict[str, Any]:
    community = quokkas(engine)
    with engine.begin() as conn:
        health = get_health_report(conn, community, as_of=T, window_days=120)
        segments = get_segments_report(conn, community, as_of=T, window_days=120)
    return {
        "health": health,
        "segments": (
            segments.members,
            segments.contributions,
            segments.counts,
            segments.contributions_by_segment,
            segments.gini,
        ),
    }


@pytest.mark.parametrize("method", ["batches", "bulk"])
def test_erasure_leaves_no_trace_and_the_same_figures(
    engine: Engine, tmp_path: Path, method: str
) -> None:
    export = build(engine, tmp_path)
    community = quokkas(engine)
    everything = dump(engine)
    for marker in ADA_MARKERS:
        assert marker.lower() in everything.lower(), marker  # the markers are there before
    before = figures(engine)
    with engine.connect() as conn:
        preview = get_erasure_preview(conn, community, "slack:U0ADAMARK")
    assert (
        preview.counts["accounts"] == 2
        and preview.counts["activities"] == 6
        and preview.counts["texts"] == 4
    )
    assert len(preview.member_ids) == 2  # the kept member and the merged Slack account

    with engine.begin() as conn:
        result = do_erase_member(conn, community, "forum:ada", actor="test")
    assert result.tombstones == 2

    after_dump = dump(engine).lower()
    for marker in ADA_MARKERS:
        assert marker.lower() not in after_dump, marker
    assert OTHERS_TEXT in after_dump and "bruno" in after_dump  # everyone else's data stays
    assert figures(engine) == before
    if engine.dialect.name == "sqlite":  # nor in the file's free pages
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database = Path(str(engine.url.database))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        assert [m for m in ADA_MARKERS if m.encode() in raw] == []

    # the original export, again, by either path (tombstoned accounts are left out of both)
    do_import(engine, "jsonl", export, community_name="Quokkas", method=method)
    assert figures(engine) == before
    again = dump(engine).lower()
    for marker in ADA_MARKERS:
        assert marker.lower() not in again, marker
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(members.c.id).where(members.c.display_name == "Adaline Zorglub")
            ).first()
            is None
        )
        assert (
            conn.execute(select(identities.c.id).where(identities.c.external_id == "ada")).first()
            is None
        )


def test_erasing_twice_or_an_unknown_id_says_so(engine: Engine, tmp_path: Path) -> None:
    build(engine, tmp_path)
    community = quokkas(engine)
    with engine.begin() as conn:
        erased = do_erase_member(conn, community, "forum:ada", actor="test")
    with engine.connect() as conn:
        merged_away = conn.execute(
            select(members.c.id).where(members.c.merged_into == erased.member_id)
        ).scalar_one()
    for ref in ("forum:ada", "U0ADAMARK", f"#{erased.member_id}", f"#{merged_away}"):
        with engine.begin() as conn, pytest.raises(UsageError, match="was erased on 2"):
            do_erase_member(conn, community, ref, actor="test")
    with engine.connect() as conn, pytest.raises(UsageError, match="no member"):
        get_member_export(conn, community, "nobody")


def test_lifting_the_tombstone_lets_a_later_import_bring_the_identity_back(
    engine: Engine, tmp_path: Path
) -> None:
    export = build(engine, tmp_path)
    community = quokkas(engine)
    with engine.begin() as conn:
        do_erase_member(conn, community, "forum:ada", actor="test")
    with engine.begin() as conn:
        assert do_lift_tombstone(conn, community, "forum:ada", actor="test") == 1
    do_import(engine, "jsonl", export, community_name="Quokkas")
    with engine.connect() as conn:
        back = conn.execute(select(members.c.id).where(members.c.external_id == "ada")).scalar()
        still = conn.execute(
            select(members.c.id).where(members.c.external_id == "U0ADAMARK")
        ).scalar()
        # the forum account comes back as a new member; its activities were already stored (anonymous)
        assert back is not None and still is None
        assert (
            conn.execute(select(activities.c.id).where(activities.c.member_id == back)).first()
            is None
        )
