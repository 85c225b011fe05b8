"""The ingest path: records in, rows and exact rollups out; re-importing changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from tending.models import ActivityRecord, MemberRecord, ThreadRecord
from tending.store.communities import do_create_community, find_community
from tending.store.ingest import Ingestor, member_dates_after
from tending.store.schema import activities, member_stats, members, threads

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def act(source_id: str, who: str, kind: str, at: datetime, **extra: object) -> ActivityRecord:
    return ActivityRecord(source="forum", source_id=source_id, member_external_id=who, kind=kind,
                          occurred_at=at, **extra)  # type: ignore[arg-type]


def story() -> list:
    return [
        MemberRecord(source="forum", external_id="ada", display_name="Ada", joined_at=T0),
        MemberRecord(source="forum", external_id="bruno", display_name="Bruno", is_staff=True),
        ThreadRecord(source="forum", external_id="t1", title="Insulin doses"),
        act("p1", "ada", "post", T0 + timedelta(days=1), thread_external_id="t1"),
        act("p2", "bruno", "reply", T0 + timedelta(days=2), thread_external_id="t1", parent_source_id="p1"),
        act("p3", "ada", "reaction", T0 + timedelta(days=3), thread_external_id="t1", parent_source_id="p2"),
        act("p4", "chloe", "comment", T0 + timedelta(days=5), thread_external_id="t1", member_name="Chloé"),
    ]


def ingest(engine: Engine, records: list) -> dict[str, int]:
    with engine.begin() as conn:
        community = find_community(conn, "Cats") or do_create_community(conn, "Cats", platform="forum")
        return Ingestor(conn, community).add_all(records).as_dict()


def test_a_story_lands_with_exact_rollups(engine: Engine) -> None:
    counts = ingest(engine, story())
    assert counts["members_added"] == 3  # ada, bruno, and chloe created from her comment
    assert counts["activities_added"] == 4
    with engine.connect() as conn:
        stats = {row.member_id: row for row in conn.execute(select(member_stats))}
        people = {row.external_id: row for row in conn.execute(select(members))}
        ada, chloe = people["ada"], people["chloe"]
        assert ada.joined_at == T0 and ada.joined_at_exact
        assert chloe.display_name == "Chloé"
        assert chloe.joined_at == T0 + timedelta(days=5) and not chloe.joined_at_exact
        assert people["bruno"].is_staff
        assert stats[ada.id].contributions == 1 and stats[ada.id].reactions == 1
        assert stats[ada.id].last_contribution_at == T0 + timedelta(days=1)
        assert stats[ada.id].last_activity_at == T0 + timedelta(days=3)
        reply = conn.execute(select(activities).where(activities.c.source_id == "p2")).one()
        post = conn.execute(select(activities).where(activities.c.source_id == "p1")).one()
        assert reply.parent_id == post.id
        thread = conn.execute(select(threads)).one()
        assert thread.started_by == ada.id and thread.started_at == T0 + timedelta(days=1)


def test_reimporting_changes_nothing(engine: Engine) -> None:
    ingest(engine, story())
    again = ingest(engine, story())
    assert again["activities_added"] == 0 and again["activities_unchanged"] == 4
    assert again["members_added"] == 0 and again["members_unchanged"] == 2
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(member_stats.c.contributions))).scalar()
        assert total == 3


def test_a_newer_export_adds_only_what_is_new(engine: Engine) -> None:
    ingest(engine, story())
    newer = [*story(), act("p5", "ada", "reply", T0 + timedelta(days=40), thread_external_id="t1")]
    counts = ingest(engine, newer)
    assert counts["activities_added"] == 1
    with engine.connect() as conn:
        ada = conn.execute(select(members.c.id).where(members.c.external_id == "ada")).scalar_one()
        row = conn.execute(select(member_stats).where(member_stats.c.member_id == ada)).one()
        assert row.contributions == 2 and row.last_contribution_at == T0 + timedelta(days=40)


def test_join_and_leave_dates() -> None:
    join, leave, rejoin = T0, T0 + timedelta(days=10), T0 + timedelta(days=20)
    assert member_dates_after((None, False, None), T0, [join], [leave]) == (join, True, leave)
    assert member_dates_after((join, True, leave), rejoin, [rejoin], []) == (rejoin, True, None)
    # without a join date the first activity stands in, and an earlier one moves it back
    earlier = T0 - timedelta(days=1)
    assert member_dates_after((T0, False, None), earlier, [], []) == (earlier, False, None)
    assert member_dates_after((T0, True, None), T0 - timedelta(days=1), [], []) == (T0, True, None)
