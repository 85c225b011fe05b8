"""Does the welcome help? The holdout report counts who contributed within 30 days, messaged vs held out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tending.actions.onboarding import do_enable_playbook, do_run_playbook
from tending.actions.outbox import claim_due, do_mark_sent
from tending.lib.proportions import newcombe_difference, wilson_interval
from tending.playbooks import parse_playbook
from tending.playbooks.render import Templates
from tending.playbooks.report import holdout_report
from tending.store.outbox import list_messages

from .story import T0, act, ingest, person

PLAYBOOK = """
rules:
  - name: welcome
    trigger: member_joined
    holdout: 0.5
    actions: [{draft_message: welcome, channel: private, approve: true}]
"""


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17, table II: 56/70 vs 48/80 -> 0.2000 (0.0524 to 0.3339)
    difference, low, high = newcombe_difference(56, 70, 48, 80)  # type: ignore[misc]
    assert (round(difference, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    assert wilson_interval(0, 0) is None and wilson_interval(0, 10) == (
        0.0,
        pytest.approx(0.2775, abs=1e-4),
    )


def test_report_compares_messaged_members_with_the_holdout(engine: Engine) -> None:
    joined = T0 + timedelta(hours=1)
    story = ingest(engine, [person(f"m{i:02d}", joined=joined) for i in range(30)])
    playbook = parse_playbook(PLAYBOOK)
    with engine.begin() as conn:
        do_enable_playbook(conn, story.community, playbook, since=T0, actor="lea")
        do_run_playbook(conn, story.community, now=joined, templates=Templates())
        for message in claim_due(conn, story.community, now=joined, limit=100):
            do_mark_sent(conn, story.community, message.id, now=joined)
        rows = list_messages(conn, story.community.id)
    names = {v: k for k, v in story.ids.items()}
    messaged = sorted(names[m.member_ids[0]] for m in rows if m.status == "sent")
    held = sorted(names[m.member_ids[0]] for m in rows if m.skip_reason == "holdout")
    assert len(messaged) + len(held) == 30 and messaged and held
    records = [
        act(f"a{i}", who, "post", joined + timedelta(days=3)) for i, who in enumerate(messaged[:6])
    ]
    records += [
        act(f"b{i}", who, "reply", joined + timedelta(days=20)) for i, who in enumerate(held[:2])
    ]
    records.append(act("late", held[2], "post", joined + timedelta(days=40)))  # after the 30 days
    records.append(
        act("react", held[3], "reaction", joined + timedelta(days=2))
    )  # not a contribution
    ingest(engine, records)
    with engine.connect() as conn:
        assert [
            (r.messaged.members, r.held_out.members)
            for r in holdout_report(
                conn, story.community, playbook, now=joined + timedelta(days=10)
            )
        ] == [(0, 0)]
        (report,) = holdout_report(conn, story.community, playbook, now=joined + timedelta(days=30))
    assert (report.messaged.members, report.messaged.contributed) == (len(messaged), 6)
    assert (report.held_out.members, report.held_out.contributed) == (len(held), 2)
    assert report.difference() == newcombe_difference(6, len(messaged), 2, len(held))
