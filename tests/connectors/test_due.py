"""What `tending worker` syncs at each tick: the connectors whose own interval has passed (default 5
minutes), not the paused ones; a failing one is tried again at its interval. The forum answers as
docs.discourse.org shows (tests/connectors/forum.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tending.actions.connectors import do_connect, do_pause, do_sync_due
from tending.connectors.base import Backoff
from tests.connectors.forum import Forum, serving

FAST = Backoff(attempts=2, base_s=0.001, max_wait_s=0.01)
T = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)


def test_each_connector_is_synced_when_its_interval_has_passed(engine: Engine) -> None:
    cats, dogs, birds = Forum(), Forum(), Forum()
    for forum in (cats, dogs, birds):
        forum.new_topic("Hello", replies=1)
    with serving(cats) as cats_url, serving(dogs) as dogs_url, serving(birds) as birds_url:
        do_connect(engine, "discourse", cats_url, community_name="Cats", fields={}, backoff=FAST)
        do_connect(
            engine,
            "discourse",
            dogs_url,
            community_name="Dogs",
            fields={},
            interval_s=60,
            backoff=FAST,
        )
        paused = do_connect(
            engine, "discourse", birds_url, community_name="Birds", fields={}, backoff=FAST
        )
        do_pause(engine, paused.connector.id)
        first = do_sync_due(engine, now=T, backoff=FAST)
        assert [(r.community, r.counts.activities_added) for r in first] == [
            ("Cats", 2),
            ("Dogs", 2),
        ]
        assert [
            r.community for r in do_sync_due(engine, now=T + timedelta(seconds=59), backoff=FAST)
        ] == []
        assert [
            r.community for r in do_sync_due(engine, now=T + timedelta(seconds=60), backoff=FAST)
        ] == ["Dogs"]
        cats.fail_next("/latest.json", 503, times=2)
        failed = do_sync_due(engine, now=T + timedelta(seconds=300), backoff=FAST)
        assert [(r.community, r.ok) for r in failed] == [("Cats", False), ("Dogs", True)]
        again = do_sync_due(engine, now=T + timedelta(seconds=600), backoff=FAST)
    assert [(r.community, r.ok) for r in again] == [("Cats", True), ("Dogs", True)]
    assert birds.requests == ["/latest.json"]  # the check at connect time only
