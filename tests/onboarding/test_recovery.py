"""Recovery after a crash honours what was recorded: a recipient recorded as sent is neither resent nor
counted as unknown (issue 15, defect 3)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from tending.actions.outbox import (
    SENDING_LEASE,
    claim_due,
    do_draft_message,
    do_mark_recipient_sent,
    do_recover_stale,
)
from tending.store.outbox import get_message, get_recipients

from .story import T0, Story, ingest, person

LATER = T0 + SENDING_LEASE + timedelta(seconds=1)


def _group_email(engine: Engine) -> tuple[Story, int]:
    story = ingest(engine, [person(n, joined=T0) for n in ("ada", "bruno", "chloe")])
    with engine.begin() as conn:
        message_id = do_draft_message(
            conn,
            story.community,
            member_ids=[story["ada"], story["bruno"]],
            rule="welcome",
            channel="email",
            body="Welcome!",
            due_at=T0,
            key="welcome:group",
            approved=True,
        )
    assert message_id is not None
    return story, message_id


def _crash_after_recording(engine: Engine, story: Story, message_id: int, who: list[str]) -> None:
    with engine.begin() as conn:
        (claimed,) = claim_due(conn, story.community, now=T0)
        for name in who:
            do_mark_recipient_sent(conn, story.community, claimed, story[name], now=T0)


def test_every_recipient_recorded_means_sent(engine: Engine) -> None:
    story, message_id = _group_email(engine)
    _crash_after_recording(
        engine, story, message_id, ["ada", "bruno"]
    )  # dies before recording the row
    with engine.begin() as conn:
        (recovered,) = do_recover_stale(
            conn, story.community, now=LATER, is_idempotent=lambda m: False
        )
        after = get_message(conn, story.community.id, message_id)
    assert recovered.id == message_id
    assert after is not None and (after.status, after.needs_check) == ("sent", False)


def test_some_recipients_recorded_are_named_and_kept(engine: Engine) -> None:
    story, message_id = _group_email(engine)
    _crash_after_recording(engine, story, message_id, ["ada"])  # dies while sending to bruno
    with engine.begin() as conn:
        do_recover_stale(conn, story.community, now=LATER, is_idempotent=lambda m: False)
        after = get_message(conn, story.community.id, message_id)
        recipients = get_recipients(conn, story.community.id, message_id)
    assert after is not None and (after.status, after.needs_check) == ("failed", True)
    assert (
        after.last_error is not None
        and "(1 of 2 recipients are recorded as sent" in after.last_error
    )
    assert [(r.member_id, r.sent_at) for r in recipients] == [
        (story["ada"], T0),
        (story["bruno"], None),
    ]
