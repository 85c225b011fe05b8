"""The ingest's fast paths across batches: rollups merged in the database, member dates cached between
batches, and an export read in any order still lands with exact rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from tending.models import ActivityRecord, MemberRecord
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor
from tending.store.schema import activities, member_stats, members

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def act(source_id: str, who: str, kind: str, days: int) -> ActivityRecord:
    return ActivityRecord(source="forum", source_id=source_id, member_external_id=who, kind=kind,
                          occurred_at=T0 + timedelta(days=days), thread_external_id="t1")


def test_rollups_widen_both_ways_across_batches(engine: Engine) -> None:
    with engine.begin() as conn:
        ingestor = Ingestor(conn, do_create_community(conn, "Cats", platform="forum"))
        ingestor.add([act("a1", "ada", "reply", 10), act("a2", "ada", "reaction", 12)])
        ingestor.add([act("a3", "ada", "post", 3), act("a4", "ada", "comment", 20)])  # earlier and later
        ingestor.add([act("a1", "ada", "reply", 10)])  # already there: no double count
        ingestor.finish()
    with engine.connect() as conn:
        row = conn.execute(select(member_stats)).one()
    assert (row.contributions, row.posts, row.replies, row.comments, row.reactions) == (3, 1, 1, 1, 1)
    assert row.first_activity_at == T0 + timedelta(days=3) and row.last_activity_at == T0 + timedelta(days=20)
    assert row.first_contribution_at == T0 + timedelta(days=3)
    assert row.last_contribution_at == T0 + timedelta(days=20)


def test_member_dates_stay_exact_when_a_batch_updates_the_member(engine: Engine) -> None:
    with engine.begin() as conn:
        ingestor = Ingestor(conn, do_create_community(conn, "Cats", platform="forum"))
        ingestor.add([act("b1", "bruno", "reply", 5)])  # bruno's dates are now known to the ingest
        ingestor.add([MemberRecord(source="forum", external_id="bruno", joined_at=T0)])  # the export's join date
        ingestor.add([act("b2", "bruno", "reply", 8), act("b3", "bruno", "left", 9)])
        ingestor.finish()
    with engine.connect() as conn:
        bruno = conn.execute(select(members)).one()
        texts = conn.execute(select(activities.c.extra)).scalars().all()
    assert (bruno.joined_at, bruno.joined_at_exact, bruno.left_at) == (T0, True, T0 + timedelta(days=9))
    assert texts == [None, None, None]  # no extra reads back as None, as through SQLAlchemy's JSON type
