"""The onboarding page: the playbook, what its next run would create, and the outbox a moderator works."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.actions import outbox
from tending.store import open_store
from tending.store.communities import get_community_by_id
from tending.store.schema import audit_events
from tests.web.conftest import NOW, csrf_of, member_id


@pytest.fixture
def drafts(seeded: tuple[str, int], cid: int) -> dict[str, int]:
    """A private welcome for eve and a public weekly post, both drafted; a sent message for ada."""
    from tending.actions.communities import do_set_start_url
    from tending.actions.onboarding import do_enable_playbook
    from tending.playbooks import default_playbook

    engine = open_store(seeded[0])
    eve, ada = member_id(seeded[0], "eve"), member_id(seeded[0], "ada")
    with engine.begin() as conn:
        community = do_set_start_url(
            conn,
            get_community_by_id(conn, cid),
            "https://chats-diabetiques.fr/regles",
            actor="test",
        )
        do_enable_playbook(
            conn, community, default_playbook(), since=NOW - timedelta(days=7), actor="test"
        )
        welcome = outbox.do_draft_message(
            conn,
            community,
            member_ids=[eve],
            rule="welcome",
            channel="private",
            body="Bienvenue Eve !",
            due_at=NOW,
            key="welcome:eve",
        )
        weekly = outbox.do_draft_message(
            conn,
            community,
            member_ids=[eve],
            rule="weekly_welcome",
            channel="post",
            body="Welcome to this week's newcomers",
            due_at=NOW,
            key="weekly:1",
        )
        sent = outbox.do_draft_message(
            conn,
            community,
            member_ids=[ada],
            rule="two_months",
            channel="private",
            body="How are things?",
            due_at=NOW - timedelta(days=3),
            key="2m:ada",
            approved=True,
        )
        assert welcome and weekly and sent
        outbox.do_mark_sent(conn, community, sent, now=NOW - timedelta(days=3))
    engine.dispose()
    return {"welcome": welcome, "weekly": weekly, "sent": sent}


def test_the_page_shows_the_rules_and_what_to_review(
    drafts: dict[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    html = client_as("viewer").get(f"/c/{cid}/onboarding").text
    assert (
        "<code>welcome</code>" in html and "<code>anniversary</code>" in html
    )  # the default playbook's rules
    assert "Bienvenue Eve !" in html and "Welcome to this week" in html
    assert "every Sunday at 18:00, up to 100 people per post" in html  # plain words, not config
    assert "day=sunday" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].replace(
        'title="weekly day=sunday time=18:00 batch=100"', ""
    )
    assert "How are things?" not in html  # sent: under "Sent and skipped"
    assert "Approve" not in html  # a viewer reads only
    done = client_as("viewer").get(f"/c/{cid}/onboarding?show=done").text
    assert "How are things?" in done


def test_a_moderator_edits_then_approves_and_skips(
    seeded: tuple[str, int],
    drafts: dict[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
) -> None:
    client = client_as("moderator")
    token = csrf_of(client.get(f"/c/{cid}/onboarding").text)
    welcome, weekly = drafts["welcome"], drafts["weekly"]
    edited = client.post(
        f"/c/{cid}/outbox/{welcome}/edit",
        data={"body": "Bienvenue, Eve !\r\nÀ bientôt", "csrf_token": token},
        follow_redirects=False,
    )
    assert edited.headers["location"].endswith("msg=edited")
    assert (
        client.post(
            f"/c/{cid}/outbox/{welcome}/approve", data={"csrf_token": token}, follow_redirects=False
        )
        .headers["location"]
        .endswith("msg=approved")
    )
    assert (
        client.post(
            f"/c/{cid}/outbox/{weekly}/skip", data={"csrf_token": token}, follow_redirects=False
        )
        .headers["location"]
        .endswith("msg=skipped")
    )
    again = client.post(
        f"/c/{cid}/outbox/{weekly}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert again.headers["location"].endswith("msg=refused")
    engine = open_store(seeded[0])
    from tending.store.outbox import get_message

    with engine.connect() as conn:
        assert get_message(conn, cid, welcome).status == "approved"  # type: ignore[union-attr]
        assert get_message(conn, cid, welcome).body == "Bienvenue, Eve !\nÀ bientôt"  # type: ignore[union-attr]
        assert get_message(conn, cid, weekly).status == "skipped"  # type: ignore[union-attr]
        actors = {
            row.actor
            for row in conn.execute(
                select(audit_events.c.actor).where(audit_events.c.action.like("outbox.%"))
            )
        }
    engine.dispose()
    assert "web:bruno.mod@example.org" in actors


def test_a_viewer_cannot_approve(
    seeded: tuple[str, int],
    drafts: dict[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
) -> None:
    client = client_as("viewer")
    token = csrf_of(client.get(f"/c/{cid}/onboarding").text)
    for verb in ("approve", "skip", "edit"):
        response = client.post(
            f"/c/{cid}/outbox/{drafts['welcome']}/{verb}", data={"csrf_token": token, "body": "x"}
        )
        assert response.status_code == 403


def test_a_moderator_records_a_post_made_by_hand(
    seeded: tuple[str, int],
    drafts: dict[str, int],
    cid: int,
    client_as: Callable[[str], TestClient],
) -> None:
    client = client_as("moderator")
    page = client.get(f"/c/{cid}/onboarding").text
    assert f'action="/c/{cid}/outbox/{drafts["weekly"]}/by-hand"' in page
    token = csrf_of(page)
    done = client.post(
        f"/c/{cid}/outbox/{drafts['weekly']}/by-hand",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"].endswith("msg=posted_by_hand")
    again = client.post(
        f"/c/{cid}/outbox/{drafts['weekly']}/by-hand",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert again.headers["location"].endswith("msg=refused")
    engine = open_store(seeded[0])
    from tending.store.outbox import get_message

    with engine.connect() as conn:
        message = get_message(conn, cid, drafts["weekly"])
    engine.dispose()
    assert message is not None and (message.status, message.external_ref) == ("sent", "by-hand")
    assert "Posted by hand" not in client_as("viewer").get(f"/c/{cid}/onboarding").text
