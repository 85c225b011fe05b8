"""kill -9 during a discord sync, then a sync: the same rows and rollups as one clean sync (issue 14, "a
cursor never moves past data that was not stored"). The channel answers as Discord's documentation shows
(tests/connectors/discord_api.py); the killed sync runs in a child process, held at a page after its
first step (2,000 messages) was stored. Prints rows stored when killed, duplicates and losses after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import Engine

from tending.actions.connectors import do_connect, do_sync
from tending.connectors.base import Backoff
from tests.connectors.discord_api import CHANNEL, TOKEN, DiscordApi
from tests.connectors.jsonserver import serving
from tests.faults.test_sync_kill import figures

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)
MESSAGES = 5000

CHILD = """
import sys
from tending.actions.connectors import do_sync
from tending.store import open_store
do_sync(open_store(sys.argv[1]), community_name="Killed")
"""


def test_a_discord_sync_killed_half_way_then_resumed_equals_one_clean_sync(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    api = DiscordApi()
    first = api.say("ada", "Bonjour")
    for number in range(MESSAGES - 1):
        api.say(
            ("ada", "bruno", "bot")[number % 3],
            f"message {number}",
            minutes=1,
            reply_to=first if number % 7 == 0 else None,
        )
    with serving(api) as url:
        for community in ("Killed", "Clean"):
            do_connect(
                engine,
                "discord",
                CHANNEL,
                community_name=community,
                fields={"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"},
                backoff=FAST,
            )
        api.requests.clear()
        # the child's requests: the channel, the latest page, then pages forward; the 25th page
        # comes after the first step of 2,000 messages (20 pages) was stored
        api.hold_at = 2 + 25
        child = subprocess.Popen([sys.executable, "-c", CHILD, db_url], env={**os.environ})
        try:
            assert api.reached.wait(120), "the child never reached the held page"
            partial = figures(engine, "Killed")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(30)
        api.hold.set()
        api.hold_at = 0
        assert 0 < partial[0] < MESSAGES, partial
        results = do_sync(engine, backoff=FAST)
        again = do_sync(engine, community_name="Killed", backoff=FAST)
    assert all(r.ok for r in results), [r.reason for r in results]
    killed, clean = figures(engine, "Killed"), figures(engine, "Clean")
    print(
        f"discord sync killed with {partial[0]} of {MESSAGES} messages stored; after the resumed "
        f"sync: {killed[0] - killed[1]} duplicates, {clean[0] - killed[0]} losses, rollups equal: "
        f"{killed == clean}"
    )
    assert killed == clean and clean[0] == MESSAGES
    assert again[0].counts.activities_added == 0 and again[0].requests == 1
