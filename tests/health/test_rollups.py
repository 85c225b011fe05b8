"""The daily and monthly rollups stay exact: at write time, on re-import, after a recompute, and when the
migration fills them from activities stored before it existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, text

from tending.models import ActivityRecord, ImportRecord, MemberRecord
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor, do_recompute_member_stats
from tending.store.rollups import (
    member_days,
    member_months,
    new_contribution_days,
    rebuild_community_rollups,
)
from tests.conftest import remigrate_from_foundation
from tests.health.test_report import random_community

T0 = datetime(2025, 1, 31, 23, 59, 59, tzinfo=UTC)


def snapshot(engine: Engine) -> tuple[list, list]:
    with engine.connect() as conn:
        days = [
            tuple(r)
            for r in conn.execute(select(member_days).order_by(*member_days.primary_key.columns))
        ]
        months = [
            tuple(r)
            for r in conn.execute(
                select(member_months).order_by(*member_months.primary_key.columns)
            )
        ]
    return days, months


def test_write_time_rollups_equal_a_rebuild_and_survive_a_reimport(engine: Engine) -> None:
    records = random_community(5, members=40, threads=120)
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records, batch_size=50)
    at_write_time = snapshot(engine)
    assert len(at_write_time[0]) > 100 and len(at_write_time[1]) > 30
    with engine.begin() as conn:
        Ingestor(conn, community).add_all(records, batch_size=333)  # the same export again
    assert snapshot(engine) == at_write_time
    with engine.begin() as conn:
        rebuild_community_rollups(conn, community.id)
    assert snapshot(engine) == at_write_time
    with engine.begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM members")).scalars())
        do_recompute_member_stats(conn, community.id, ids[:10])
    assert snapshot(engine) == at_write_time


def test_a_day_and_a_month_end_at_midnight_utc(engine: Engine) -> None:
    records: list[ImportRecord] = [
        MemberRecord(source="forum", external_id="ada", joined_at=T0 - timedelta(days=3)),
        ActivityRecord(
            source="forum",
            source_id="1",
            member_external_id="ada",
            kind="post",
            occurred_at=T0,
            extra={"reads": 7},
        ),
        ActivityRecord(
            source="forum",
            source_id="2",
            member_external_id="ada",
            kind="reply",
            occurred_at=T0 + timedelta(seconds=1),
            extra={"reads": 3},
        ),
        ActivityRecord(
            source="forum",
            source_id="3",
            member_external_id="ada",
            kind="reaction",
            occurred_at=T0 + timedelta(seconds=2),
        ),
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records)
    days, months = snapshot(engine)
    jan31 = (T0 - datetime(1970, 1, 1, tzinfo=UTC)).days
    # (community, day, member, contributions, posts, replies, comments, reactions, reads)
    assert [d[1:] for d in days] == [(jan31, 1, 1, 1, 0, 0, 0, 7), (jan31 + 1, 1, 1, 0, 1, 0, 1, 3)]
    # (community, member, month, contributions, join month): ada joined in January 2025
    assert [m[1:] for m in months] == [
        (1, 2025 * 12 + 0, 1, 2025 * 12),
        (1, 2025 * 12 + 1, 1, 2025 * 12),
    ]


def test_the_join_month_follows_the_members_join_date(engine: Engine) -> None:
    bruno_posts = [
        ActivityRecord(
            source="forum",
            source_id=f"b{i}",
            member_external_id="bruno",
            kind="post",
            occurred_at=T0 + timedelta(days=40 * i),
        )
        for i in range(3)
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(bruno_posts[1:])  # first seen on his second post (March)
    assert {m[4] for m in snapshot(engine)[1]} == {2025 * 12 + 2}
    with engine.begin() as conn:
        Ingestor(conn, community).add_all(
            bruno_posts[:1]
        )  # an older post turns up: first seen in January
    assert {m[4] for m in snapshot(engine)[1]} == {2025 * 12 + 0}
    with (
        engine.begin() as conn
    ):  # then the platform's own join date, from a later export of the users
        Ingestor(conn, community).add_all(
            [
                MemberRecord(
                    source="forum", external_id="bruno", joined_at=datetime(2024, 11, 5, tzinfo=UTC)
                )
            ]
        )
    assert {m[4] for m in snapshot(engine)[1]} == {2024 * 12 + 10}
    with engine.begin() as conn:
        rebuild_community_rollups(conn, community.id)
    assert {m[4] for m in snapshot(engine)[1]} == {2024 * 12 + 10}


def test_the_migration_fills_the_rollups_from_existing_activities(
    db_url: str, engine: Engine
) -> None:
    records = random_community(6, members=30, threads=80)
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records)
    expected = snapshot(engine)
    remigrate_from_foundation(engine)  # the health tables go away, the activities stay
    assert snapshot(engine) == expected


def test_the_days_a_batch_touched_are_its_contribution_days(engine: Engine) -> None:
    ada = [
        ActivityRecord(
            source="forum",
            source_id=f"a{i}",
            member_external_id="ada",
            kind=kind,
            occurred_at=T0 + timedelta(hours=hours),
        )
        for i, (kind, hours) in enumerate(
            [("post", 0), ("reply", 1), ("reaction", 30), ("comment", 50)]
        )
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(ada[:2])
        before = int(conn.execute(text("SELECT max(id) FROM activities")).scalar_one())
        Ingestor(conn, community).add_all(ada)  # only the reaction and the comment are new
        jan31 = (T0 - datetime(1970, 1, 1, tzinfo=UTC)).days
        assert new_contribution_days(conn, community.id, after_id=0) == [
            jan31,
            jan31 + 1,
            jan31 + 3,
        ]
        assert new_contribution_days(conn, community.id, after_id=before) == [
            jan31 + 3
        ]  # not the reaction's
