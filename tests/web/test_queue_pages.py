"""The queues' web pages through the app (TestClient): "N of M" and filters, the bulk preview that
changes nothing until confirmed, CSV and JSON export of the listing, the moderation log, and the
outbox's bulk approve."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.moderation import moderation_items
from tending.store.outbox import outbox
from tests.web.conftest import EMAILS, csrf_of
from tests.web.test_moderation import item_id, queue
from tests.web.test_onboarding import drafts

__all__ = ["drafts", "queue"]  # fixtures


def _statuses(db: str) -> dict[int, str]:
    engine = open_store(db)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(moderation_items.c.id, moderation_items.c.status)).all())
    engine.dispose()
    return rows


def test_the_listing_filters_says_n_of_m_and_exports(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    cid, client = queue["cid"], client_as("viewer")
    total = len(queue["items"])
    html = client.get(f"/c/{cid}/moderation?per=2").text
    assert f"Showing 1–2 of {total} items" in html and 'rel="next"' in html
    toxic = client.get(f"/c/{cid}/moderation?signal=toxic").text
    assert "Showing 1–3 of 3 items" in toxic
    bad = client.get(f"/c/{cid}/moderation?older_than=soon").text
    assert "--older-than: &#39;soon&#39; is not a duration" in bad
    exported = client.get(f"/c/{cid}/moderation/export.csv?signal=toxic")
    lines = exported.text.splitlines()
    assert lines[0].startswith("id,signal,score,status,occurred_at") and len(lines) == 4
    assert exported.headers["x-total-count"] == "3"
    as_json = json.loads(client.get(f"/c/{cid}/moderation/export.json?signal=toxic").text)
    assert as_json["total"] == 3 and {i["signal"] for i in as_json["items"]} == {"toxic"}


def test_a_bulk_decision_is_previewed_then_confirmed_then_logged(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    cid, client = queue["cid"], client_as("moderator")
    insults = [item_id(queue, "toxic", s) for s in ("e1", "e3", "e4")]
    page = client.get(f"/c/{cid}/moderation?signal=toxic").text
    token = csrf_of(page)
    before = _statuses(queue["db"])
    preview = client.post(
        f"/c/{cid}/moderation/bulk",
        data={
            "action": "warn",
            "scope": "filter",
            "signal": "toxic",
            "step": "preview",
            "csrf_token": token,
        },
    ).text
    assert "Warn will be recorded on 3 items (3 insult or toxicity)" in " ".join(preview.split())
    assert _statuses(queue["db"]) == before  # a preview changes nothing
    done = client.post(
        f"/c/{cid}/moderation/bulk",
        data={
            "action": "warn",
            "step": "confirm",
            "item": [str(i) for i in insults],
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("msg=bulk")
    assert {_statuses(queue["db"])[i] for i in insults} == {"done"}
    log = client.get(f"/c/{cid}/moderation/log?action=warn").text
    assert "Showing 1–3 of 3 events" in log and f"web:{EMAILS['moderator']}" in log
    csv = client.get(f"/c/{cid}/moderation/log?format=csv").text.splitlines()
    assert csv[0] == "at,actor,action,item_id,member_id,details" and len(csv) >= 4
    undo = client.post(
        f"/c/{cid}/moderation/undo", data={"csrf_token": token}, follow_redirects=False
    )
    assert undo.headers["location"].endswith("msg=undone")
    assert {_statuses(queue["db"])[i] for i in insults} == {"open"}


def test_a_bulk_call_refused_says_why_and_changes_nothing(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:
    cid, client = queue["cid"], client_as("moderator")
    first = item_id(queue, "toxic", "e1")
    token = csrf_of(client.get(f"/c/{cid}/moderation").text)
    client.post(f"/c/{cid}/moderation/{first}/act", data={"action": "leave", "csrf_token": token})
    before = _statuses(queue["db"])
    refused = client.post(
        f"/c/{cid}/moderation/bulk",
        data={"action": "remove", "step": "confirm", "item": [str(first)], "csrf_token": token},
    )
    assert f"item {first} is already closed" in refused.text
    assert _statuses(queue["db"]) == before


def test_the_outbox_lists_n_of_m_and_approves_in_bulk(
    drafts: dict[str, int],
    seeded: tuple[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
) -> None:
    client = client_as("moderator")
    html = client.get(f"/c/{cid}/onboarding").text
    assert "Showing 1–2 of 2 messages" in html
    assert "Showing 1–1 of 1 message" in client.get(f"/c/{cid}/onboarding?rule=welcome").text
    token = csrf_of(html)
    preview = client.post(
        f"/c/{cid}/outbox/bulk",
        data={"verb": "approve", "scope": "filter", "step": "preview", "csrf_token": token},
    ).text
    assert "2 messages, for 1 member:" in " ".join(preview.split())
    ids = [str(drafts["welcome"]), str(drafts["weekly"])]
    client.post(
        f"/c/{cid}/outbox/bulk",
        data={"verb": "approve", "step": "confirm", "message": ids, "csrf_token": token},
    )
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        states = dict(conn.execute(select(outbox.c.id, outbox.c.status)).all())
    engine.dispose()
    assert states[drafts["welcome"]] == states[drafts["weekly"]] == "approved"
    again = client.post(
        f"/c/{cid}/outbox/bulk",
        data={"verb": "approve", "step": "confirm", "message": ids, "csrf_token": token},
    )
    assert "cannot be approved; nothing was changed" in again.text


def _outbox_states(db: str) -> dict[int, str]:
    engine = open_store(db)
    with engine.connect() as conn:
        states = dict(conn.execute(select(outbox.c.id, outbox.c.status)).all())
    engine.dispose()
    return states


def test_an_approval_then_a_bulk_skip_are_undone_from_the_outbox_page(
    drafts: dict[str, int],
    seeded: tuple[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
) -> None:
    client = client_as("moderator")
    welcome, weekly = drafts["welcome"], drafts["weekly"]
    token = csrf_of(client.get(f"/c/{cid}/onboarding").text)
    client.post(f"/c/{cid}/outbox/{welcome}/approve", data={"csrf_token": token})
    page = client.get(f"/c/{cid}/onboarding").text
    assert f"Undo your last approval (message {welcome})" in page
    assert 'id="undo-form"' not in client_as("viewer").get(f"/c/{cid}/onboarding").text
    undone = client.post(
        f"/c/{cid}/outbox/undo", data={"csrf_token": token}, follow_redirects=False
    )
    assert undone.status_code == 303 and undone.headers["location"].endswith("msg=undone")
    assert _outbox_states(seeded[0])[welcome] == "drafted"
    assert 'id="undo-form"' not in client.get(f"/c/{cid}/onboarding").text
    client.post(
        f"/c/{cid}/outbox/bulk",
        data={
            "verb": "skip",
            "step": "confirm",
            "message": [str(welcome), str(weekly)],
            "csrf_token": token,
        },
    )
    assert "Undo your last skip (2 messages)" in client.get(f"/c/{cid}/onboarding").text
    client.post(f"/c/{cid}/outbox/undo", data={"csrf_token": token})
    states = _outbox_states(seeded[0])
    assert states[welcome] == states[weekly] == "drafted"
    again = client.post(f"/c/{cid}/outbox/undo", data={"csrf_token": token}, follow_redirects=False)
    assert again.headers["location"].endswith("msg=not_undone")
    client.post("/account/language", data={"language": "fr", "csrf_token": token})
    french = client.get(f"/c/{cid}/onboarding?msg=undone")
    assert "Annulé\u00a0: les messages sont de nouveau en brouillon." in french.text


def test_the_outbox_exports_what_it_lists_to_moderators_only(
    drafts: dict[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    html = client.get(f"/c/{cid}/onboarding?rule=welcome").text
    assert f'href="/c/{cid}/outbox/export.csv?show=pending&amp;rule=welcome"' in html
    exported = client.get(f"/c/{cid}/outbox/export.csv?rule=welcome")
    assert exported.headers["x-total-count"] == "1"
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["id"], r["rule"], r["status"], r["members"], r["body"]) for r in rows] == [
        (str(drafts["welcome"]), "welcome", "drafted", "eve", "Bienvenue Eve !")
    ]
    pending = json.loads(client.get(f"/c/{cid}/outbox/export.json").text)
    assert pending["total"] == 2
    assert {m["id"] for m in pending["messages"]} == {drafts["welcome"], drafts["weekly"]}
    done = json.loads(client.get(f"/c/{cid}/outbox/export.json?show=done").text)
    assert [m["status"] for m in done["messages"]] == ["sent"]
    assert client.get(f"/c/{cid}/outbox/export.xml").status_code == 404
    viewer = client_as("viewer")
    assert viewer.get(f"/c/{cid}/outbox/export.csv").status_code == 403
    assert "/outbox/export.csv" not in viewer.get(f"/c/{cid}/onboarding").text


def test_a_members_case_file_on_the_web_50_a_page_for_moderators(
    queue: dict[str, Any], client_as: Callable[[str], TestClient]
) -> None:

    from tending.actions.outbox import do_draft_message
    from tending.store.communities import get_community_by_id
    from tests.web.conftest import NOW

    cid, client = queue["cid"], client_as("moderator")
    insult = item_id(queue, "toxic", "e1")
    engine = open_store(queue["db"])
    with engine.begin() as conn:
        eve = conn.execute(
            select(moderation_items.c.member_id).where(moderation_items.c.id == insult)
        ).scalar_one()
        findings = len(
            conn.execute(
                select(moderation_items.c.id).where(moderation_items.c.member_id == eve)
            ).all()
        )
        community = get_community_by_id(conn, cid)
        for n in range(55):  # 55 messages drafted for eve (audited now: newer than the rest)
            do_draft_message(
                conn,
                community,
                member_ids=[eve],
                rule="checkin",
                channel="private",
                body="Hello Eve",
                due_at=NOW,
                key=f"case:{n}",
            )
    engine.dispose()
    page = client.get(f"/c/{cid}/moderation").text
    client.post(
        f"/c/{cid}/moderation/{insult}/act",
        data={"action": "warn", "note": "second time", "csrf_token": csrf_of(page)},
    )
    member = client.get(f"/c/{cid}/members/{eve}").text
    assert f'href="/c/{cid}/members/{eve}/case"' in member
    first = client.get(f"/c/{cid}/members/{eve}/case")
    assert first.status_code == 200
    text = " ".join(first.text.split())
    total = findings + 55 + 1
    assert "Case file of Eve" in text and f"Showing 1–50 of {total} entries" in text
    assert text.count("<tr class=") == 50 and 'rel="next"' in text
    assert text.count("outbox.drafted") == 50
    last = " ".join(client.get(f"/c/{cid}/members/{eve}/case?page=2").text.split())
    assert f"Showing 51–{total} of {total} entries" in last and 'rel="next"' not in last
    assert "moderation.warn" in last and f'href="/c/{cid}/moderation/log?item={insult}"' in last
    assert "second time" not in last  # the note's text stays in the queue, not in the file
    assert last.count("<tr class=") == total - 50
    assert client.get(f"/c/{cid}/members/999999/case").status_code == 404
    viewer = client_as("viewer")
    assert viewer.get(f"/c/{cid}/members/{eve}/case").status_code == 403
    assert "/case" not in viewer.get(f"/c/{cid}/members/{eve}").text
