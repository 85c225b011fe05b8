"""The segments from the packed per-day rollup (contributor_days) are exact: the boundary second, the
community's time zone, bots, leavers and late joiners, a merge and a re-import, on SQLite and PostgreSQL,
against the activities path and a plain-Python oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from tending.actions.members import do_merge_members, get_lifecycle_settings, get_segments_report
from tending.lib import segments as seg
from tending.lib.lifecycle import days_before
from tending.models import Community
from tending.store import members as store
from tending.store.members import ACTIVITIES, ROLLUPS
from tests.members.oracle import Oracle
from tests.members.story import SECOND, T, act, days, ingest, member_ids, person, posts_every

PARIS = ZoneInfo("Europe/Paris")
# T is 2025-06-01 12:00 UTC (14:00 in Paris, summer time). 90 local days earlier is 3 March 14:00 in Paris,
# winter time: 13:00 UTC. For a UTC community the window opens at 12:00 UTC.
PARIS_START = datetime(2025, 3, 3, 13, 0, tzinfo=UTC)
UTC_START = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def story() -> list:
    return [
        person("ada", joined=T - days(400)),
        person("bruno", joined=T - days(400)),
        person("chloe", joined=T - days(400)),
        person("dmitri", joined=T - days(400)),
        person("eve", joined=T - days(400), bot=True),
        person(
            "fatou", joined=T - days(400), left=PARIS_START
        ),  # left as the window opened: not counted
        person("gus", joined=T + days(1)),  # the platform says he joined after T
        person("hana", joined=T - days(400)),
        person("ines", joined=T - days(5)),
        act("a1", "ada", "post", PARIS_START),  # exactly T - 90 days in Paris: outside
        act("b1", "bruno", "reply", PARIS_START + SECOND),  # a second later: inside
        *posts_every("chloe", start=T - days(40), gap=days(9), count=3),  # whole days in the middle
        act("c-at-T", "chloe", "comment", T),  # exactly T: inside
        act("c-after", "chloe", "comment", T + SECOND),  # after T: never counted
        act(
            "d1", "dmitri", "reply", UTC_START + timedelta(minutes=30)
        ),  # inside in UTC, outside in Paris
        *posts_every("eve", start=T - days(30), gap=days(1), count=10),  # a bot
        act("f1", "fatou", "reply", PARIS_START + timedelta(hours=1)),
        act("g1", "gus", "reply", T - days(2)),
        act("h1", "hana", "reaction", T - days(3)),  # a reaction is not a contribution
    ]


def counts_by_name(
    engine: Engine, community: Community, *, as_of: datetime, window_days: int, method: str
) -> dict[str, int]:
    names = {v: k for k, v in member_ids(engine, community).items()}
    lifecycle = get_lifecycle_settings(community)
    with engine.connect() as conn:
        start = days_before(as_of, window_days, lifecycle.zone)
        counts = store.get_window_counts(
            conn, community.id, as_of=as_of, window_start=start, lifecycle=lifecycle, method=method
        )
    return {names[m]: n for m, n in counts.items()}


def test_paris_the_boundary_second_and_who_is_counted(engine: Engine) -> None:
    records = story()
    community = ingest(engine, records, timezone="Europe/Paris")
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == {
        "bruno": 1,
        "chloe": 4,
    }
    with engine.connect() as conn:
        report = get_segments_report(conn, community, as_of=T, window_days=90)
    assert report.window_start == PARIS_START
    # population: ada, bruno, chloe, dmitri, hana, ines (not eve the bot, fatou who left, gus not joined yet)
    assert report.members == 6 and report.contributions == 5
    assert report.counts == {seg.LURKERS: 4, seg.OCCASIONAL: 1, seg.HEAVY_CORE: 1}
    assert report.contributions_by_segment == {seg.LURKERS: 0, seg.OCCASIONAL: 1, seg.HEAVY_CORE: 4}
    # counts 0, 0, 0, 0, 1, 4: sum(i * x_i) = 5 * 1 + 6 * 4 = 29; G = 2 * 29 / (6 * 5) - 7 / 6 = 23 / 30
    assert report.gini == pytest.approx(23 / 30, abs=1e-12)
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ACTIVITIES) == {
        "bruno": 1,
        "chloe": 4,
    }
    assert Oracle(records, first_seen=T).window_counts(T, 90, PARIS) == {"bruno": 1, "chloe": 4}


def test_the_same_story_in_utc_moves_the_window_by_an_hour(engine: Engine) -> None:
    community = ingest(engine, story(), timezone="UTC")
    with engine.connect() as conn:
        report = get_segments_report(conn, community, as_of=T, window_days=90)
    assert report.window_start == UTC_START
    # ada's and dmitri's contributions are now inside; fatou left an hour after the window opened: she counts
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == {
        "ada": 1,
        "bruno": 1,
        "chloe": 4,
        "dmitri": 1,
        "fatou": 1,
    }
    assert report.members == 7 and report.contributions == 8
    assert report.counts == {seg.LURKERS: 2, seg.OCCASIONAL: 4, seg.HEAVY_CORE: 1}


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC", "Pacific/Auckland"])
def test_the_rollups_agree_with_the_activities_and_the_oracle_at_many_instants(
    engine: Engine, zone: str
) -> None:
    records = story()
    community = ingest(engine, records, timezone=zone)
    oracle = Oracle(records, first_seen=T)
    instants = [
        T,
        T - SECOND,
        T + SECOND,
        PARIS_START + SECOND,
        datetime(2025, 5, 1, tzinfo=UTC),
        datetime(2025, 4, 30, 23, 59, 59, 999999, tzinfo=UTC),
        T - days(2) + timedelta(minutes=7),
    ]
    for as_of in instants:
        for window_days in (1, 2, 30, 89, 90, 91):
            fast = counts_by_name(
                engine, community, as_of=as_of, window_days=window_days, method=ROLLUPS
            )
            slow = counts_by_name(
                engine, community, as_of=as_of, window_days=window_days, method=ACTIVITIES
            )
            assert fast == slow == oracle.window_counts(as_of, window_days, ZoneInfo(zone)), (
                as_of,
                window_days,
            )
            with engine.connect() as conn:
                report = get_segments_report(conn, community, as_of=as_of, window_days=window_days)
                lifecycle = get_lifecycle_settings(community)
                start = days_before(as_of, window_days, lifecycle.zone)
                population = store.count_population(
                    conn, community.id, as_of=as_of, window_start=start
                )
            by_dict = seg.compute_segments(
                dict(enumerate(slow.values())),
                population=population,
                as_of=as_of,
                window_start=start,
                window_days=window_days,
            )
            assert report == by_dict


def test_a_merge_and_a_reimport(engine: Engine) -> None:
    records = [
        *story(),
        person("bruno2", joined=T - days(400)),
        *posts_every("bruno2", start=T - days(20), gap=days(3), count=4),
    ]
    community = ingest(engine, records, timezone="Europe/Paris")
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == {
        "bruno": 1,
        "bruno2": 4,
        "chloe": 4,
    }
    ids = member_ids(engine, community)
    with engine.begin() as conn:
        do_merge_members(conn, community, ids["bruno"], ids["bruno2"], actor="test")
    expected = {"bruno": 5, "chloe": 4}
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == expected
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ACTIVITIES) == expected
    with engine.connect() as conn:
        report = get_segments_report(conn, community, as_of=T, window_days=90)
    assert report.members == 6 and report.counts == {
        seg.LURKERS: 4,
        seg.OCCASIONAL: 1,
        seg.HEAVY_CORE: 1,
    }
    ingest(engine, records, timezone="Europe/Paris")  # the same export again, after the merge
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == expected
    with engine.connect() as conn:
        assert get_segments_report(conn, community, as_of=T, window_days=90) == report


def test_reactions_that_count_are_answered_from_the_activities(engine: Engine) -> None:
    community = ingest(engine, story(), timezone="Europe/Paris", settings={"count_reactions": True})
    assert counts_by_name(engine, community, as_of=T, window_days=90, method=ROLLUPS) == {
        "bruno": 1,
        "chloe": 4,
        "hana": 1,
    }
