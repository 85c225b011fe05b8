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


@pytest.mark.parametrize("tab", ["pending", "done"])
def test_a_tab_of_the_outbox_page_is_read_in_order_from_its_own_index(
    engine: Engine, tab: str
) -> None:
    """The page's query is planned on the tab's partial index (migration 0019), whatever the order
    of its states: no sort of every drafted message for each page of 50."""
    from sqlalchemy import text

    from tending.store.outbox import DONE_TAB, PENDING_TAB, MessageFilter, message_ids_query

    story = cats(engine)
    statuses = tuple(reversed(PENDING_TAB if tab == "pending" else DONE_TAB))
    query = message_ids_query(story.community.id, MessageFilter(statuses=statuses), limit=50)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # the table is tiny here
        explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in conn.execute(text(explain + sql)))
    assert f"ix_outbox_{tab}" in plan, plan


def test_the_rule_filter_offers_each_rule_once_in_order(engine: Engine) -> None:
    from tending.actions.outbox import do_draft_message
    from tending.actions.outbox_queue import get_outbox_rules

    story = cats(engine)
    with engine.begin() as conn:
        assert get_outbox_rules(conn, story.community) == []
        for n, rule in enumerate(("welcome", "two_months", "welcome", "checkin", "two_months")):
            do_draft_message(
                conn,
                story.community,
                member_ids=[story["ada"]],
                rule=rule,
                channel="private",
                body="Hello",
                due_at=T0,
                key=f"{rule}:{n}",
            )
        assert get_outbox_rules(conn, story.community) == ["checkin", "two_months", "welcome"]
