"""The outbox: a message is drafted once per key, claimed by one worker, retried with backoff, and lands
in the member's timeline when sent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from tending.actions.outbox import (
    BACKOFF,
    MAX_ATTEMPTS,
    SENDING_LEASE,
    claim_due,
    do_approve,
    do_confirm_sent,
    do_draft_message,
    do_edit,
    do_mark_failed,
    do_mark_sent,
    do_recover_stale,
    do_skip,
)
from tending.errors import UsageError
from tending.store.audit import get_events
from tending.store.ingest import do_recompute_member_stats
from tending.store.outbox import get_message, get_recipients, list_messages
from tending.store.schema import activities, member_stats

from .story import T0, Story, act, ingest, person


def cats(engine: Engine) -> Story:
    return ingest(
        engine,
        [
            person("ada", joined=T0),
            person("bruno", joined=T0),
            person("chloe", joined=T0),
            act("p1", "ada", "post", T0 + timedelta(hours=1)),
        ],
    )


def draft(
    engine: Engine,
    story: Story,
    who: str,
    key: str,
    *,
    approved: bool = True,
    due_offset: int = 0,
    channel: str = "private",
) -> int | None:
    with engine.begin() as conn:
        return do_draft_message(
            conn,
            story.community,
            member_ids=[story[who]],
            rule="welcome",
            channel=channel,
            body=f"Welcome, {who}!",
            due_at=T0 + timedelta(minutes=due_offset),
            key=key,
            approved=approved,
        )


def test_a_key_is_drafted_once(engine: Engine) -> None:
    story = cats(engine)
    first = draft(engine, story, "ada", "welcome:ada")
    again = draft(engine, story, "ada", "welcome:ada")
    assert first is not None and again is None
    with engine.connect() as conn:
        rows = list_messages(conn, story.community.id)
        assert [(m.key, m.member_ids, m.status) for m in rows] == [
            ("welcome:ada", [story["ada"]], "approved")
        ]
        events = get_events(conn, story.community.id, member_id=story["ada"])
        assert [e["action"] for e in events] == ["outbox.drafted"]
        assert "Welcome" not in str(events[0]["details"])  # the body is never in the audit log


def test_a_human_approves_edits_and_skips(engine: Engine) -> None:
    story = cats(engine)
    ada = draft(engine, story, "ada", "k:ada", approved=False)
    bruno = draft(engine, story, "bruno", "k:bruno", approved=False)
    assert ada is not None and bruno is not None
    with engine.begin() as conn:
        edited = do_edit(conn, story.community, ada, actor="lea", body="Bienvenue, Ada !")
        assert edited.body == "Bienvenue, Ada !" and edited.status == "drafted"
        assert do_approve(conn, story.community, ada, actor="lea").status == "approved"
        skipped = do_skip(conn, story.community, bruno, actor="lea")
        assert (skipped.status, skipped.skip_reason) == ("skipped", "human")
        with pytest.raises(UsageError, match="is skipped"):
            do_approve(conn, story.community, bruno, actor="lea")
        with pytest.raises(UsageError, match="no message 999"):
            do_skip(conn, story.community, 999, actor="lea")


def test_only_approved_due_rows_are_claimed_and_only_once(engine: Engine) -> None:
    story = cats(engine)
    due = draft(engine, story, "ada", "k:ada")
    draft(engine, story, "bruno", "k:bruno", approved=False)  # drafted: waits for a human
    draft(engine, story, "chloe", "k:chloe", due_offset=60)  # due in an hour
    with engine.begin() as conn:
        claimed = claim_due(conn, story.community, now=T0)
    assert [m.id for m in claimed] == [due]
    assert claimed[0].status == "sending" and claimed[0].attempts == 1
    with engine.begin() as conn:
        assert claim_due(conn, story.community, now=T0) == []
        later = claim_due(conn, story.community, now=T0 + timedelta(minutes=60))
    assert [m.key for m in later] == ["k:chloe"]


def test_two_workers_never_claim_the_same_row(engine: Engine) -> None:
    story = ingest(engine, [person(f"member{i}", joined=T0) for i in range(40)])
    with engine.begin() as conn:
        for name, member_id in story.ids.items():
            do_draft_message(
                conn,
                story.community,
                member_ids=[member_id],
                rule="welcome",
                channel="private",
                body="Welcome!",
                due_at=T0,
                key=f"welcome:{name}",
                approved=True,
            )
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        mine: list[int] = []
        barrier.wait()
        while True:
            with engine.begin() as conn:
                batch = claim_due(conn, story.community, now=T0, limit=3)
            if not batch:
                break
            mine.extend(m.id for m in batch)
        claimed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for mine in claimed for i in mine]
    assert len(every) == 40 and len(set(every)) == 40


def test_failed_sends_retry_with_backoff_then_show_the_error(engine: Engine) -> None:
    story = cats(engine)
    message_id = draft(engine, story, "ada", "k:ada")
    assert message_id is not None
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with engine.begin() as conn:
            assert [m.id for m in claim_due(conn, story.community, now=now)] == [message_id]
            after = do_mark_failed(
                conn, story.community, message_id, now=now, error="connection refused"
            )
        assert after.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (
                after.status == "approved" and after.next_attempt_at == now + BACKOFF[attempt - 1]
            )
            with engine.begin() as conn:  # not before its backoff
                assert (
                    claim_due(
                        conn, story.community, now=now + BACKOFF[attempt - 1] - timedelta(seconds=1)
                    )
                    == []
                )
            now = now + BACKOFF[attempt - 1]
    assert (after.status, after.last_error, after.needs_check) == (
        "failed",
        "connection refused",
        False,
    )


def test_a_sent_message_is_in_the_timeline_without_moving_activity(engine: Engine) -> None:
    story = cats(engine)
    message_id = draft(engine, story, "ada", "k:ada")
    assert message_id is not None
    sent_at = T0 + timedelta(days=3)
    with engine.begin() as conn:
        claim_due(conn, story.community, now=sent_at)
        message = do_mark_sent(
            conn, story.community, message_id, now=sent_at, external_ref="$event"
        )
        do_mark_sent(
            conn, story.community, message_id, now=sent_at
        )  # recording twice changes nothing
    assert (message.status, message.sent_at, message.external_ref) == ("sent", sent_at, "$event")
    with engine.begin() as conn:
        timeline = list(
            conn.execute(
                select(activities.c.kind, activities.c.source_id, activities.c.occurred_at).where(
                    activities.c.member_id == story["ada"], activities.c.kind == "message_sent"
                )
            )
        )
        assert timeline == [("message_sent", f"outbox:{message_id}:{story['ada']}", sent_at)]
        assert [r.sent_at for r in get_recipients(conn, story.community.id, message_id)] == [
            sent_at
        ]
        do_recompute_member_stats(conn, story.community.id, [story["ada"]])
        stats = conn.execute(
            select(member_stats).where(member_stats.c.member_id == story["ada"])
        ).one()
        assert stats.last_activity_at == T0 + timedelta(hours=1)  # her post, not our message


def test_a_crash_mid_send_is_never_silently_resent(engine: Engine) -> None:
    story = cats(engine)
    email_id = draft(engine, story, "ada", "k:ada", channel="email")
    matrix_id = draft(engine, story, "bruno", "k:bruno", channel="private")
    assert email_id is not None and matrix_id is not None
    with engine.begin() as conn:
        assert len(claim_due(conn, story.community, now=T0)) == 2
    # the worker dies here; a later tick finds both rows still `sending`
    with engine.begin() as conn:
        assert (
            do_recover_stale(
                conn,
                story.community,
                now=T0 + timedelta(minutes=1),
                is_idempotent=lambda m: m.channel == "private",
            )
            == []
        )  # within the lease
        recovered = do_recover_stale(
            conn,
            story.community,
            now=T0 + SENDING_LEASE + timedelta(seconds=1),
            is_idempotent=lambda m: m.channel == "private",
        )
        assert sorted(m.id for m in recovered) == sorted([email_id, matrix_id])
        email = get_message(conn, story.community.id, email_id)
        matrix = get_message(conn, story.community.id, matrix_id)
    assert email is not None and (email.status, email.needs_check) == ("failed", True)
    assert matrix is not None and (matrix.status, matrix.needs_check) == ("approved", False)
    with engine.begin() as conn:
        later = T0 + SENDING_LEASE * 2
        assert [m.id for m in claim_due(conn, story.community, now=later)] == [matrix_id]
        confirmed = do_confirm_sent(conn, story.community, email_id, actor="lea", now=later)
    assert (confirmed.status, confirmed.needs_check) == ("sent", False)
