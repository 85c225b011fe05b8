"""The moderation page over the moderation capability: the queue with its evidence (the matched text, the
earlier copy of a repost, scores), one-click graded actions with the suggested reply edited before acting,
and escalation shown for a repeat offender. Viewers read; moderators act."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.actions import moderation
from tending.models import ActivityRecord
from tending.store import open_store
from tending.store.ingest import Ingestor
from tending.store.schema import activities, audit_events
from tests.web.conftest import EMAILS, csrf_of


@pytest.fixture
def queue(seeded: tuple[str, int], tmp_path: Path) -> dict[str, Any]:
    """The moderation tests' community (ada's question, dora's copy of it, bruno's self-promoting introduction,
    eve's insult), scanned into the queue."""
    from tests.moderation.conftest import INSULT, SOURCE, T0, build_story

    engine = open_store(seeded[0])
    story = build_story(engine, tmp_path)
    with engine.begin() as conn:
        # eve insults twice more, later (for escalation)
        Ingestor(conn, story.community).add_all(
            [
                ActivityRecord(
                    SOURCE,
                    f"e{n}",
                    "eve",
                    "reply",
                    T0 + timedelta(days=4 + n),
                    thread_external_id="t1",
                    text=f"{INSULT} ({n})",
                )
                for n in (3, 4)
            ]
        )
        moderation.do_scan_community(
            conn, story.community, now=T0 + timedelta(days=9), media_root=story.media
        )
        items = {
            (i["signal"], i["activity_id"]): i["id"]
            for i in moderation.get_queue(conn, story.community)
        }
        ids = dict(
            conn.execute(
                select(activities.c.source_id, activities.c.id).where(
                    activities.c.community_id == story.community.id
                )
            ).all()
        )
    engine.dispose()
    return {"cid": story.community.id, "ids": ids, "items": items, "db": seeded[0]}


def item_id(queue: dict[str, Any], signal: str, source_id: str) -> int:
    return int(queue["items"][(signal, queue["ids"][source_id])])


def block(html: str, item: int) -> str:
    return html.split(f'id="item-{item}"', 1)[1].split("</li>\n", 1)[0]


def test_a_viewer_reads_the_queue_with_its_evidence(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    cid = queue["cid"]
    html = client_as("viewer").get(f"/c/{cid}/moderation").text
    repost = block(html, item_id(queue, "repost", "d1"))
    assert "The earlier copy, 2026-03-02" in repost and "by someone else" in repost
    assert (
        "je cherche un vétérinaire spécialisé" in repost
        and "je cherche un veterinaire specialise" in repost
    )
    promo = block(html, item_id(queue, "self_promotion", "b1"))
    assert (
        "Check out my YouTube channel" in promo and "Score 0." in promo and "introduction" in promo
    )
    toxic = block(html, item_id(queue, "toxic", "e1"))
    assert "<mark>" in toxic and "Suggested: Warn" in toxic
    assert 'name="action"' not in html  # a viewer has no buttons
    token = csrf_of(html)
    denied = client_as("viewer").post(
        f"/c/{cid}/moderation/{item_id(queue, 'toxic', 'e1')}/act",
        data={"action": "warn", "csrf_token": token},
        follow_redirects=False,
    )
    assert denied.status_code == 403


def test_bruno_edits_the_suggested_nudge_then_acts_in_one_click(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    cid = queue["cid"]
    client = client_as("moderator")
    promo = item_id(queue, "self_promotion", "b1")
    html = client.get(f"/c/{cid}/moderation").text
    editor = block(html, promo)
    assert (
        "Reply drafted by “Nudge (public reply)”" in editor
        and "Bruno" in editor.split("<textarea", 1)[1]
    )
    edited = "Welcome Bruno! What got you into diabetic cats? Tell us about yours."
    response = client.post(
        f"/c/{cid}/moderation/{promo}/act",
        follow_redirects=False,
        data={
            "action": "nudge",
            "reply": edited,
            "reply_for": "nudge",
            "note": "first post",
            "csrf_token": csrf_of(html),
        },
    )
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/c/{cid}/moderation?msg=nudge"
    )
    done = client.get(f"/c/{cid}/moderation?show=done").text
    assert edited in block(done, promo) and "first post" in block(done, promo)
    assert (
        f"/moderation/{promo}/act" not in client.get(f"/c/{cid}/moderation").text
    )  # out of the open queue
    again = client.post(
        f"/c/{cid}/moderation/{promo}/act",
        follow_redirects=False,
        data={"action": "leave", "csrf_token": csrf_of(html)},
    )
    assert again.headers["location"].endswith("msg=handled")
    engine = open_store(queue["db"])
    with engine.connect() as conn:
        event = conn.execute(
            select(audit_events).where(audit_events.c.action == "moderation.nudge")
        ).one()
    engine.dispose()
    assert event.actor == f"web:{EMAILS['moderator']}" and event.details["reply_edited"] is True
    assert edited not in str(event.details)  # the audit never copies the reply


def test_another_action_drafts_its_own_reply(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    """The editor showed the nudge; clicking Warn drafts the warning's template, not the edited nudge."""
    cid = queue["cid"]
    client = client_as("moderator")
    promo = item_id(queue, "self_promotion", "b1")
    page = client.get(f"/c/{cid}/moderation?reply={promo}:warn").text
    assert "Reply drafted by “Warn”" in block(page, promo)
    client.post(
        f"/c/{cid}/moderation/{promo}/act",
        data={
            "action": "warn",
            "reply": "edited nudge",
            "reply_for": "nudge",
            "csrf_token": csrf_of(page),
        },
    )
    done = block(client.get(f"/c/{cid}/moderation?show=done").text, promo)
    assert "edited nudge" not in done and "<blockquote" in done


def test_a_repeat_offender_is_shown_escalated(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    """Eve insults three times: after two warnings confirmed from the page, the third suggests removal and the
    page says it escalated."""
    cid = queue["cid"]
    client = client_as("moderator")
    first, second, third = (item_id(queue, "toxic", source) for source in ("e1", "e3", "e4"))
    html = client.get(f"/c/{cid}/moderation").text
    assert "Repeat offender" not in block(html, third) and "Suggested: Warn" in block(html, third)
    for item in (first, second):
        client.post(
            f"/c/{cid}/moderation/{item}/act", data={"action": "warn", "csrf_token": csrf_of(html)}
        )
    shown = block(client.get(f"/c/{cid}/moderation").text, third)
    assert "Repeat offender: 2 confirmed findings before (2 warnings, 0 removals)." in shown
    assert "Escalated: Remove suggested instead of Warn." in shown
    assert (
        'value="remove" class="primary"' in shown
    )  # the suggested action is the highlighted button
