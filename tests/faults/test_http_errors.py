"""A platform that answers 500 (issue 15's fault suite: "a server that answers 500 or hangs"): Discord's
webhook, answering as discord.com/developers/docs/resources/webhook#execute-webhook shows when it is well
(tests/delivery/test_http_platforms.py), and 500 while it is not. The worker's tick ends normally, the post
stays queued with a retry time and the error, and once the platform is well again it goes out exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from tending.actions.worker import WorkerLoop
from tending.timeutil import utcnow
from tests.delivery.common import approved, deliver, message, people
from tests.delivery.servers import Request, http_server
from tests.delivery.test_http_platforms import WEBHOOK_PATH, discord, discord_answer


def broken(request: Request) -> tuple[int, Any]:
    return 500, {"message": "Internal Server Error"}


def test_a_platform_answering_500_keeps_the_post_queued_then_sends_it_once(
    sqlite_engine: Engine,
) -> None:
    story = people(sqlite_engine)
    post = approved(sqlite_engine, story, channel="post", who=["ada"], body="Bienvenue Ada !")
    with http_server(broken) as api:
        loop = WorkerLoop(
            sqlite_engine, discord(api.url), interval=1, community_name=None, templates=None
        )
        assert loop.tick_once() == 1  # the tick ended normally: no backoff, the worker goes on
        assert len(api.requests) == 1
    after = message(sqlite_engine, story, post)
    print(
        f"\nplatform answering 500: {after.status}, attempts {after.attempts}, error {after.last_error!r}"
    )
    assert after.status == "approved" and after.attempts == 1 and not after.needs_check
    assert after.next_attempt_at is not None  # a retry time: the next ticks leave it until then
    assert (
        after.last_error is not None
        and "500" in after.last_error
        and "t0ken" not in after.last_error
    )
    with http_server(discord_answer()) as api:
        counts = deliver(sqlite_engine, story, discord(api.url), now=utcnow() + timedelta(days=1))
    sent = [r for r in api.requests if r.path == WEBHOOK_PATH]
    print(f"after recovery: {counts.sent} sent, {len(sent) - 1} duplicates")
    assert counts.sent == 1 and len(sent) == 1 and sent[0].body["content"] == "Bienvenue Ada !"
    assert message(sqlite_engine, story, post).status == "sent"
