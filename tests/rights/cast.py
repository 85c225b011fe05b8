"""A community where Adaline (two accounts: a forum with her e-mail, and Slack) is known in every way tending
can know someone: texts, a thread she started, a tag, a note, a check-in, a private message, a welcome post
that names her and Bruno, a moderation finding. Every personal value is a marker a dump can be searched for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tending.actions.checkins import do_checkin
from tending.actions.imports import do_import
from tending.actions.members import do_add_tag, do_merge_members, do_set_note
from tending.actions.outbox import do_draft_message
from tending.store import moderation as moderation_store
from tending.store.communities import find_community
from tending.store.members import resolve_member

T = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ADA_MARKERS = (
    "Adaline Zorglub",
    "zorglub_ada",
    "adaline.marker@example.org",
    "U0ADAMARK",
    "knitting-quokka-one",
    "knitting-quokka-two",
    "slack-quokka-three",
    "Quokka thread by her",
    "private-note-quokka",
    "tag-quokka",
)
OTHERS_TEXT = "bruno-visible-text"


def _line(
    platform: str, member: str, name: str, kind: str, at: datetime, **more: Any
) -> dict[str, Any]:
    return {
        "platform": platform,
        "member_id": member,
        "member_name": name,
        "kind": kind,
        "occurred_at": at.isoformat(),
        **more,
    }


def export_rows() -> list[dict[str, Any]]:
    day = timedelta(days=1)
    return [
        _line(
            "forum",
            "ada",
            "Adaline Zorglub",
            "joined",
            T - 200 * day,
            member_handle="zorglub_ada",
            member_email="adaline.marker@example.org",
        ),
        _line("forum", "bruno", "Bruno", "joined", T - 190 * day),
        _line("forum", "chloe", "Chloe", "joined", T - 20 * day),
        _line(
            "forum",
            "ada",
            "Adaline Zorglub",
            "post",
            T - 100 * day,
            source_id="p1",
            thread_id="p1",
            thread_title="Quokka thread by her",
            text="knitting-quokka-one",
            member_handle="zorglub_ada",
            member_email="adaline.marker@example.org",
        ),
        _line(
            "forum",
            "bruno",
            "Bruno",
            "reply",
            T - 99 * day,
            source_id="p2",
            thread_id="p1",
            parent_id="p1",
            text=OTHERS_TEXT,
        ),
        _line(
            "forum",
            "ada",
            "Adaline Zorglub",
            "reply",
            T - 98 * day,
            source_id="p3",
            thread_id="p1",
            parent_id="p2",
            text="knitting-quokka-two",
        ),
        _line(
            "forum", "chloe", "Chloe", "post", T - 10 * day, source_id="p4", text="chloe says hello"
        ),
        _line(
            "forum",
            "bruno",
            "Bruno",
            "reaction",
            T - 9 * day,
            source_id="p5",
            parent_id="p4",
            thread_id="p4",
        ),
        _line(
            "slack",
            "U0ADAMARK",
            "Adaline Zorglub",
            "post",
            T - 30 * day,
            source_id="s1",
            text="slack-quokka-three",
            member_handle="zorglub_ada",
        ),
        _line(
            "slack",
            "U0ADAMARK",
            "Adaline Zorglub",
            "reply",
            T - 5 * day,
            source_id="s2",
            thread_id="s1",
            parent_id="s1",
            text="slack-quokka-three again",
        ),
        _line(
            "slack",
            "U0ADAMARK",
            "Adaline Zorglub",
            "reaction",
            T - 4 * day,
            source_id="s3:thumbs:U0ADAMARK",
            thread_id="s1",
            parent_id="s3",
        ),
        _line(
            "slack",
            "ubruno",
            "Bruno",
            "reply",
            T - 4 * day,
            source_id="s3",
            thread_id="s1",
            parent_id="s1",
            text="bruno on slack",
        ),
    ]


def write_export(path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in export_rows()), encoding="utf-8")
    return path


def build(engine: Engine, tmp_path: Path) -> Path:
    """Import the export, merge Adaline's accounts, and give her every kind of data. Returns the export."""
    export = write_export(tmp_path / "community.jsonl")
    do_import(engine, "jsonl", export, community_name="Quokkas")
    with engine.begin() as conn:
        community = find_community(conn, "Quokkas")
        assert community is not None
        ada = resolve_member(conn, community, "forum:ada").id
        slack_ada = resolve_member(conn, community, "slack:U0ADAMARK").id
        bruno = resolve_member(conn, community, "forum:bruno").id
        do_merge_members(conn, community, ada, slack_ada, actor="test")
        do_add_tag(conn, community, ada, "tag-quokka", actor="test")
        do_set_note(conn, community, ada, "private-note-quokka", actor="test")
        do_checkin(
            conn, community, ada, actor="test", now=T, message="Hi Adaline Zorglub, how are you?"
        )
        do_draft_message(
            conn,
            community,
            member_ids=[ada],
            rule="welcome",
            channel="private",
            body="Welcome Adaline Zorglub!",
            due_at=T,
            key="welcome:ada",
        )
        do_draft_message(
            conn,
            community,
            member_ids=[ada, bruno],
            rule="weekly_welcome",
            channel="post",
            body="Welcome to:\n- Adaline Zorglub\n- Bruno\n",
            due_at=T,
            key="weekly:1",
        )
        p3 = conn.exec_driver_sql("SELECT id FROM activities WHERE source_id = 'p3'").scalar_one()
        moderation_store.bulk_add_items(
            conn,
            community.id,
            [
                {
                    "activity_id": p3,
                    "member_id": ada,
                    "signal": "toxicity",
                    "subject_key": f"activity:{p3}",
                    "score": 0.9,
                    "evidence": {"excerpt": "knitting-quokka-two"},
                    "occurred_at": T - 98 * timedelta(days=1),
                }
            ],
            now=T,
        )
    return export
