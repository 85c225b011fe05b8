"""The inactive list and member facts from the database, on SQLite and PostgreSQL: the rollup fast path, the
past path over activities, and a plain-Python oracle must give the same exact answers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from tending.actions.members import get_lifecycle_settings, get_member_list, get_segments_report
from tending.lib.segments import HEAVY_CORE, LURKERS, OCCASIONAL
from tending.models import Community, ImportRecord
from tending.store import members as store
from tending.timeutil import parse_instant
from tests.members.oracle import Oracle
from tests.members.story import (
    SECOND,
    T,
    act,
    days,
    ingest,
    member_ids,
    person,
    posts_every,
    thread,
)

N = 60


def cats() -> list:
    """The Cats forum, at T (2025-06-01 12:00 UTC), with N = 60."""
    return [
        person("ada", joined=T - days(400)),
        person("bruno", joined=T - days(400)),
        person("chloe", joined=T - days(60)),
        person("dmitri", joined=T - days(60) + SECOND),
        person("eva", joined=T - days(400)),
        person("fatou", joined=T - days(400)),
        person("gus", joined=T - days(400), bot=True),
        person("hana", joined=T - days(5)),
        person("ines", joined=T - days(400)),
        thread("t1"),
        act(
            "a1", "ada", "post", T - days(60), thread="t1"
        ),  # exactly T - 60 days: outside the window
        act("b1", "bruno", "reply", T - days(60) + SECOND, thread="t1"),  # one second later: inside
        *posts_every(
            "eva", start=T - days(22), gap=days(2), count=5
        ),  # every 2 days, silent 14 days
        act("f1", "fatou", "reply", T - days(100), thread="t1"),
        act("f2", "fatou", "left", T - days(10)),
        act("g1", "gus", "reply", T - days(1), thread="t1"),
        act("h1", "hana", "post", T - days(1), thread="t2"),
        act("i1", "ines", "reaction", T - days(1), thread="t1"),  # a reaction is not a contribution
        act(
            "j1", "jules", "reply", T - days(200), thread="t1"
        ),  # no member record: first seen T - 200 days
        act("j2", "jules", "comment", T - days(90), thread="t1"),
    ]


def names(rows: list[store.MemberRow]) -> list[str]:
    return [row.member.external_id for row in rows]


def inactive(
    engine: Engine,
    community: Community,
    *,
    as_of: datetime = T,
    days_: int = N,
    method: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[str]]:
    with engine.connect() as conn:
        total, rows = store.get_inactive_members(
            conn,
            community.id,
            as_of=as_of,
            days=days_,
            lifecycle=get_lifecycle_settings(community),
            limit=limit,
            offset=offset,
            method=method,
        )
    return total, names(rows)


METHODS = (store.ROLLUPS, store.ACTIVITIES, store.PYTHON)


def test_the_inactive_list_is_exact_at_the_boundaries(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    # ada's last post is exactly T - 60 days; chloe joined exactly then; jules was last seen T - 90 days.
    # Contributors first (most recently silent first), then those who never contributed, by member number.
    expected = ["ada", "jules", "chloe", "ines"]
    for method in (None, *METHODS):
        assert inactive(engine, community, method=method) == (4, expected), method


def test_pages_of_the_inactive_list_follow_one_order(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    full = inactive(engine, community)[1]
    for method in METHODS:
        pages = [inactive(engine, community, limit=1, offset=i, method=method)[1] for i in range(5)]
        assert pages == [[full[0]], [full[1]], [full[2]], [full[3]], []]
        assert inactive(engine, community, limit=3, offset=1, method=method)[1] == full[1:4]
        assert inactive(engine, community, limit=2, offset=3, method=method)[1] == full[3:]


def test_states_as_of_t(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    with engine.connect() as conn:
        listing = get_member_list(conn, community, as_of=T)
        past = store.get_member_rows(
            conn,
            community.id,
            as_of=T,
            lifecycle=get_lifecycle_settings(community),
            force_activities=True,
        )
    states = {row.member.external_id: row.state for row in listing.rows}
    assert states == {
        "ada": "inactive",
        "bruno": "active",
        "chloe": "lurker",
        "dmitri": "lurker",
        "eva": "quiet",
        "fatou": "left",
        "hana": "newcomer",
        "ines": "lurker",
        "jules": "inactive",
    }
    assert {
        row.member.external_id: row.state for row in past
    } == states  # gus the bot is never listed


def test_a_past_as_of_is_computed_from_the_activities(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    earlier = T - days(30)
    with engine.connect() as conn:
        assert not store.rollups_answer(
            conn, community.id, earlier, get_lifecycle_settings(community)
        )
        assert store.rollups_answer(conn, community.id, T, get_lifecycle_settings(community))
    # 30 days earlier, N = 30, so the cutoff is T - 60 days: ada's post sits exactly on it (inactive), bruno's
    # reply one second after it (not); chloe joined exactly on it; eva had not started; fatou had not left yet.
    for method in (None, store.ACTIVITIES, store.PYTHON):
        total, found = inactive(engine, community, as_of=earlier, days_=30, method=method)
        assert found == ["ada", "jules", "fatou", "chloe", "eva", "ines"]
        assert total == 6
    with engine.connect() as conn:
        rows = {
            r.member.external_id: r for r in get_member_list(conn, community, as_of=earlier).rows
        }
    assert "hana" not in rows and rows["eva"].facts.contributions == 0
    assert rows["fatou"].state == "inactive"  # she left later, at T - 10 days


def test_every_path_agrees_with_the_oracle(engine: Engine) -> None:
    records = cats()
    community = ingest(engine, records, timezone="UTC")
    oracle = Oracle(records, first_seen=T)
    for as_of_days in (-1, 0, 1, 14, 30, 59.5, 61, 100, 150, 365):
        for n in (0, 7, 30, 60):
            as_of = T - days(as_of_days)
            want = oracle.inactive(as_of, n)
            total, found = inactive(engine, community, as_of=as_of, days_=n)
            assert (total, set(found)) == (len(want), want), (as_of_days, n)
            by_activities = inactive(
                engine, community, as_of=as_of, days_=n, method=store.ACTIVITIES
            )
            assert by_activities == (total, found)
            assert inactive(engine, community, as_of=as_of, days_=n, method=store.PYTHON) == (
                total,
                found,
            )


def test_reactions_count_when_the_community_says_so(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC", settings={"count_reactions": True})
    total, found = inactive(engine, community)
    assert "ines" not in found and total == 3


def test_time_zones_never_shift_a_day(engine: Engine) -> None:
    """Paris moves to summer time on 2025-03-30, inside the window: 60 days before 15 April at midnight in
    Paris is 14 February at midnight in Paris (23:00 UTC), not 22:00 UTC."""
    paris = ZoneInfo("Europe/Paris")
    as_of = parse_instant("2025-04-15", default_tz=paris)
    assert as_of == datetime(2025, 4, 14, 22, tzinfo=UTC)
    late_on_the_13th = datetime(2025, 2, 13, 23, 30, tzinfo=paris)
    early_on_the_14th = datetime(2025, 2, 14, 0, 0, 1, tzinfo=paris)
    records: list[ImportRecord] = [
        person("olga", joined=datetime(2024, 1, 1, tzinfo=UTC)),
        person("pablo", joined=datetime(2024, 1, 1, tzinfo=UTC)),
        act("o1", "olga", "reply", late_on_the_13th),
        act("p1", "pablo", "reply", early_on_the_14th),
        act("z1", "pablo", "reaction", datetime(2025, 6, 1, tzinfo=UTC)),
    ]
    community = ingest(engine, records, timezone="Europe/Paris")
    assert inactive(engine, community, as_of=as_of) == (1, ["olga"])
    assert Oracle(records, first_seen=T).inactive(as_of, 60, paris) == {"olga"}
    later = parse_instant("2025-06-01", default_tz=paris)
    assert set(inactive(engine, community, as_of=later, days_=107)[1]) == {
        "olga"
    }  # rollup path, same rule


def test_segments_of_the_cats(engine: Engine) -> None:
    records = cats()
    community = ingest(engine, records, timezone="UTC")
    with engine.connect() as conn:
        report = get_segments_report(conn, community, as_of=T, window_days=90)
    # in (T - 90 days, T]: eva 5, ada 1, bruno 1, hana 1 (jules's comment at exactly T - 90 days is outside).
    # Population: everyone but gus, the bot (fatou left at T - 10 days, inside the window: she counts).
    assert report.members == 9
    assert report.contributions == 8
    assert report.counts == {LURKERS: 5, OCCASIONAL: 3, HEAVY_CORE: 1}  # eva alone makes 5 of 8
    assert report.contributions_by_segment == {LURKERS: 0, OCCASIONAL: 3, HEAVY_CORE: 5}
    oracle = Oracle(records, first_seen=T)
    assert sum(oracle.window_counts(T, 90).values()) == 8
    assert len(oracle.population(T, T - days(90))) == 9


def test_segment_listing_matches_the_report(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    with engine.connect() as conn:
        core = get_member_list(conn, community, as_of=T, segment=HEAVY_CORE, window_days=90)
        occasional = get_member_list(conn, community, as_of=T, segment=OCCASIONAL, window_days=90)
        lurkers = get_member_list(conn, community, as_of=T, segment=LURKERS, window_days=90)
    assert names(core.rows) == ["eva"]
    assert sorted(names(occasional.rows)) == ["ada", "bruno", "hana"]
    assert sorted(names(lurkers.rows)) == ["chloe", "dmitri", "fatou", "ines", "jules"]


def test_queries_stay_inside_one_community(engine: Engine) -> None:
    community = ingest(engine, cats(), timezone="UTC")
    other = ingest(
        engine,
        [person("ada", joined=T - days(400)), act("x1", "ada", "reply", T - days(1))],
        name="Dogs",
        timezone="UTC",
    )
    assert inactive(engine, community)[1] == ["ada", "jules", "chloe", "ines"]
    assert inactive(engine, other) == (0, [])
    assert set(member_ids(engine, other)) == {"ada"}


def test_a_leave_date_from_the_member_list_counts_too(engine: Engine) -> None:
    community = ingest(
        engine,
        [
            person("kim", joined=T - days(400)),
            person("lou", joined=T - days(400), left=T - days(5)),
        ],
        timezone="UTC",
    )
    assert inactive(engine, community) == (1, ["kim"])
    assert inactive(engine, community, as_of=T - days(6), method=store.ACTIVITIES) == (
        2,
        ["kim", "lou"],
    )
