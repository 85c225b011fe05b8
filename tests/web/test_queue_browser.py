"""The review queue for a team, end to end in headless Chromium: two moderators in two browser contexts
claim and act on the same queue, a bulk removal of 100 items after its preview and its undo, an appeal,
and the keyboard path through ten items.

Uses test_browser.py's server (a real uvicorn on loopback, the clock fixed at tests/web/conftest.NOW)
and Debian's /usr/bin/chromium; screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tending.store import open_store
from tending.store.moderation import bulk_add_items, moderation_appeals, moderation_items
from tending.store.schema import audit_events
from tests.web.conftest import EMAILS, NOW
from tests.web.test_browser import ARTIFACTS, SERVER_URLS, browser, log_in, server

__all__ = ["browser", "server"]  # the fixtures, imported for pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _queue(base: str, cid: int, items: list[tuple[str, str]]) -> list[int]:
    """Put findings (signal, text) in the community's queue, oldest first; their ids."""
    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    with engine.begin() as conn:
        bulk_add_items(
            conn,
            cid,
            [
                {
                    "signal": signal,
                    "subject_key": f"test:{n}",
                    "score": 0.9,
                    "evidence": {"text": text, "lang": "en"},
                    "occurred_at": NOW - timedelta(days=2, minutes=len(items) - n),
                }
                for n, (signal, text) in enumerate(items)
            ],
            now=NOW,
        )
        ids = [
            int(i)
            for i in conn.execute(
                select(moderation_items.c.id)
                .where(moderation_items.c.community_id == cid)
                .order_by(moderation_items.c.occurred_at)
            ).scalars()
        ]
    engine.dispose()
    return ids


def _db(base: str, statement: Any) -> list[Any]:
    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    with engine.connect() as conn:
        rows = list(conn.execute(statement))
    engine.dispose()
    return rows


def _status(base: str, item_id: int) -> str:
    [(status,)] = _db(
        base, select(moderation_items.c.status).where(moderation_items.c.id == item_id)
    )
    return str(status)


def test_two_moderators_claim_and_act_on_the_same_queue(
    server: tuple[str, int], browser: Any
) -> None:
    base, cid = server
    first, second = _queue(base, cid, [("toxic", "You are an idiot"), ("spam", "Buy cheap pills")])
    bruno = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    ada = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in(bruno, base, "moderator")
    log_in(ada, base, "admin")
    bruno.goto(f"{base}/c/{cid}/moderation")
    ada.goto(f"{base}/c/{cid}/moderation")  # ada's page is loaded before bruno claims
    row = bruno.locator(f"#item-{first}")
    row.locator("summary").click()
    row.get_by_role("button", name="Claim").click()
    bruno.wait_for_url("**msg=claimed")
    assert "claimed by you" in bruno.locator(f"#item-{first}").inner_text()
    # ada acts from her stale page: the store refuses, the page says why, the item stays open
    stale = ada.locator(f"#item-{first}")
    stale.locator("summary").click()
    stale.get_by_role("button", name="Warn").click()
    ada.wait_for_url("**msg=held")
    assert "Another moderator holds this item" in ada.locator("main").inner_text()
    assert f"held by {EMAILS['moderator']}" in ada.locator(f"#item-{first}").inner_text()
    assert _status(base, first) == "open"
    ada.screenshot(path=str(ARTIFACTS / "queue-held.png"), full_page=True)
    # ada takes the other item; bruno decides his
    other = ada.locator(f"#item-{second}")
    other.locator("summary").click()
    other.get_by_role("button", name="Remove").click()
    ada.wait_for_url("**msg=remove")
    mine = bruno.locator(f"#item-{first}")
    mine.locator("summary").click()
    mine.get_by_role("button", name="Warn").click()
    bruno.wait_for_url("**msg=warn")
    assert (_status(base, first), _status(base, second)) == ("done", "done")
    actors = dict(
        _db(
            base,
            select(audit_events.c.action, audit_events.c.actor).where(
                audit_events.c.action.in_(["moderation.warn", "moderation.remove"])
            ),
        )
    )
    assert actors == {
        "moderation.warn": f"web:{EMAILS['moderator']}",
        "moderation.remove": f"web:{EMAILS['admin']}",
    }


def test_a_bulk_removal_of_100_items_after_its_preview_then_its_undo(
    server: tuple[str, int], browser: Any
) -> None:
    base, cid = server
    ids = _queue(
        base,
        cid,
        [("spam", f"Cheap meds number {n}") for n in range(100)]
        + [("toxic", "An insult that stays")],
    )
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.goto(f"{base}/c/{cid}/moderation?signal=spam")
    assert "Showing 1–30 of 100 items" in page.locator(".queue-count").inner_text()
    page.get_by_label("Decide").select_option("remove")
    page.get_by_role("button", name="Preview for all 100 items this filter lists").click()
    page.wait_for_url("**/moderation/bulk")
    summary = page.locator(".bulk-summary").inner_text()
    assert "Remove will be recorded on 100 items (100 spam)" in summary
    assert page.locator(".preview-rows tbody tr").count() == 100
    page.screenshot(path=str(ARTIFACTS / "queue-bulk-preview.png"), full_page=False)
    assert (
        _db(
            base,
            select(func.count())
            .select_from(moderation_items)
            .where(moderation_items.c.status == "done"),
        )[0][0]
        == 0
    )  # a preview changes nothing
    page.get_by_role("button", name="Confirm: Remove on 100 items").click()
    page.wait_for_url("**msg=bulk")
    done = _db(
        base,
        select(moderation_items.c.id).where(moderation_items.c.status == "done"),
    )
    assert sorted(i for (i,) in done) == ids[:100]
    removals = _db(
        base,
        select(func.count())
        .select_from(audit_events)
        .where(audit_events.c.action == "moderation.remove"),
    )
    assert removals[0][0] == 100  # one audit row per item
    page.get_by_role("button", name="Undo your last decision (Remove on 100 items)").click()
    page.wait_for_url("**msg=undone")
    assert (
        _db(
            base,
            select(func.count())
            .select_from(moderation_items)
            .where(moderation_items.c.status == "open"),
        )[0][0]
        == 101
    )
    page.close()


def test_an_appeal_reopens_the_item_with_its_warning(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    [item] = _queue(base, cid, [("toxic", "Shut up, moron")])
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.goto(f"{base}/c/{cid}/moderation")
    row = page.locator(f"#item-{item}")
    row.locator("summary").click()
    row.get_by_role("button", name="Warn").click()
    page.wait_for_url("**msg=warn")
    page.get_by_role("link", name="Handled").click()
    done = page.locator(f"#item-{item}")
    done.locator("summary").click()
    done.get_by_label("The member disputes it").fill("I was quoting a film, not insulting anyone.")
    done.get_by_role("button", name="Record the appeal and reopen").click()
    page.wait_for_url("**msg=appealed")
    reopened = page.locator(f"#item-{item}")
    assert "appealed" in reopened.locator("summary").inner_text()
    reopened.locator("summary").click()
    text = reopened.inner_text()
    assert "I was quoting a film" in text and "decision disputed: Warn" in text
    assert "The reply drafted then:" in text  # the original warning's text is kept
    page.screenshot(path=str(ARTIFACTS / "queue-appeal.png"), full_page=True)
    reopened.get_by_role("button", name="Leave it").click()
    page.wait_for_url("**msg=leave")
    [(outcome, original, decided)] = _db(
        base,
        select(
            moderation_appeals.c.outcome,
            moderation_appeals.c.original_action,
            moderation_appeals.c.decided_action,
        ),
    )
    assert (outcome, original, decided) == ("overturned", "warn", "leave")
    page.close()


def test_the_keyboard_path_through_ten_items(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    ids = _queue(base, cid, [("spam", f"Spam message {n}") for n in range(10)])
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.goto(f"{base}/c/{cid}/moderation?sort=oldest")
    for n in range(10):
        page.keyboard.press("j")
        assert page.locator(".moderation-item.current").get_attribute("data-item") == str(ids[n])
    page.keyboard.press("k")
    assert page.locator(".moderation-item.current").get_attribute("data-item") == str(ids[8])
    page.keyboard.press("x")
    assert page.locator(f"#item-{ids[8]} input.select").is_checked()
    page.keyboard.press("o")
    assert page.locator(f"#item-{ids[8]} details").get_attribute("open") is not None
    page.reload()
    for n in range(10):  # j then a: the first item, acted on as suggested; the page reloads
        page.keyboard.press("j")
        assert page.locator(".moderation-item.current").get_attribute("data-item") == str(ids[n])
        with page.expect_navigation():
            page.keyboard.press("a")
    assert "No item matches." in page.locator(".queue-count").inner_text()
    statuses = _db(base, select(moderation_items.c.action).where(moderation_items.c.id.in_(ids)))
    assert [a for (a,) in statuses] == ["remove"] * 10
    page.close()


def _draft(base: str, cid: int, count: int) -> list[int]:
    """Drafted welcome messages to the community's members, due one hour apart; ids as listed (the
    latest due first)."""
    from tending.actions.outbox import do_draft_message
    from tending.store.communities import get_community_by_id
    from tending.store.schema import members

    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    with engine.begin() as conn:
        community = get_community_by_id(conn, cid)
        people = [int(i) for i in conn.execute(select(members.c.id).limit(count)).scalars()]
        ids = [
            do_draft_message(
                conn,
                community,
                member_ids=[people[n % len(people)]],
                rule="welcome",
                channel="private",
                body=f"Welcome to the group! (message {n})",
                due_at=NOW + timedelta(days=30, hours=n),
                key=f"keys:{n}",
            )
            for n in range(count)
        ]
    engine.dispose()
    return [int(i) for i in reversed(ids) if i is not None]


def _message_status(base: str, message_id: int) -> str:
    from tending.store.outbox import outbox

    [(status,)] = _db(base, select(outbox.c.status).where(outbox.c.id == message_id))
    return str(status)


def test_the_outbox_keyboard_path(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    first, second, third = _draft(base, cid, 3)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.goto(f"{base}/c/{cid}/onboarding?rule=welcome")
    current = page.locator(".outbox-message.current")
    for expected in (first, second, third, third):  # j stops at the last message
        page.keyboard.press("j")
        assert current.get_attribute("data-message") == str(expected)
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert current.get_attribute("data-message") == str(first)
    page.keyboard.press("x")
    assert page.locator(f"#message-{first} input.select").is_checked()
    page.keyboard.press("o")  # opens the text: keys typed now are the text's
    body = page.locator(f"#body-{first}")
    assert body.evaluate("el => el === document.activeElement")
    page.keyboard.press("End")
    page.keyboard.type(" js")
    assert body.input_value().endswith("(message 2) js")
    assert current.get_attribute("data-message") == str(first)
    page.keyboard.press("Escape")  # back to the row; j moves again
    assert not body.evaluate("el => el === document.activeElement")
    page.keyboard.press("j")
    assert current.get_attribute("data-message") == str(second)
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "Message approved" in page.locator("main").inner_text()
    page.goto(f"{base}/c/{cid}/onboarding?rule=welcome")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert current.get_attribute("data-message") == str(third)
    with page.expect_navigation():
        page.keyboard.press("s")
    assert "Message skipped" in page.locator("main").inner_text()
    statuses = [_message_status(base, i) for i in (first, second, third)]
    assert statuses == ["drafted", "approved", "skipped"]  # the unsaved edit changed nothing
    with page.expect_navigation():
        page.keyboard.press("u")  # undoes the skip, the latest decision
    assert "Undone: the messages are drafted again." in page.locator("main").inner_text()
    assert _message_status(base, third) == "drafted"
    page.close()
