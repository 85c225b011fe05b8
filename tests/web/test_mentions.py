"""The Mentions page over tending.actions.listening: filters, "N of M", a polite reply suggested for a
complaint (in the mention's language), one click to mark it; in English and in French."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tending.actions.listening import do_add_query
from tending.models import HeardPost
from tending.store import open_store
from tending.store.listening import Scored, insert_mentions, mentions
from tending.store.schema import audit_events
from tests.web.conftest import NOW, csrf_of


def hear(db_url: str, cid: int) -> dict[str, int]:
    engine = open_store(db_url)
    do_add_query(engine, community_name="Cats", keywords=["croquettes"], source="hackernews")

    def said(
        key: str, text: str, sentiment: str, complaint: float, hours: int, lang: str
    ) -> Scored:
        return Scored(
            post=HeardPost(
                source="mastodon" if lang == "fr" else "bluesky",
                external_id=key,
                published_at=NOW - timedelta(hours=hours),
                text=text,
                url=f"https://social.example/{key}",
                author=f"@{key}@social.example",
                lang=lang,
            ),
            lang=lang,
            sentiment=sentiment,
            score_sentiment=-0.9 if sentiment == "negative" else 0.6,
            score_complaint=complaint,
            score_toxicity=0.01,
            keywords=["croquettes"],
            query_ids=[1],
        )

    with engine.begin() as conn:
        insert_mentions(
            conn,
            cid,
            [
                said(
                    "lea",
                    "Mes croquettes Cats jamais livrées, et aucune réponse du service !",
                    "negative",
                    0.8,
                    1,
                    "fr",
                ),
                said("sam", "Love the croquettes from Cats", "positive", 0.0, 2, "en"),
                said("tom", "croquettes meh", "negative", 0.1, 30, "en"),
            ],
            heard_at=NOW,
        )
        ids = dict(conn.execute(select(mentions.c.external_id, mentions.c.id)).all())
    engine.dispose()
    return ids


def block(html: str, mention: int) -> str:
    return html.split(f'id="mention-{mention}"', 1)[1].split("</li>", 1)[0]


def test_a_viewer_filters_the_mentions_and_reads_the_suggested_reply(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    ids = hear(seeded[0], cid)
    client = client_as("viewer")
    html = client.get(f"/c/{cid}/mentions").text
    assert ">Mentions</a>" in html and "1–3 of 3 mentions" in html
    assert html.index(f'id="mention-{ids["lea"]}"') < html.index(f'id="mention-{ids["tom"]}"')
    lea = block(html, ids["lea"])
    assert "complaint" in lea and "Suggested reply" in lea and 'lang="fr"' in lea
    assert "Bonjour @lea@social.example, merci de nous l" in lea.replace(
        "&#39;", "'"
    )  # the French complaint template
    assert "Suggested reply" not in block(html, ids["sam"])
    assert 'type="submit" name="state"' not in html  # a viewer reads only
    negative = client.get(f"/c/{cid}/mentions?sentiment=negative").text
    assert "1–2 of 2 mentions" in negative and f'id="mention-{ids["sam"]}"' not in negative
    recent = client.get(
        f"/c/{cid}/mentions?sentiment=negative&since=2026-03-02&source=mastodon"
    ).text
    assert "1–1 of 1 mention" in recent
    denied = client.post(
        f"/c/{cid}/mentions/{ids['lea']}/act",
        data={"state": "answered", "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )
    assert denied.status_code == 403


def test_bruno_marks_a_complaint_answered_in_one_click(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    ids = hear(seeded[0], cid)
    client = client_as("moderator")
    html = client.get(f"/c/{cid}/mentions?sentiment=negative").text
    response = client.post(
        f"/c/{cid}/mentions/{ids['lea']}/act?sentiment=negative&page=1",
        data={"state": "answered", "note": "answered on Mastodon", "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (
        response.headers["location"] == f"/c/{cid}/mentions?sentiment=negative&page=1&msg=answered"
    )
    after = client.get(response.headers["location"]).text
    assert "Done: the mention is marked" in after
    assert "answered" in block(after, ids["lea"]) and "Note: answered on Mastodon" in after
    missing = client.post(
        f"/c/{cid}/mentions/999999/act", data={"state": "ignored", "csrf_token": csrf_of(html)}
    )
    assert missing.status_code == 404
    engine = open_store(seeded[0])
    with engine.connect() as conn:
        actions = conn.execute(select(audit_events.c.action)).scalars().all()
    engine.dispose()
    assert "mention.acted" in actions


def test_the_mentions_page_in_french(
    seeded: tuple[str, int], cid: int, client_as: Callable[[str], TestClient]
) -> None:
    hear(seeded[0], cid)
    client = client_as("viewer")
    page = client.get(f"/c/{cid}/mentions").text
    client.post(
        "/account/language",
        data={"language": "fr", "next": f"/c/{cid}/mentions", "csrf_token": csrf_of(page)},
    )
    html = client.get(f"/c/{cid}/mentions").text
    assert '<html lang="fr">' in html and "1–3 sur 3 mentions" in html
    assert "réclamation" in html and "Réponse suggérée" in html and "négatif" in html
