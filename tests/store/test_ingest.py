"""The ingest path: records in, rows and exact rollups out; re-importing changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tending.models import MemberRecord, ThreadRecord
from tending.store import ingest as ingest_module
from tending.store.communities import do_create_community, find_community
from tending.store.ingest import Ingestor, import_settings, member_dates_after
from tending.store.schema import activities, channels, identities, member_stats, members, threads
from tests.cast import act

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def story() -> list:
    return [
        MemberRecord(source="forum", external_id="ada", display_name="Ada", joined_at=T0),
        MemberRecord(source="forum", external_id="bruno", display_name="Bruno", is_staff=True),
        ThreadRecord(source="forum", external_id="t1", title="Insulin doses"),
        act("p1", "ada", "post", T0 + timedelta(days=1), thread_external_id="t1"),
        act(
            "p2",
            "bruno",
            "reply",
            T0 + timedelta(days=2),
            thread_external_id="t1",
            parent_source_id="p1",
        ),
        act(
            "p3",
            "ada",
            "reaction",
            T0 + timedelta(days=3),
            thread_external_id="t1",
            parent_source_id="p2",
        ),
        act(
            "p4",
            "chloe",
            "comment",
            T0 + timedelta(days=5),
            thread_external_id="t1",
            member_name="Chloé",
        ),
    ]


def ingest(engine: Engine, records: list) -> dict[str, int]:
    with engine.begin() as conn:
        return ingest_on(conn, records)


def ingest_on(conn: Any, records: list) -> dict[str, int]:
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


def test_a_stored_activity_creates_nothing_even_when_its_author_has_a_new_id(
    engine: Engine,
) -> None:
    """A newer export may give an old post's author another id: the post is stored already, so neither
    that author, nor the thread or channel it names, may appear; what is new in the batch still lands."""
    ingest(engine, story())
    counts = ingest(
        engine,
        [
            act(
                "p4",
                "chloe-2",
                "comment",
                T0 + timedelta(days=5),
                thread_external_id="t9",
                channel_external_id="c9",
                member_name="Chloé",
            ),
            act("p6", "ada", "reply", T0 + timedelta(days=6), thread_external_id="t1"),
        ],
    )
    assert counts["activities_added"] == 1 and counts["activities_unchanged"] == 1
    assert counts["members_added"] == counts["threads_added"] == counts["channels_added"] == 0
    with engine.connect() as conn:
        assert "chloe-2" not in set(conn.execute(select(members.c.external_id)).scalars())
        assert "chloe-2" not in set(conn.execute(select(identities.c.external_id)).scalars())
        assert set(conn.execute(select(threads.c.external_id)).scalars()) == {"t1"}
        assert conn.execute(select(func.count()).select_from(channels)).scalar_one() == 0


def test_a_source_id_twice_in_one_export_keeps_the_first_and_creates_nothing_for_the_second(
    engine: Engine,
) -> None:
    records = [
        act("p1", "ada", "post", T0, thread_external_id="t1", member_name="Ada"),
        act("p1", "zed", "post", T0, thread_external_id="t2", member_name="Zed"),
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Cats", platform="forum")
        counts = Ingestor(conn, community).add_all(records, batch_size=1).as_dict()
    assert (
        counts["activities_added"] == 1
        and counts["members_added"] == 1
        and counts["threads_added"] == 1
    )
    with engine.connect() as conn:
        assert set(conn.execute(select(members.c.external_id)).scalars()) == {"ada"}
        assert set(conn.execute(select(threads.c.external_id)).scalars()) == {"t1"}


def sqlite_indexes(conn: Any) -> set[tuple[str, str]]:
    return set(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    )


def test_a_bulk_load_sets_indexes_aside_and_builds_them_again(
    engine: Engine, monkeypatch: Any
) -> None:
    """SQLite: past BULK_AFTER activities the secondary indexes are dropped inside the transaction and
    created again by finish(); a failed load rolls the drop back with everything else."""
    if engine.dialect.name != "sqlite":
        pytest.skip("bulk loads set indexes aside on SQLite only")
    monkeypatch.setattr(ingest_module, "BULK_AFTER", 2)
    with engine.connect() as conn:
        indexes = sqlite_indexes(conn)
    assert any(name == "ix_activities_contributions" for name, _ in indexes)
    records = [
        act(
            f"p{i}",
            f"m{i % 3}",
            "reply",
            T0 + timedelta(hours=i),
            thread_external_id="t1",
            member_name="M",
        )
        for i in range(12)
    ]
    with engine.begin() as conn:
        community = do_create_community(conn, "Cats", platform="forum")
        ingestor = Ingestor(conn, community, rollup_every=5, bulk=True)
        ingestor.add(records[:6])
        set_aside = {name for name, _ in ingestor.set_aside}
        assert (
            "ix_activities_contributions" in set_aside
            and "ix_member_days_community_id_member_id_day" in set_aside
        )
        assert not set_aside & {
            name for name, sql in indexes if sql.upper().startswith("CREATE UNIQUE")
        }
        assert sqlite_indexes(conn) == {index for index in indexes if index[0] not in set_aside}
        ingestor.add(records[6:])
        ingestor.finish()
        assert sqlite_indexes(conn) == indexes
    with pytest.raises(RuntimeError), engine.begin() as conn:
        cats = find_community(conn, "Cats")
        assert cats is not None
        ingestor = Ingestor(conn, cats, rollup_every=5, bulk=True)
        ingestor.held_before = 0
        ingestor.add([act("q0", "m1", "reply", T0, thread_external_id="t1")])
        ingestor.add(
            [act(f"q{i}", "m1", "reply", T0, thread_external_id="t1") for i in range(1, 6)]
        )
        assert (
            ingestor.set_aside
        )  # after the first write: Python's sqlite3 had not begun the transaction
        raise RuntimeError("the export broke off")
    with engine.connect() as conn:
        assert sqlite_indexes(conn) == indexes
        assert conn.execute(select(func.count()).select_from(activities)).scalar_one() == 12
        stats = conn.execute(select(func.sum(member_stats.c.replies))).scalar_one()
        assert stats == 12


def test_an_import_skips_foreign_key_checks_and_spills_to_files_only_for_its_transaction(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite pragma")
    with engine.connect() as conn:
        with import_settings(conn), conn.begin():
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 0
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar_one() == 1  # files
            ingest_on(conn, story())
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert (
            conn.exec_driver_sql("PRAGMA temp_store").scalar_one() == 2
        )  # memory, as the engine sets it
        conn.rollback()
        with pytest.raises(RuntimeError), import_settings(conn), conn.begin():
            raise RuntimeError("the export broke off")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
