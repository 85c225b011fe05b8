"""The check-ins page: chloe's unanswered thread puts her in the private queue; bruno (moderator) drafts a
check-in, edits its private message, approves it and sends it through a real SMTP server on loopback; chloe
comes back and the outcome shows. Viewers only read; refusals (do-not-contact, bots, cooldown) are said."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.store import open_store
from tending.store.communities import do_update_community_settings, get_community_by_id
from tending.store.schema import audit_events
from tests.web.conftest import EMAILS, NOW, csrf_of, member_id


def queue_of(html: str) -> list[str]:
    if '<ol class="plain checkin-queue"' not in html:
        return []
    block = html.split('<ol class="plain checkin-queue"', 1)[1].split("</ol>", 1)[0]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in block.split('<a href="/c/')[1:]]


def post(client: TestClient, path: str, page: str, **data: Any) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def outbox_rows(db_url: str, cid: int) -> list[Any]:
    from tending.store.outbox import list_messages

    engine = open_store(db_url)
    with engine.connect() as conn:
        rows = list_messages(conn, cid, limit=100)
    engine.dispose()
    return rows


def test_a_viewer_sees_the_queue_but_cannot_draft(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    html = client.get(f"/c/{cid}/checkins").text
    assert queue_of(html) == ["Chloé Dubois"]  # her thread from 100 days ago got no answer
    assert "their thread from 100 days ago got no answer" in html
    assert "Draft a private message" not in html and "never publish this list" in html
    chloe = member_id(seeded[0], "chloe")
    assert post(client, f"/c/{cid}/checkins/{chloe}/draft", f"/c/{cid}/checkins").status_code == 403
    assert outbox_rows(seeded[0], cid) == []


def test_the_queue_is_in_french_for_a_french_user(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("viewer")
    post(
        client, "/account/language", f"/c/{cid}/checkins", language="fr", next=f"/c/{cid}/checkins"
    )
    html = client.get(f"/c/{cid}/checkins").text
    assert "son sujet d'il y a 100 jours n'a pas eu de réponse" in html.replace("&#39;", "'")


@contextmanager
def smtp_sink() -> Iterator[tuple[list[tuple[list[str], Message]], int]]:
    from aiosmtpd.controller import Controller

    from tests.delivery.servers import free_port

    received: list[tuple[list[str], Message]] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield received, port
    finally:
        controller.stop()


def deliver_private_messages_by_email(db_url: str, cid: int, port: int) -> None:
    engine = open_store(db_url)
    with engine.begin() as conn:
        community = get_community_by_id(conn, cid)
        do_update_community_settings(
            conn,
            community,
            {
                "delivery": {
                    "private": "email",
                    "smtp": {
                        "host": "127.0.0.1",
                        "port": port,
                        "security": "none",
                        "sender": "Cats team <team@cats.example>",
                    },
                }
            },
            actor="test",
        )
    engine.dispose()


def test_bruno_drafts_edits_approves_and_sends_a_check_in_to_chloe(
    seeded: tuple[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TENDING_CONFIG", "/dev/null")  # no config file
    client = client_as("moderator")
    page = f"/c/{cid}/checkins"
    chloe = member_id(seeded[0], "chloe")
    drafted = post(client, f"/c/{cid}/checkins/{chloe}/draft", page)
    assert drafted.status_code == 303 and drafted.headers["location"] == f"{page}?msg=drafted"
    html = client.get(page).text
    assert queue_of(html) == []  # checked in on: out of the queue for 90 days
    (message,) = outbox_rows(seeded[0], cid)
    assert (message.channel, message.status, message.member_ids, message.rule) == (
        "private",
        "drafted",
        [chloe],
        "checkin",
    )
    assert "Chloé Dubois" in message.body and message.body in html.replace("&#39;", "'")
    edited = post(
        client,
        f"/c/{cid}/outbox/{message.id}/edit",
        page,
        body="Bonjour Chloé,\r\ncomment vas-tu ?",
        back="checkins",
    )
    assert edited.headers["location"] == f"{page}?msg=edited"
    assert (
        post(client, f"/c/{cid}/outbox/{message.id}/approve", page, back="checkins").status_code
        == 303
    )
    (message,) = outbox_rows(seeded[0], cid)
    assert message.status == "approved" and message.body == "Bonjour Chloé,\ncomment vas-tu ?"
    assert "Send now" in client.get(page).text
    with smtp_sink() as (received, port):
        deliver_private_messages_by_email(
            seeded[0], cid, port
        )  # chloe's address came with the seed
        sent = post(client, f"/c/{cid}/outbox/{message.id}/send", page, back="checkins")
    assert sent.headers["location"] == f"{page}?msg=sent"
    ((recipients, mail),) = received
    payload = mail.get_payload(decode=True)
    assert (
        recipients == ["chloe@example.org"]
        and isinstance(payload, bytes)
        and "comment vas-tu" in payload.decode()
    )
    (message,) = outbox_rows(seeded[0], cid)
    assert message.status == "sent"
    member_page = client.get(f"/c/{cid}/members/{chloe}").text
    sent_block = member_page.split('id="sent-title"', 1)[1].split("</section>", 1)[0]
    assert "comment vas-tu ?" in sent_block
    checkins_block = member_page.split('id="checkins-title"', 1)[1].split("</section>", 1)[0]
    assert "their thread got no answer" in checkins_block and "outcome pending" in checkins_block
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        actions = [
            (e.actor, e.action)
            for e in conn.execute(
                select(audit_events)
                .where(audit_events.c.member_id == chloe)
                .order_by(audit_events.c.id)
            )
        ]
    engine.dispose()
    moderator = f"web:{EMAILS['moderator']}"
    assert (moderator, "checkin.drafted") in actions and (moderator, "outbox.approved") in actions
    assert (moderator, "outbox.edited") in actions and ("worker", "outbox.sent") in actions


def test_refusals_are_said_on_the_page(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    page = f"/c/{cid}/checkins"
    dan, chloe, ada = (member_id(seeded[0], who) for who in ("dan", "chloe", "ada"))
    assert (
        post(client, f"/c/{cid}/checkins/{dan}/draft", page).headers["location"]
        == f"{page}?error=bot"
    )
    assert "This member is a bot" in client.get(f"{page}?error=bot").text
    assert (
        post(client, f"/c/{cid}/members/{ada}/do-not-contact", page, value="on").status_code == 303
    )
    assert (
        post(client, f"/c/{cid}/checkins/{ada}/draft", page).headers["location"]
        == f"{page}?error=dnc"
    )
    assert post(client, f"/c/{cid}/checkins/{chloe}/draft", page).status_code == 303
    assert (
        post(client, f"/c/{cid}/checkins/{chloe}/draft", page).headers["location"]
        == f"{page}?error=recent"
    )
    assert (
        post(client, f"/c/{cid}/checkins/999999/draft", page).headers["location"]
        == f"{page}?error=unknown"
    )
    assert len(outbox_rows(seeded[0], cid)) == 1


def test_do_not_contact_takes_chloe_out_of_the_cached_queue(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    client = client_as("moderator")
    chloe = member_id(seeded[0], "chloe")
    assert queue_of(client.get(f"/c/{cid}/checkins").text) == ["Chloé Dubois"]
    post(client, f"/c/{cid}/members/{chloe}/do-not-contact", f"/c/{cid}/checkins", value="on")
    assert queue_of(client.get(f"/c/{cid}/checkins").text) == []


def test_the_outcome_shows_when_chloe_contributes_again(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    from tending.actions.checkins import do_checkin, do_settle_outcomes
    from tending.models import ActivityRecord
    from tending.store.ingest import Ingestor

    chloe = member_id(seeded[0], "chloe")
    engine = open_store(seeded[0])
    with engine.begin() as conn:
        community = get_community_by_id(conn, cid)
        do_checkin(conn, community, chloe, actor="test", now=NOW - timedelta(days=10))
        Ingestor(conn, community).add_all(
            [
                ActivityRecord(
                    source="forum",
                    source_id="c2",
                    member_external_id="chloe",
                    kind="reply",
                    occurred_at=NOW - timedelta(days=4),
                    thread_external_id="t3",
                    text="Back!",
                )
            ]
        )
        assert do_settle_outcomes(conn, community, now=NOW) == 1
    engine.dispose()
    html = client_as("viewer").get(f"/c/{cid}/checkins").text
    assert "contributed again on Feb 26, 2026" in html
    assert (
        "Outcomes: 1 of 1 settled check-in followed by a contribution within 30 days; 0 pending."
        in html
    )
