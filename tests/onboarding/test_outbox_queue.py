"""The outbox as a queue: filtered pages that say how many match, and approve or skip of many messages
at once, checked whole (tending.actions.outbox_queue)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from tending.actions.outbox import do_skip
from tending.actions.outbox_queue import (
    build_outbox_filter,
    do_bulk_outbox,
    get_outbox_listing,
    get_outbox_preview,
)
from tending.errors import ConflictError, NotFoundError, UsageError
from tending.store.outbox import get_message
from tending.store.schema import audit_events

from .story import T0
from .test_outbox import cats, draft


def _audits(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def test_a_filtered_page_says_how_many_match_and_approves_in_bulk(engine: Engine) -> None:
    story = cats(engine)
    ids = [
        draft(engine, story, who, f"welcome:{who}", approved=False, due_offset=n)
        for n, who in enumerate(("ada", "bruno", "chloe"))
    ]
    email = draft(engine, story, "ada", "mail:ada", approved=False, channel="email")
    c = story.community
    with engine.begin() as conn:
        private = build_outbox_filter(conn, c, now=T0, statuses=("drafted",), channels=("private",))
        page = get_outbox_listing(conn, c, private, limit=2)
        assert (page.total, [m.id for m in page.messages]) == (3, [ids[2], ids[1]])
        preview = get_outbox_preview(conn, c, [], "approve", where=private)
        assert preview.by_rule == {"welcome": 3} and preview.members == 3
        before = _audits(engine)
        done = do_bulk_outbox(conn, c, [], "approve", actor="bruno", where=private)
        first = ids[0]
        assert email is not None and first is not None
        approved, untouched = get_message(conn, c.id, first), get_message(conn, c.id, email)
        assert done == ids and approved is not None and approved.status == "approved"
        assert untouched is not None and untouched.status == "drafted"
    assert _audits(engine) == before + 3


@pytest.mark.parametrize("case", ["sent or skipped", "unknown id", "10,000 ids", "unknown verb"])
def test_a_bad_bulk_call_changes_nothing(engine: Engine, case: str) -> None:
    story = cats(engine)
    first = draft(engine, story, "ada", "welcome:ada", approved=False)
    second = draft(engine, story, "bruno", "welcome:bruno", approved=False)
    assert first and second
    c = story.community
    with engine.begin() as conn:
        do_skip(conn, c, second, actor="chloe")
    before = _audits(engine)
    ids, verb, error, text = {
        "sent or skipped": (
            [first, second],
            "approve",
            ConflictError,
            f"message {second} is skipped",
        ),
        "unknown id": ([first, 99_999], "approve", NotFoundError, "has no message 99999"),
        "10,000 ids": (list(range(1, 10_001)), "skip", UsageError, "10000 messages at once"),
        "unknown verb": ([first], "send", UsageError, "'send' is not one of approve, skip"),
    }[case]
    with pytest.raises(error, match=text), engine.begin() as conn:
        do_bulk_outbox(conn, c, ids, verb, actor="bruno")
    with engine.connect() as conn:
        assert get_message(conn, c.id, first).status == "drafted"  # type: ignore[union-attr]
    assert _audits(engine) == before
