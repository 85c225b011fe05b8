"""contributor_days, the packed per-day contributors, is exactly member_days' contributors: at write time, after a
re-import, a merge, a rebuild, and when the migration fills it from data stored before it existed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select, text

from tending.actions.members import do_merge_members
from tending.models import ActivityRecord, ImportRecord, MemberRecord
from tending.store.communities import do_create_community
from tending.store.contributor_days import decode, sum_by_member, window_counts
from tending.store.ingest import Ingestor
from tending.store.rollups import rebuild_community_rollups
from tending.store.schema import member_stats
from tests.conftest import remigrate_from_foundation
from tests.health.test_report import random_community

DAY = 86_400_000_000
T0 = datetime(2025, 1, 31, 23, 59, 59, tzinfo=UTC)  # a second before midnight UTC


def packed(engine: Engine) -> dict[tuple[int, int], dict[int, int]]:
    """{(community, day): {member: contributions}} as contributor_days holds it."""
    found = {}
    with engine.connect() as conn:
        for cid, day, n, ids_blob, counts_blob in conn.execute(
            text("SELECT community_id, day, contributors, member_ids, counts FROM contributor_days")
        ):
            ids, counts = decode(ids_blob, counts_blob)
            assert len(ids) == n and list(ids) == sorted(set(ids.tolist())) and (counts > 0).all()
            found[(cid, day)] = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    return found


def from_member_days(engine: Engine) -> dict[tuple[int, int], dict[int, int]]:
    found: dict[tuple[int, int], dict[int, int]] = {}
    with engine.connect() as conn:
        for cid, day, member_id, n in conn.execute(
            text(
                "SELECT community_id, day, member_id, contributions FROM member_days WHERE contributions > 0"
            )
        ):
            found.setdefault((cid, day), {})[member_id] = n
    return found


def from_activities(engine: Engine) -> dict[tuple[int, int], dict[int, int]]:
    found: dict[tuple[int, int], dict[int, int]] = {}
    with engine.connect() as conn:
        for cid, at, member_id in conn.execute(
            text(
                "SELECT community_id, occurred_at, member_id FROM activities "
                "WHERE kind IN ('post', 'reply', 'comment')"
            )
        ):
            day = found.setdefault((cid, at // DAY), {})
            day[member_id] = day.get(member_id, 0) + 1
    return found


def test_ada_bruno_and_a_day_that_ends_at_midnight_utc(engine: Engine) -> None:
    records: list[ImportRecord] = [
        MemberRecord(source="forum", external_id="ada"),
        ActivityRecord(
            source="forum", source_id="1", member_external_id="ada", kind="post", occurred_at=T0
        ),
        ActivityRecord(
            source="forum",
            source_id="2",
            member_external_id="ada",
            kind="reply",
            occurred_at=T0 + timedelta(seconds=1),
        ),
        ActivityRecord(
            source="forum",
            source_id="3",
            member_external_id="bruno",
            kind="comment",
            occurred_at=T0 - timedelta(hours=1),
        ),
        ActivityRecord(
            source="forum",
            source_id="4",
            member_external_id="bruno",
            kind="reaction",
            occurred_at=T0 + timedelta(seconds=2),
        ),  # a reaction is not a contribution
        ActivityRecord(
            source="forum",
            source_id="5",
            member_external_id="ada",
            kind="reply",
            occurred_at=T0 - timedelta(minutes=5),
        ),
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records)
        ada, bruno = conn.execute(text("SELECT id FROM members ORDER BY external_id")).scalars()
    jan31 = (T0 - datetime(1970, 1, 1, tzinfo=UTC)).days
    assert packed(engine) == {
        (community.id, jan31): {ada: 2, bruno: 1},
        (community.id, jan31 + 1): {ada: 1},
    }


def test_write_time_equals_member_days_and_the_activities_through_reimport_merge_and_rebuild(
    engine: Engine,
) -> None:
    records = random_community(11, members=40, threads=120)
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records, batch_size=37)
    at_write_time = packed(engine)
    assert len(at_write_time) > 100
    assert at_write_time == from_member_days(engine) == from_activities(engine)
    with engine.begin() as conn:
        Ingestor(conn, community).add_all(
            records, batch_size=500
        )  # the same export again: nothing changes
    assert packed(engine) == at_write_time
    # a busy member merged into a quiet one: their days move, the merged member disappears from every day
    busiest = max(
        {m for day in at_write_time.values() for m in day},
        key=lambda m: sum(day.get(m, 0) for day in at_write_time.values()),
    )
    with engine.begin() as conn:
        keep = conn.execute(
            text("SELECT min(id) FROM members WHERE id <> :m"), {"m": busiest}
        ).scalar_one()
        do_merge_members(conn, community, keep, busiest, actor="test")
    merged = packed(engine)
    assert merged == from_member_days(engine) == from_activities(engine)
    assert all(busiest not in day for day in merged.values())
    assert sum(day.get(keep, 0) for day in merged.values()) == sum(
        day.get(keep, 0) + day.get(busiest, 0) for day in at_write_time.values()
    )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM contributor_days"))
        rebuild_community_rollups(conn, community.id)
    assert packed(engine) == merged


def test_a_later_import_on_an_existing_day_refreshes_it(engine: Engine) -> None:
    first = [
        ActivityRecord(
            source="forum", source_id="1", member_external_id="ada", kind="post", occurred_at=T0
        )
    ]
    later = [
        ActivityRecord(
            source="forum",
            source_id="2",
            member_external_id="chloe",
            kind="reply",
            occurred_at=T0 - timedelta(hours=3),
        ),
        ActivityRecord(
            source="forum",
            source_id="3",
            member_external_id="ada",
            kind="comment",
            occurred_at=T0 - timedelta(hours=2),
        ),
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(first)
    with engine.begin() as conn:
        Ingestor(conn, community).add_all(later)
    assert packed(engine) == from_activities(engine)
    assert sorted(next(iter(packed(engine).values())).values()) == [1, 2]


def test_the_migration_fills_it_from_existing_activities(engine: Engine) -> None:
    records = random_community(12, members=30, threads=80)
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records)
    expected = packed(engine)
    assert expected
    remigrate_from_foundation(engine)  # the rollups go away, the activities stay
    assert packed(engine) == expected


def test_a_window_reads_whole_days_packed_and_its_edges_from_the_activities(engine: Engine) -> None:
    records = random_community(13, members=40, threads=150)
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(records)
        rows = conn.execute(
            text(
                "SELECT member_id, occurred_at FROM activities "
                "WHERE kind IN ('post', 'reply', 'comment')"
            )
        ).all()
        instants = sorted(at for _, at in rows)
        middle = instants[len(instants) // 2]
        # windows ending on a contribution, a microsecond before and after it, at midnight, shorter than a day
        for end in (
            middle,
            middle - 1,
            middle + 1,
            (middle // DAY) * DAY,
            (middle // DAY) * DAY - 1,
        ):
            for length in (DAY // 3, DAY, 7 * DAY + 5, 90 * DAY, 90 * DAY - 3_600_000_000):
                start = end - length
                ids, counts = window_counts(conn, community.id, start=start, end=end)
                expected: dict[int, int] = {}
                for member_id, at in rows:
                    if start < at <= end:
                        expected[member_id] = expected.get(member_id, 0) + 1
                assert dict(zip(ids.tolist(), counts.tolist(), strict=True)) == expected, (
                    end,
                    length,
                )


def test_a_window_s_edges_are_read_by_instant_even_when_statistics_mislead_sqlite(
    engine: Engine,
) -> None:
    """sqlite_stat1 written before ix_activities_contributions existed made SQLite scan a community's every
    contribution for the two partial days (3.8 s of the health report on 20,000,000 activities)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite query plan")
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
        Ingestor(conn, community).add_all(random_community(5, members=20, threads=40))
        conn.execute(text("ANALYZE"))
        conn.execute(text("DELETE FROM sqlite_stat1 WHERE idx = 'ix_activities_contributions'"))
        conn.execute(
            text(
                "UPDATE sqlite_stat1 SET stat = '20000000 20000000 1' "
                "WHERE idx = 'ix_activities_community_id_occurred_at'"
            )
        )
        conn.execute(text("ANALYZE sqlite_schema"))  # reload the statistics
    plans: list[str] = []
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        statements: list[str] = []
        raw.set_trace_callback(statements.append)
        window_counts(conn, community.id, start=10 * DAY + 5, end=40 * DAY + 7)
        raw.set_trace_callback(None)
        edges = [sql for sql in statements if "FROM activities" in sql]
        assert len(edges) == 2
        for sql in edges:
            plans += [row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans and all("ix_activities_community_id_occurred_at" in plan for plan in plans), plans


def test_sum_by_member_with_sparse_huge_ids() -> None:
    ids, counts = sum_by_member(
        [np.array([10**12, 5]), np.array([5, 7])], [np.array([2, 1]), np.array([3, 1])]
    )
    assert ids.tolist() == [5, 7, 10**12] and counts.tolist() == [4, 1, 2]
    ids, counts = sum_by_member([np.array([3, 1, 3])], [np.array([1, 1, 2])])
    assert ids.tolist() == [1, 3] and counts.tolist() == [1, 3]
    assert sum_by_member([], [])[0].size == 0


def import_in_background(
    engine: Engine, community: Any, records: list[ActivityRecord], failures: list[BaseException]
) -> threading.Thread:
    """Another import of the community, in its own connection and thread (errors land in `failures`)."""

    def run() -> None:
        try:
            with engine.begin() as conn:
                Ingestor(conn, community).add_all(records)
        except BaseException as error:  # re-raised by the test, in its own thread
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def two_writers(
    engine: Engine, ada_at: datetime, bruno_at: datetime
) -> tuple[Any, list[ActivityRecord], list[ActivityRecord]]:
    """A new community, and what two imports of it will write: Ada's post and Bruno's reply."""
    with engine.begin() as conn:
        community = do_create_community(conn, "Forum", platform="forum")
    return (
        community,
        [
            ActivityRecord(
                source="forum",
                source_id="a",
                member_external_id="ada",
                kind="post",
                occurred_at=ada_at,
            )
        ],
        [
            ActivityRecord(
                source="forum",
                source_id="b",
                member_external_id="bruno",
                kind="reply",
                occurred_at=bruno_at,
            )
        ],
    )


def test_two_imports_at_once_on_one_day_keep_both_counts(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    community, ada, bruno = two_writers(
        engine, T0 - timedelta(hours=1), T0 - timedelta(hours=2)
    )  # one UTC day
    failures: list[BaseException] = []
    with engine.connect() as first:
        first.begin()
        Ingestor(first, community).add_all(ada)
        second = import_in_background(engine, community, bruno, failures)
        second.join(timeout=1.5)
        assert second.is_alive()  # waiting for the first import's row of that day
        first.commit()
    second.join(timeout=30)
    assert not failures, failures
    assert packed(engine) == from_activities(engine)
    assert sorted(next(iter(packed(engine).values())).values()) == [1, 1]


def test_a_second_import_of_the_community_waits_for_the_first(engine: Engine) -> None:
    """The rollups take the activities above the newest id seen before an insert as the writer's own: an
    import of the same community committing in between would count twice, so writers take turns (here on
    different days and members: nothing else would make the second wait)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    community, ada, bruno = two_writers(engine, T0 - timedelta(days=3), T0 - timedelta(days=1))
    failures: list[BaseException] = []
    with engine.connect() as first:
        first.begin()
        ingestor = Ingestor(first, community)
        second = import_in_background(engine, community, bruno, failures)
        second.join(timeout=1.5)
        assert second.is_alive()  # waiting for the first import to end
        ingestor.add_all(ada)
        first.commit()
    second.join(timeout=30)
    assert not failures, failures
    with engine.connect() as conn:
        stats = conn.execute(select(member_stats.c.contributions)).scalars().all()
    assert sorted(stats) == [1, 1]
    assert packed(engine) == from_activities(engine)
