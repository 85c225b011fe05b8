"""Do-not-contact on public posts: the weekly welcome, checked again when it goes out, never names a member who
asked not to be contacted or who left since it was drafted (a real HTTP server stands in for Discord)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from tending.actions.outbox import do_draft_message
from tending.store.outbox import OutboxMessage, list_messages
from tending.store.schema import audit_events, members
from tests.delivery.common import deliver
from tests.delivery.servers import http_server
from tests.delivery.test_http_platforms import discord, discord_answer
from tests.onboarding.story import Story, ingest, person
from tests.onboarding.test_playbooks import enable, run

WEEK_END = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # Sunday 18:00 in Paris
WEEKLY = """
rules:
  - name: weekly_welcome
    trigger: weekly
    day: sunday
    time: "18:00"
    actions:
      - {draft_message: weekly_welcome, channel: post, approve: true}
"""


def three_joiners(engine: Engine) -> Story:
    joined = WEEK_END - timedelta(days=3)
    story = ingest(
        engine,
        [
            person("ada", joined=joined),
            person("bruno", joined=joined + timedelta(hours=1)),
            person("chloe", joined=joined + timedelta(hours=2)),
        ],
    )
    enable(engine, story, WEEKLY, since=WEEK_END - timedelta(days=10))
    assert run(engine, story, WEEK_END + timedelta(minutes=1))["approved"] == 1
    return story


def set_member(engine: Engine, story: Story, name: str, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(members.update().where(members.c.id == story[name]).values(**values))


def the_post(engine: Engine, story: Story) -> OutboxMessage:
    with engine.connect() as conn:
        (post,) = list_messages(conn, story.community.id)
    return post


def test_the_weekly_welcome_goes_out_without_who_may_not_be_named(engine: Engine) -> None:
    story = three_joiners(engine)
    assert (
        "- Bruno" in the_post(engine, story).body
        and "3 new members" in the_post(engine, story).body
    )
    set_member(engine, story, "bruno", do_not_contact=True)
    set_member(engine, story, "chloe", left_at=WEEK_END)  # left after the post was drafted
    with http_server(discord_answer()) as api:
        assert (
            deliver(engine, story, discord(api.url), now=WEEK_END + timedelta(minutes=5)).sent == 1
        )
    (request,) = api.requests
    content = request.body["content"]
    assert "- Ada" in content and "Bruno" not in content and "Chloe" not in content
    assert "1 new member joined" in content
    post = the_post(engine, story)
    assert post.status == "sent" and post.member_ids == [story["ada"]] and post.body == content


def test_a_welcome_with_nobody_left_to_name_is_held(engine: Engine) -> None:
    story = three_joiners(engine)
    for name in ("ada", "bruno", "chloe"):
        set_member(engine, story, name, do_not_contact=True)
    with http_server(discord_answer()) as api:
        counts = deliver(engine, story, discord(api.url), now=WEEK_END + timedelta(minutes=5))
    assert api.requests == [] and counts.skipped == 1 and counts.sent == 0
    post = the_post(engine, story)
    assert (post.status, post.skip_reason) == ("skipped", "nobody_left_to_name")


def test_a_hand_written_post_naming_a_do_not_contact_member_goes_back_to_a_human(
    engine: Engine,
) -> None:
    story = three_joiners(engine)
    with engine.begin() as conn:
        written = do_draft_message(
            conn,
            story.community,
            member_ids=[story["ada"], story["bruno"]],
            rule="manual",
            channel="post",
            body="Thanks Ada and Bruno!",
            due_at=WEEK_END,
            key="manual:1",
            approved=True,
        )
    set_member(engine, story, "bruno", do_not_contact=True)
    with http_server(discord_answer()) as api:
        deliver(engine, story, discord(api.url), now=WEEK_END + timedelta(minutes=5))
    assert all("Thanks Ada and Bruno" not in r.body["content"] for r in api.requests)
    with engine.connect() as conn:
        (manual,) = [m for m in list_messages(conn, story.community.id) if m.id == written]
        held = conn.execute(
            select(audit_events.c.action).where(audit_events.c.action == "outbox.held")
        ).all()
    assert (
        manual.status == "drafted"
        and "may no longer be named" in (manual.last_error or "")
        and held
    )
