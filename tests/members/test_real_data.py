"""Cross-checks on real exports: tending's answers (both paths) equal a plain-Python computation over the raw
activities, at many instants and windows. Skipped with the reason when ../shared/data is absent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from tending.actions.members import get_lifecycle_settings, get_segments_report
from tending.lib.lifecycle import days_before
from tending.models import ActivityRecord
from tending.store import members as store
from tending.timeutil import utcnow
from tests.conftest import shared_data
from tests.members.oracle import Oracle
from tests.members.realdata import read_slack, read_stackexchange
from tests.members.story import ingest


def instants(records: list[Any], step_days: int) -> list[datetime]:
    times = sorted(r.occurred_at for r in records if isinstance(r, ActivityRecord))
    first, last = times[0], times[-1]
    found, at = [], first + timedelta(days=step_days)
    while at < last:
        found.append(at)
        at += timedelta(days=step_days)
    return [*found, last, last + timedelta(days=400)]  # the last two answer from the rollups


def cross_check(
    engine: Engine,
    records: list[Any],
    *,
    name: str,
    timezone: str,
    step_days: int,
    windows: tuple[int, ...],
) -> int:
    community = ingest(engine, records, name=name, timezone=timezone)
    zone = ZoneInfo(timezone)
    oracle = Oracle(records, first_seen=utcnow())
    lifecycle = get_lifecycle_settings(community)
    checked = 0
    with engine.connect() as conn:
        external = {
            m.id: m.external_id
            for m in store.get_members_by_id(
                conn,
                community.id,
                [
                    f.member_id
                    for _, f in store.iter_member_facts(
                        conn, community.id, as_of=utcnow(), lifecycle=lifecycle
                    )
                ],
            ).values()
        }
        for as_of in instants(records, step_days):
            for n in windows:
                want = oracle.inactive(as_of, n, zone)
                answers = []
                for method in (None, store.ACTIVITIES, store.PYTHON):
                    total, rows = store.get_inactive_members(
                        conn, community.id, as_of=as_of, days=n, lifecycle=lifecycle, method=method
                    )
                    assert total == len(want) and {r.member.external_id for r in rows} == want, (
                        as_of,
                        n,
                        method,
                    )
                    answers.append([r.member.id for r in rows])
                assert answers[0] == answers[1] == answers[2]  # the same order too
                report = get_segments_report(conn, community, as_of=as_of, window_days=n)
                counts = store.get_window_counts(
                    conn,
                    community.id,
                    as_of=as_of,
                    window_start=days_before(as_of, n, zone),
                    lifecycle=lifecycle,
                )
                assert {external[m]: c for m, c in counts.items()} == oracle.window_counts(
                    as_of, n, zone
                )
                assert report.members == len(oracle.population(as_of, days_before(as_of, n, zone)))
                checked += 1
    return checked


def test_stackexchange_2018_agrees_with_the_raw_activities(engine: Engine) -> None:
    records = read_stackexchange(shared_data("activity/stackexchange-meta-2018"))
    assert sum(isinstance(r, ActivityRecord) for r in records) > 4000
    checked = cross_check(
        engine,
        records,
        name="History meta",
        timezone="America/New_York",
        step_days=240,
        windows=(30, 90, 365),
    )
    assert checked >= 30


def test_slack_workspace_agrees_with_the_raw_activities(engine: Engine) -> None:
    records = read_slack(
        shared_data("activity/slack-houstondatavis/houstondatavis_slack_export.zip")
    )
    checked = cross_check(
        engine,
        records,
        name="Data viz Houston",
        timezone="America/Chicago",
        step_days=15,
        windows=(7, 30, 60),
    )
    assert checked >= 60


@pytest.mark.parametrize(
    "as_of", [datetime(2018, 9, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC)]
)
def test_states_from_both_paths_agree_on_real_data(engine: Engine, as_of: datetime) -> None:
    records = read_stackexchange(shared_data("activity/stackexchange-meta-2018"))
    community = ingest(engine, records, name="History meta", timezone="UTC")
    lifecycle = get_lifecycle_settings(community)
    with engine.connect() as conn:
        newest = store.get_newest_activity_at(conn, community.id)
        assert newest is not None
        at = max(as_of, newest) if as_of.year == 2018 else as_of
        fast = store.get_member_rows(conn, community.id, as_of=at, lifecycle=lifecycle)
        slow = store.get_member_rows(
            conn, community.id, as_of=at, lifecycle=lifecycle, force_activities=True
        )
    assert [(r.member.id, r.state, r.facts) for r in fast] == [
        (r.member.id, r.state, r.facts) for r in slow
    ]
    assert len({r.state for r in fast}) >= 4
