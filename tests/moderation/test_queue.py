"""Scanning into the review queue, acting on items, escalation, replies in the member's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from tending.actions.moderation import do_act_on_item, do_scan_community, get_queue
from tending.errors import TendingError
from tending.store.audit import get_events
from tending.store.moderation import bulk_add_items, moderation_items
from tending.store.schema import members

from .conftest import T0, Story

NOW = T0 + timedelta(days=10)


def _scan(engine: Engine, story: Story, **kwargs: object) -> dict[str, int]:
    with engine.begin() as conn:
        summary = do_scan_community(conn, story.community, now=NOW, media_root=story.media, **kwargs)  # type: ignore[arg-type]
    return dict(summary.new_items)


def _items(engine: Engine, story: Story) -> dict[tuple[str, int | None], dict]:
    with engine.connect() as conn:
        return {(i["signal"], i["activity_id"]): i for i in get_queue(conn, story.community, status=None)}


def test_scan_finds_each_situation_with_its_evidence(engine: Engine, story: Story) -> None:
    _scan(engine, story)
    items = _items(engine, story)
    ids = story.ids
    repost = items[("repost", ids["d1"])]
    assert repost["evidence"]["earlier"]["activity_id"] == ids["a1"]
    assert repost["evidence"]["earlier"]["text"].startswith("Bonjour à tous, je cherche")
    assert repost["evidence"]["earlier"]["same_member"] is False
    image = items[("repost", ids["e2"])]
    assert image["evidence"]["kind"] == "image"
    assert image["evidence"]["earlier"]["activity_id"] == ids["a1"]
    toxic = items[("toxic", ids["e1"])]
    assert toxic["evidence"]["lang"] == "fr" and toxic["score"] >= toxic["evidence"]["threshold"]
    assert "connard" in toxic["evidence"]["matched"]
    promo = items.get(("self_promotion", ids["b1"])) or items[("spam", ids["b1"])]
    assert "introduction" in promo["evidence"]["context"] and "first_post" in promo["evidence"]["context"]
    assert "https://www.youtube.com/c/brunocats" in promo["evidence"]["matched"]
    calm_ids = {ids["c1"], *(ids[f"calm{i}"] for i in range(3))}
    assert not [key for key in items if key[1] in calm_ids]


def test_rescanning_adds_nothing_twice(engine: Engine, story: Story) -> None:
    first = _scan(engine, story)
    assert sum(first.values()) >= 4
    assert _scan(engine, story) == {}
    assert _scan(engine, story, since=T0 + timedelta(days=4)) == {}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(moderation_items)).scalar_one() == sum(first.values())


def test_a_later_scan_with_since_still_finds_reposts_of_older_content(engine: Engine, story: Story) -> None:
    assert _scan(engine, story, since=T0 + timedelta(days=3, hours=12))  # only d1, e1, e2 are read
    items = _items(engine, story)
    assert items[("repost", story.ids["d1"])]["evidence"]["earlier"]["activity_id"] == story.ids["a1"]


def test_nudge_thanks_a_self_promoting_newcomer_in_english(engine: Engine, story: Story) -> None:
    _scan(engine, story)
    item = next(i for (signal, aid), i in _items(engine, story).items()
                if aid == story.ids["b1"] and signal in ("self_promotion", "spam"))
    with engine.begin() as conn:
        result = do_act_on_item(conn, story.community, item["id"], "nudge", actor="chloe", now=NOW)
    assert result.reply is not None
    assert result.reply.startswith("Welcome, Bruno, and thanks for introducing yourself!")
    assert "what would you like to share with the group?" in result.reply
    with engine.connect() as conn:
        [event] = [e for e in get_events(conn, story.community.id) if e["action"] == "moderation.nudge"]
        done = get_queue(conn, story.community, status="done")
    assert event["actor"] == "chloe" and event["details"]["item_id"] == item["id"]
    assert [(i["id"], i["action"], i["acted_by"]) for i in done] == [(item["id"], "nudge", "chloe")]


def test_french_member_gets_french_reply_and_warning(engine: Engine, story: Story) -> None:
    _scan(engine, story)
    items = _items(engine, story)
    with engine.begin() as conn:
        repost = do_act_on_item(conn, story.community, items[("repost", story.ids["d1"])]["id"], "nudge",
                                actor="chloe", now=NOW)
        warning = do_act_on_item(conn, story.community, items[("toxic", story.ids["e1"])]["id"], "warn",
                                 actor="chloe", now=NOW)
    assert repost.reply == ("Merci Dora ! Ce sujet a déjà été abordé (le 2026-03-02) : la discussion précédente "
                            "contient peut-être ce que vous cherchez, et la compléter garde tout au même endroit.")
    assert warning.reply is not None and warning.reply.startswith("Bonjour Eve, ceci est un avertissement")
    assert "(des insultes)" in warning.reply


def test_do_not_contact_means_no_private_message(engine: Engine, story: Story) -> None:
    _scan(engine, story)
    item = _items(engine, story)[("toxic", story.ids["e1"])]
    with engine.begin() as conn:
        conn.execute(update(members).where(members.c.id == item["member_id"]).values(do_not_contact=True))
        result = do_act_on_item(conn, story.community, item["id"], "warn", actor="chloe", now=NOW)
    assert result.reply is None and result.not_contacted is True


def test_repeat_offender_escalates_to_a_warning_on_the_third_flag(engine: Engine, story: Story) -> None:
    with engine.begin() as conn:
        dora = conn.execute(select(members.c.id).where(members.c.external_id == "dora")).scalar_one()
        bulk_add_items(conn, story.community.id, [
            {"activity_id": story.ids["d1"], "member_id": dora, "signal": "repost", "subject_key": f"test:{n}",
             "score": 0.9, "evidence": {"text": "x", "lang": "fr"}, "occurred_at": T0 + timedelta(days=n)}
            for n in range(3)], now=NOW)
        queue = sorted(get_queue(conn, story.community), key=lambda i: i["occurred_at"])
        assert [i["suggested_action"] for i in queue] == ["nudge", "nudge", "nudge"]
        for item in queue[:2]:
            do_act_on_item(conn, story.community, item["id"], "nudge", actor="chloe", now=NOW)
        [third] = get_queue(conn, story.community)
    assert third["suggested_action"] == "warn"


def test_leaving_an_item_does_not_count_against_the_member(engine: Engine, story: Story) -> None:
    _scan(engine, story)
    item = _items(engine, story)[("toxic", story.ids["e1"])]
    with engine.begin() as conn:
        result = do_act_on_item(conn, story.community, item["id"], "leave", actor="chloe", now=NOW, note="banter")
        with pytest.raises(TendingError, match="already handled \\(leave by chloe\\)"):
            do_act_on_item(conn, story.community, item["id"], "warn", actor="chloe", now=NOW)
        with pytest.raises(TendingError, match="no queue item 99999"):
            do_act_on_item(conn, story.community, 99999, "warn", actor="chloe", now=NOW)
    assert result.reply is None
    with engine.connect() as conn:
        from tending.store.moderation import get_offender_counts
        assert get_offender_counts(conn, story.community.id, [item["member_id"]]) == {}
