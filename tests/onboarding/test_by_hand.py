"""Posted by hand: on a platform tending cannot post to, a moderator copies a drafted message, posts it
and records it; it then counts as sent, for the holdout report as for the member's timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tending.actions.members import do_set_do_not_contact
from tending.actions.onboarding import do_enable_playbook, do_run_playbook
from tending.actions.outbox import BY_HAND, do_mark_posted_by_hand
from tending.errors import UsageError
from tending.playbooks import parse_playbook
from tending.playbooks.render import Templates
from tending.playbooks.report import holdout_report
from tending.store import open_store
from tending.store.outbox import get_message, list_messages
from tending.store.schema import audit_events
from tests.conftest import CliResult

from .story import T0, act, ingest, person

PLAYBOOK = """
rules:
  - name: welcome
    trigger: member_joined
    holdout: 0.5
    actions: [{draft_message: welcome, channel: private}]
"""


def test_messages_posted_by_hand_count_as_sent_in_the_holdout_report(engine: Engine) -> None:
    joined = T0 + timedelta(hours=1)
    story = ingest(engine, [person(f"m{i:02d}", joined=joined) for i in range(20)])
    playbook = parse_playbook(PLAYBOOK)
    with engine.begin() as conn:
        do_enable_playbook(conn, story.community, playbook, since=T0, actor="lea")
        do_run_playbook(conn, story.community, now=joined, templates=Templates())
        drafted = [m for m in list_messages(conn, story.community.id) if m.status == "drafted"]
        assert drafted
        for message in drafted:
            done = do_mark_posted_by_hand(
                conn, story.community, message.id, actor="lea", now=joined
            )
            assert (done.status, done.external_ref, done.sent_at) == ("sent", BY_HAND, joined)
        posted = sorted(m.member_ids[0] for m in drafted)
    names = {v: k for k, v in story.ids.items()}
    ingest(
        engine,
        [
            act(f"a{i}", names[m], "post", joined + timedelta(days=2))
            for i, m in enumerate(posted[:3])
        ],
    )
    with engine.connect() as conn:
        (report,) = holdout_report(conn, story.community, playbook, now=joined + timedelta(days=30))
        actions = [
            row.action
            for row in conn.execute(
                select(audit_events.c.action).where(audit_events.c.action.like("outbox.%"))
            )
        ]
    assert (report.messaged.members, report.messaged.contributed) == (len(posted), 3)
    assert actions.count("outbox.posted_by_hand") == len(posted)


def test_a_member_who_may_not_be_contacted_is_never_posted_to_by_hand(engine: Engine) -> None:
    story = ingest(engine, [person("ada", joined=T0)])
    from tending.actions.outbox import do_draft_message, do_skip

    with engine.begin() as conn:
        message_id = do_draft_message(
            conn,
            story.community,
            member_ids=[story["ada"]],
            rule="welcome",
            channel="private",
            body="Welcome Ada",
            due_at=T0,
            key="w:ada",
        )
        assert message_id is not None
        do_set_do_not_contact(conn, story.community, story["ada"], True, actor="lea", now=T0)
    with engine.begin() as conn, pytest.raises(UsageError) as refused:
        do_mark_posted_by_hand(conn, story.community, message_id, actor="lea", now=T0)
    assert "may not be contacted (do-not-contact or left): skip it instead" in str(refused.value)
    with engine.begin() as conn:
        assert get_message(conn, story.community.id, message_id).status == "drafted"  # type: ignore[union-attr]
        do_skip(conn, story.community, message_id, actor="lea", reason="human")
    with engine.begin() as conn, pytest.raises(UsageError) as again:
        do_mark_posted_by_hand(conn, story.community, message_id, actor="lea", now=T0)
    assert (
        str(again.value)
        == f"message {message_id} is skipped: it cannot be marked as posted by hand."
    )


def test_mark_sent_by_hand_on_the_command_line(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    db = tmp_path / "t.db"
    engine = open_store(f"sqlite:///{db}")
    story = ingest(engine, [person("ada", joined=T0)], platform="facebook")
    from tending.actions.outbox import do_draft_message

    with engine.begin() as conn:
        post = do_draft_message(
            conn,
            story.community,
            member_ids=[],
            rule="weekly_welcome",
            channel="post",
            body="Welcome to this week's newcomers",
            due_at=T0,
            key="weekly:1",
        )
    engine.dispose()
    plain = run_cli("--db", str(db), "outbox", "mark-sent", str(post))
    assert plain.exit_code == 2
    assert f"message {post} is drafted: it cannot be marked as sent by hand." in plain.stderr
    done = run_cli("--db", str(db), "outbox", "mark-sent", str(post), "--by-hand")
    assert done.exit_code == 0 and done.stdout == f"Message {post} recorded as posted by hand.\n"
    twice = run_cli("--db", str(db), "outbox", "mark-sent", str(post), "--by-hand")
    assert twice.exit_code == 2 and "is sent: it cannot be marked as posted by hand" in twice.stderr
