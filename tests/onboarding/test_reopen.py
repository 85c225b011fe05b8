"""Undo in the outbox: a person's approval or skip reopened (the messages drafted again), by ids or as
the latest decision of the last hour; never a message sent, being sent, or skipped by tending itself
(tending.actions.outbox_queue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, select

from tending.actions.outbox import claim_due, do_approve, do_mark_sent, do_record_skipped, do_skip
from tending.actions.outbox_queue import (
    do_bulk_outbox,
    do_reopen_messages,
    do_undo_last_outbox_decision,
    get_last_outbox_decision,
)
from tending.errors import ConflictError
from tending.store.outbox import get_message
from tending.store.schema import audit_events

from .story import T0
from .test_outbox import cats, draft

NOW = T0 + timedelta(days=1)


def _status(engine: Engine, community_id: int, message_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        message = get_message(conn, community_id, message_id)
    assert message is not None
    return message.status, message.skip_reason


def _reopened(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.details)
            .where(audit_events.c.action == "outbox.reopened")
            .order_by(audit_events.c.id)
        )
        return [(actor, details) for actor, details in rows]


def test_an_approval_and_a_skip_are_reopened_to_drafted_with_one_audit_row_each(
    engine: Engine,
) -> None:
    story = cats(engine)
    c = story.community
    welcome = draft(engine, story, "ada", "welcome:ada", approved=False)
    hello = draft(engine, story, "bruno", "welcome:bruno", approved=False)
    assert welcome and hello
    with engine.begin() as conn:
        do_approve(conn, c, welcome, actor="chloe", now=NOW)
        do_skip(conn, c, hello, actor="chloe", now=NOW)
        assert do_reopen_messages(conn, c, [welcome, hello], actor="chloe", now=NOW) == [
            welcome,
            hello,
        ]
    assert _status(engine, c.id, welcome) == ("drafted", None)
    assert _status(engine, c.id, hello) == ("drafted", None)
    assert _reopened(engine) == [
        ("chloe", {"outbox_id": welcome, "previous": "approved", "reason": None}),
        ("chloe", {"outbox_id": hello, "previous": "skipped", "reason": None}),
    ]


@pytest.mark.parametrize("case", ["sent", "claimed", "holdout", "drafted"])
def test_a_message_that_cannot_be_reopened_refuses_the_whole_call(
    engine: Engine, case: str
) -> None:
    story = cats(engine)
    c = story.community
    approved = draft(engine, story, "ada", "welcome:ada")
    other = draft(engine, story, "bruno", "welcome:bruno", approved=case != "drafted")
    assert approved and other
    with engine.begin() as conn:
        if case == "sent":
            do_mark_sent(conn, c, other, now=T0)
        elif case == "claimed":
            assert [m.id for m in claim_due(conn, c, now=T0, limit=1)] == [approved]
            approved, other = other, approved
        elif case == "holdout":
            held = do_record_skipped(
                conn,
                c,
                member_ids=[story["chloe"]],
                rule="welcome",
                channel="private",
                due_at=T0,
                key="welcome:chloe",
                reason="holdout",
            )
            assert held
            other = held
    state = {
        "sent": "sent",
        "claimed": "sending",
        "holdout": "skipped by tending (holdout)",
        "drafted": "drafted",
    }[case]
    with pytest.raises(ConflictError) as refused, engine.begin() as conn:
        do_reopen_messages(conn, c, [approved, other], actor="chloe", now=NOW)
    assert str(refused.value) == (
        f"MESSAGE_IDS: message {other} is {state}: it cannot be reopened; nothing was changed."
    )
    assert _status(engine, c.id, approved) == ("approved", None)
    assert _reopened(engine) == []


def test_a_message_claimed_while_being_reopened_rolls_the_whole_call_back(
    engine: Engine,
) -> None:
    story = cats(engine)
    c = story.community
    first = draft(engine, story, "ada", "welcome:ada")
    second = draft(engine, story, "bruno", "welcome:bruno", due_offset=5)
    assert first and second
    claimed: list[int] = []

    def worker_claims_first(conn: Connection, *_args: Any) -> None:
        statement = str(_args[1]) if len(_args) > 1 else ""
        if statement.startswith("UPDATE outbox SET status") and not claimed:
            claimed.append(0)  # the worker's own UPDATE passes through here too
            claimed.extend(m.id for m in claim_due(conn, c, now=T0, limit=1))

    with pytest.raises(ConflictError, match="changed meanwhile"), engine.begin() as conn:
        event.listen(conn, "before_cursor_execute", worker_claims_first)
        do_reopen_messages(conn, c, [first, second], actor="chloe", now=NOW)
    assert claimed == [0, first]
    assert _status(engine, c.id, first) == ("approved", None)  # the claim rolled back with it
    assert _status(engine, c.id, second) == ("approved", None)
    assert _reopened(engine) == []


def test_the_latest_decision_of_the_last_hour_is_undone_whole(engine: Engine) -> None:
    story = cats(engine)
    c = story.community
    ids = [draft(engine, story, w, f"welcome:{w}", approved=False) for w in ("ada", "bruno")]
    lone = draft(engine, story, "chloe", "welcome:chloe", approved=False)
    assert all(ids) and lone
    with engine.begin() as conn:
        do_skip(conn, c, lone, actor="chloe", now=NOW - timedelta(minutes=10))
        do_bulk_outbox(conn, c, [i for i in ids if i], "approve", actor="chloe", now=NOW)
        assert get_last_outbox_decision(conn, c, actor="bruno", now=NOW) is None
        last = get_last_outbox_decision(conn, c, actor="chloe", now=NOW + timedelta(minutes=5))
        assert last is not None and (last.message_ids, last.verb) == (ids, "approve")
        assert (
            get_last_outbox_decision(conn, c, actor="chloe", now=NOW + timedelta(hours=2)) is None
        )
        do_undo_last_outbox_decision(conn, c, actor="chloe", now=NOW + timedelta(minutes=5))
        # the undone approval offers no undo again; the skip before it is reopened by its id
        assert get_last_outbox_decision(conn, c, actor="chloe", now=NOW) is None
        with pytest.raises(ConflictError, match="no approval or skip of yours"):
            do_undo_last_outbox_decision(conn, c, actor="chloe", now=NOW)
    assert [_status(engine, c.id, i)[0] for i in ids if i] == ["drafted", "drafted"]
    assert _status(engine, c.id, lone) == ("skipped", "human")
    assert [d["reason"] for _actor, d in _reopened(engine)] == ["undo", "undo"]
