"""The health report, cross-checked against a plain computation over the raw records (tests/health/oracle.py)
on a generated community and on a real Stack Exchange dump, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tending.models import ActivityRecord, Community, MemberRecord, ThreadRecord
from tending.store.communities import do_create_community
from tending.store.health import get_health_report
from tests.cast import act as cast_act
from tests.cast import build
from tests.conftest import shared_data
from tests.health.oracle import expected_report

T = datetime(2025, 6, 15, 13, 45, 7, tzinfo=UTC)
KEYS = [
    "members_total",
    "new_members",
    "members_left",
    "active_contributors",
    "contributions",
    "daily_contributors_mean",
    "daily_to_monthly_contributors",
    "reads",
    "activation_rate_7d",
    "activation_rate_30d",
    "activation_cohort_7d",
    "activation_cohort_30d",
    "threads_started",
    "time_to_first_response_hours",
    "unanswered_threads",
    "member_started_threads_share",
    "gini",
    "segments",
    "retention",
    "funnel",
]


def act(
    sid: str, who: str, kind: str, at: datetime, thread: str | None = None, **extra: Any
) -> ActivityRecord:
    return cast_act(sid, who, kind, at, thread_external_id=thread, **extra)


def random_community(seed: int, *, members: int = 90, threads: int = 260) -> list:
    """A forum over 20 months around T: staff, bots, exact and inferred join dates, leavers, threads with
    replies by people and bots, comments, reactions, read counts, and activity after T that must not count."""
    rng = random.Random(seed)
    begin = T - timedelta(days=520)
    span = (T + timedelta(days=25) - begin).total_seconds()
    records: list = []
    people = [f"m{i}" for i in range(members)]
    staff = set(people[:4])
    bots = set(people[4:6])
    joined: dict[str, datetime] = {}
    left: dict[str, datetime] = {}
    for who in people:
        at = begin if who in staff else begin + timedelta(seconds=rng.random() * span * 0.95)
        joined[who] = at
        if rng.random() < 0.6:
            records.append(
                MemberRecord(
                    source="forum",
                    external_id=who,
                    joined_at=at,
                    is_staff=who in staff,
                    is_bot=who in bots,
                )
            )
        else:
            records.append(
                MemberRecord(
                    source="forum", external_id=who, is_staff=who in staff, is_bot=who in bots
                )
            )
            records.append(
                act(f"j-{who}", who, "joined", at)
                if rng.random() < 0.5
                else act(f"r0-{who}", who, "reaction", at)
            )
        if who not in staff and rng.random() < 0.12:
            left[who] = at + timedelta(days=rng.uniform(1, 200))
    records.append(
        MemberRecord(source="forum", external_id="ghost")
    )  # listed, never seen: no join date

    def can_act(who: str, at: datetime) -> bool:
        return joined[who] <= at and (who not in left or at < left[who])

    n = 0
    for t in range(threads):
        start = begin + timedelta(seconds=rng.random() * span)
        authors = [p for p in people if can_act(p, start)]
        if not authors:
            continue
        author = rng.choice(authors)
        extra = {"reads": rng.randint(0, 50)} if rng.random() < 0.5 else None
        records.append(ThreadRecord(source="forum", external_id=f"t{t}", title=f"thread {t}"))
        records.append(act(f"p{t}", author, "post", start, f"t{t}", extra=extra))
        at = start
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            at += timedelta(minutes=rng.expovariate(1 / 600))
            who = rng.choice(people)
            if not can_act(who, at):
                continue
            n += 1
            kind = rng.choice(["reply", "reply", "comment", "reaction"])
            records.append(act(f"a{n}", who, kind, at, f"t{t}"))
    for who, at in left.items():
        records.append(act(f"l-{who}", who, "left", at))
    # exact boundaries: T itself counts, a microsecond later does not; the window start does not count
    records.append(act("edge-in", "m0", "reply", T, "t1"))
    records.append(act("edge-out", "m1", "reply", T + timedelta(microseconds=1), "t1"))
    records.append(act("edge-start", "m2", "comment", T - timedelta(days=28), "t2"))
    return records


def load(engine: Engine, records: list, name: str = "Forum") -> Community:
    # several batches, so rollups are merged across batches as in a real import
    return build(engine, records, name=name, timezone="UTC", batch_size=97).community


def report(engine: Engine, community: Community, as_of: datetime, window_days: int) -> dict:
    """The report as a plain dict, to compare with the oracle's key by key."""
    with engine.connect() as conn:
        return dict(get_health_report(conn, community, as_of=as_of, window_days=window_days))


def assert_same(got: dict, want: dict) -> None:
    for key in KEYS:
        try:
            _close(got[key], want[key])
        except AssertionError as error:
            raise AssertionError(f"{key}: {error}") from None


def _close(got: object, want: object) -> bool:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (got, want)
        return all(_close(got[k], want[k]) for k in want)
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        return all(_close(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, float) or isinstance(got, float):
        assert got == pytest.approx(want, abs=1e-9), (got, want)
        return True
    assert got == want, (got, want)
    return True


@pytest.mark.parametrize("seed", [1, 2])
def test_report_matches_a_plain_computation_on_a_generated_community(
    engine: Engine, seed: int
) -> None:
    records = random_community(seed)
    community = load(engine, records)
    for as_of, window in [
        (T, 28),
        (T - timedelta(days=61, hours=5), 90),
        (T + timedelta(days=40), 7),
        (datetime(2025, 3, 1, tzinfo=UTC), 28),
    ]:
        got = report(engine, community, as_of, window)
        want = expected_report(records, as_of=as_of, window_days=window)
        assert_same(got, want)
    # the story is not empty: the comparison compared something
    got = report(engine, community, T, 90)
    assert (
        got["active_contributors"] > 5
        and got["threads_started"] > 5
        and got["unanswered_threads"] > 0
    )
    assert got["time_to_first_response_hours"]["answered"] > 3 and got["reads"] is not None
    assert any(c["members"] for c in got["retention"]) and got["funnel"]["joined"] > 0


def test_nothing_after_as_of_counts_and_the_window_start_is_excluded(engine: Engine) -> None:
    start = T - timedelta(days=28)
    records = [
        MemberRecord(source="forum", external_id="ada", joined_at=T - timedelta(days=100)),
        MemberRecord(source="forum", external_id="bruno", joined_at=T - timedelta(days=100)),
        MemberRecord(source="forum", external_id="chloe", joined_at=T - timedelta(days=100)),
        MemberRecord(source="forum", external_id="dan", joined_at=T),  # joins at T: counts
        MemberRecord(
            source="forum", external_id="eve", joined_at=T + timedelta(microseconds=1)
        ),  # not yet
        ThreadRecord(source="forum", external_id="t1"),
        act("p1", "ada", "post", start, "t1"),  # exactly T - 28 days: outside
        act("p2", "bruno", "reply", start + timedelta(microseconds=1), "t1"),  # inside
        act("p3", "chloe", "comment", T, "t1"),  # exactly T: inside
        act("p4", "ada", "reply", T + timedelta(microseconds=1), "t1"),  # after T: outside
    ]
    community = load(engine, records)
    got = report(engine, community, T, 28)
    assert got["members_total"] == 4 and got["new_members"] == 1
    assert got["active_contributors"] == 2 and got["contributions"] == 2
    assert got["threads_started"] == 0  # t1 started exactly at the window start
    assert_same(got, expected_report(records, as_of=T, window_days=28))
    # a window ending at midnight and shorter than a day takes every path of the day arithmetic
    for as_of, days in [(datetime(2025, 6, 15, tzinfo=UTC), 1), (T, 1), (T + timedelta(days=1), 2)]:
        assert_same(
            report(engine, community, as_of, days),
            expected_report(records, as_of=as_of, window_days=days),
        )


def test_a_community_with_nothing_yet_reports_nulls_not_errors(engine: Engine) -> None:
    with engine.begin() as conn:
        community = do_create_community(conn, "Empty", platform="forum")
    got = report(engine, community, T, 28)
    assert got["members_total"] == 0 and got["active_contributors"] == 0
    assert got["gini"] is None and got["activation_rate_7d"] is None
    assert got["time_to_first_response_hours"] == {"median": None, "mean": None, "answered": 0}


# -- real data: a Stack Exchange data dump -----------------------------------------------------------------


def _se_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def stackexchange_records(folder: Path) -> list:
    """A minimal Stack Exchange loader: users (join dates; the Community user -1 is a bot), questions
    (threads and their first post), answers (replies), comments."""
    records: list = []
    for _, row in ET.iterparse(folder / "Users.xml"):
        if row.tag == "row":
            records.append(
                MemberRecord(
                    source="se",
                    external_id=row.get("Id", ""),
                    is_bot=row.get("Id") == "-1",
                    joined_at=_se_time(row.get("CreationDate", "")),
                )
            )
    thread_of: dict[str, str] = {}
    posts = []
    for _, row in ET.iterparse(folder / "Posts.xml"):
        if row.tag == "row" and row.get("OwnerUserId"):
            posts.append(dict(row.attrib))
    for p in posts:
        if p["PostTypeId"] == "1":
            thread_of[p["Id"]] = p["Id"]
    for p in posts:
        if p["PostTypeId"] == "2" and p.get("ParentId") in thread_of:
            thread_of[p["Id"]] = p["ParentId"]
    for p in posts:
        if p["Id"] not in thread_of:
            continue
        kind = "post" if p["PostTypeId"] == "1" else "reply"
        if kind == "post":
            records.append(ThreadRecord(source="se", external_id=p["Id"]))
        records.append(
            ActivityRecord(
                source="se",
                source_id=f"p{p['Id']}",
                member_external_id=p["OwnerUserId"],
                kind=kind,
                occurred_at=_se_time(p["CreationDate"]),
                thread_external_id=thread_of[p["Id"]],
            )
        )
    for _, row in ET.iterparse(folder / "Comments.xml"):
        if row.tag == "row" and row.get("UserId") and row.get("PostId") in thread_of:
            records.append(
                ActivityRecord(
                    source="se",
                    source_id=f"c{row.get('Id')}",
                    member_external_id=row.get("UserId", ""),
                    kind="comment",
                    occurred_at=_se_time(row.get("CreationDate", "")),
                    thread_external_id=thread_of[row.get("PostId", "")],
                )
            )
    return records


def test_report_matches_a_plain_computation_on_a_real_stack_exchange_dump(engine: Engine) -> None:
    records = stackexchange_records(shared_data("activity/stackexchange-meta-2018"))
    community = load(engine, records, name="History meta")
    for as_of, window in [
        (datetime(2013, 3, 1, 12, tzinfo=UTC), 28),
        (datetime(2016, 7, 4, tzinfo=UTC), 90),
        (datetime(2018, 9, 30, tzinfo=UTC), 365),
    ]:
        got = report(engine, community, as_of, window)
        want = expected_report(records, as_of=as_of, window_days=window)
        assert_same(got, want)
        assert got["active_contributors"] > 0 and got["threads_started"] > 0
