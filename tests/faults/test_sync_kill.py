"""kill -9 during a sync, then a sync: the same rows and rollups as one clean sync (issue 14, "a cursor
never moves past data that was not stored"; issue 15's fault suite, "kills during import, sync and send").
The forum answers as docs.discourse.org shows (tests/connectors/forum.py); the killed sync runs in a child
process. Prints what it checks: rows stored when killed, duplicates and losses after the resumed sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync
from tending.connectors.base import Backoff
from tests.connectors.forum import Forum, serving

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)
TOPICS, POSTS = 100, 30

CHILD = """
import sys
from tending.actions.connectors import do_sync
from tending.store import open_store
do_sync(open_store(sys.argv[1]), community_name="Killed")
"""


def figures(engine: Engine, community: str) -> tuple[int, ...]:
    with engine.connect() as conn:
        cid = conn.execute(
            text("SELECT id FROM communities WHERE name = :n"), {"n": community}
        ).scalar_one()
        return tuple(
            int(conn.execute(text(sql), {"c": cid}).scalar_one() or 0)
            for sql in (
                "SELECT count(*) FROM activities WHERE community_id = :c",
                "SELECT count(DISTINCT source_id) FROM activities WHERE community_id = :c",
                "SELECT count(*) FROM members WHERE community_id = :c",
                "SELECT count(*) FROM threads WHERE community_id = :c",
                "SELECT count(*) FROM activities WHERE community_id = :c AND parent_id IS NOT NULL",
                "SELECT sum(contributions) FROM member_stats WHERE community_id = :c",
                "SELECT sum(replies) FROM member_stats WHERE community_id = :c",
            )
        )


def test_a_sync_killed_half_way_then_resumed_equals_one_clean_sync(
    engine: Engine, db_url: str
) -> None:
    forum = Forum()
    for number in range(TOPICS):
        forum.new_topic(f"Topic {number}", user=number % 5)
    for _ in range(
        POSTS - 1
    ):  # replies round after round: every topic's posts interleave with the others'
        for topic_id in forum.topics:
            forum.post(topic_id, user=topic_id % 5)
    held = (
        40 + 80
    )  # the 80th topic by activity: after the first step of about 2,000 records was stored
    forum.hold[f"/t/{held}.json"] = threading.Event()
    forum.reached[f"/t/{held}.json"] = threading.Event()
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Killed", fields={}, backoff=FAST)
        do_connect(engine, "discourse", url, community_name="Clean", fields={}, backoff=FAST)
        child = subprocess.Popen([sys.executable, "-c", CHILD, db_url], env={**os.environ})
        try:
            assert forum.reached[f"/t/{held}.json"].wait(120), (
                "the child never reached the held topic"
            )
            partial = figures(engine, "Killed")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(30)
        forum.hold[f"/t/{held}.json"].set()
        assert 0 < partial[0] < TOPICS * POSTS, partial
        results = do_sync(engine, backoff=FAST)
        again = do_sync(engine, community_name="Killed", backoff=FAST)
    assert all(r.ok for r in results)
    killed, clean = figures(engine, "Killed"), figures(engine, "Clean")
    print(
        f"sync killed with {partial[0]} of {TOPICS * POSTS} posts stored; after the resumed sync: "
        f"{killed[0] - killed[1]} duplicates, {clean[0] - killed[0]} losses, rollups equal: {killed == clean}"
    )
    assert killed == clean
    assert figures(engine, "Clean")[:4] == (TOPICS * POSTS, TOPICS * POSTS, 5, TOPICS)
    assert again[0].counts.activities_added == 0 and again[0].requests == 1
