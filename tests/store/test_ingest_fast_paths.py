"""The ingest's fast paths across batches: rollups merged in the database, folded after every batch or
every few batches, and an export read in any order still lands with exact rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, select

from tending.models import ActivityRecord, MemberRecord
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor
from tending.store.rollups import member_days, member_months
from tending.store.schema import activities, member_stats, members, threads
from tests.health.test_report import random_community

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def act(source_id: str, who: str, kind: str, days: int) -> ActivityRecord:
    return ActivityRecord(
        source="forum",
        source_id=source_id,
        member_external_id=who,
        kind=kind,
        occurred_at=T0 + timedelta(days=days),
        thread_external_id="t1",
    )


def test_rollups_widen_both_ways_across_batches(engine: Engine) -> None:
    with engine.begin() as conn:
        ingestor = Ingestor(conn, do_create_community(conn, "Cats", platform="forum"))
        ingestor.add([act("a1", "ada", "reply", 10), act("a2", "ada", "reaction", 12)])
        ingestor.add(
            [act("a3", "ada", "post", 3), act("a4", "ada", "comment", 20)]
        )  # earlier and later
        ingestor.add([act("a1", "ada", "reply", 10)])  # already there: no double count
        ingestor.finish()
    with engine.connect() as conn:
        row = conn.execute(select(member_stats)).one()
    assert (row.contributions, row.posts, row.replies, row.comments, row.reactions) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert row.first_activity_at == T0 + timedelta(
        days=3
    ) and row.last_activity_at == T0 + timedelta(days=20)
    assert row.first_contribution_at == T0 + timedelta(days=3)
    assert row.last_contribution_at == T0 + timedelta(days=20)


def test_member_dates_stay_exact_when_a_batch_updates_the_member(engine: Engine) -> None:
    with engine.begin() as conn:
        ingestor = Ingestor(conn, do_create_community(conn, "Cats", platform="forum"))
        ingestor.add([act("b1", "bruno", "reply", 5)])  # bruno's dates are now known to the ingest
        ingestor.add(
            [MemberRecord(source="forum", external_id="bruno", joined_at=T0)]
        )  # the export's join date
        ingestor.add([act("b2", "bruno", "reply", 8), act("b3", "bruno", "left", 9)])
        ingestor.finish()
    with engine.connect() as conn:
        bruno = conn.execute(select(members)).one()
        texts = conn.execute(select(activities.c.extra)).scalars().all()
    assert (bruno.joined_at, bruno.joined_at_exact, bruno.left_at) == (
        T0,
        True,
        T0 + timedelta(days=9),
    )
    assert texts == [
        None,
        None,
        None,
    ]  # no extra reads back as None, as through SQLAlchemy's JSON type


def by_member(conn: Connection, community_id: int) -> dict[str, tuple]:
    """Each member's dates and rollups, keyed by external id (so two communities compare)."""
    names = dict(
        conn.execute(
            select(members.c.id, members.c.external_id).where(
                members.c.community_id == community_id
            )
        ).all()
    )
    found: dict[str, tuple] = {}
    for member in conn.execute(select(members).where(members.c.community_id == community_id)):
        stats = conn.execute(
            select(member_stats).where(member_stats.c.member_id == member.id)
        ).one_or_none()
        days = conn.execute(
            select(member_days)
            .where(member_days.c.member_id == member.id)
            .order_by(member_days.c.day)
        ).all()
        months = conn.execute(
            select(member_months)
            .where(member_months.c.member_id == member.id)
            .order_by(member_months.c.month)
        ).all()
        found[member.external_id] = (
            member.joined_at,
            member.joined_at_exact,
            member.left_at,
            stats and tuple(stats)[2:],
            [(*tuple(d)[3:], d.day) for d in days],
            [tuple(m)[2:] for m in months],
        )
    starts = conn.execute(
        select(threads.c.external_id, threads.c.started_at, threads.c.started_by).where(
            threads.c.community_id == community_id
        )
    ).all()
    found["threads"] = tuple(
        sorted((t.external_id, t.started_at, names.get(t.started_by)) for t in starts)
    )
    return found


def test_rollups_folded_every_few_batches_equal_rollups_folded_every_batch(engine: Engine) -> None:
    records = random_community(7, members=30, threads=120)
    with engine.begin() as conn:
        every_batch = do_create_community(conn, "Every batch", platform="forum")
        Ingestor(conn, every_batch).add_all(records, batch_size=40)
        deferred = do_create_community(conn, "Deferred", platform="forum")
        ingestor = Ingestor(conn, deferred, rollup_every=150)
        counts = ingestor.add_all(records, batch_size=40)
        assert ingestor.pending_rows == 0 and counts.activities_added > 250
        again = Ingestor(conn, deferred, rollup_every=150).add_all(records[::-1], batch_size=70)
        assert again.activities_added == 0
    with engine.connect() as conn:
        want, got = by_member(conn, every_batch.id), by_member(conn, deferred.id)
    assert len(want) > 30 and got == want
