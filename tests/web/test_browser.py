"""End to end in a real headless Chromium: log in, filter inactive members, switch language, toggle
do-not-contact, import a file, and read the pages on a phone-sized screen.

Screenshots go to test-artifacts/web/ (gitignored). Needs Debian's chromium (/usr/bin/chromium; `.ci/run`
installs it); without it these tests skip and say why. Never `playwright install`.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tending.store import open_store
from tending.web import create_app
from tests.web.conftest import EMAILS, NOW, PASSWORD, seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SERVER_URLS: dict[int, str] = {}  # port -> database URL, for tests that set state before browsing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, int]]:
    import uvicorn

    path = tmp_path / "tending.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = open_store(url)
    community_id = seed(engine)
    engine.dispose()
    app = create_app(url, secret_key="browser test")
    app.state.web.clock = lambda: NOW
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv_server = uvicorn.Server(config)
    thread = threading.Thread(target=uv_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard did not start")
        time.sleep(0.05)
    SERVER_URLS[port] = url
    yield f"http://127.0.0.1:{port}", community_id
    uv_server.should_exit = True
    thread.join(timeout=10)
    app.state.web.engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "headless Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; "
            ".ci/run installs it)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "the Python playwright package is not installed (uv sync installs the dev group)"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def log_in(page: Any, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(EMAILS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/c/*/overview")


def test_a_moderator_finds_chloe_inactive_and_marks_her_do_not_contact(
    server: tuple[str, int], browser: Any
) -> None:
    base, _cid = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.screenshot(path=str(ARTIFACTS / "login.png"))
    log_in(page, base, "moderator")
    assert page.locator("dl.figures dd").first.inner_text() == "4"
    assert page.locator("svg.chart").count() == 4
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    page.get_by_role("link", name="Members").click()
    page.get_by_label("Inactive for (days)").fill("60")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/members?*inactive=60*")
    names = page.locator("table.members tbody th a").all_inner_texts()
    assert names == ["Chloé Dubois"]
    page.screenshot(path=str(ARTIFACTS / "members-inactive.png"), full_page=True)

    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert (
        page.get_by_label("Inactifs depuis (jours)").input_value() == "60"
    )  # the filter survived the switch

    page.get_by_role("link", name="Chloé Dubois").click()
    page.get_by_role("button", name="Marquer «\u00a0ne pas contacter\u00a0»").click()
    page.wait_for_load_state()
    assert "Ne pas contacter\u00a0: oui." in page.locator("#dnc-state").inner_text()
    assert (
        page.get_by_role("status")
        .first.inner_text()
        .startswith("«\u00a0Ne pas contacter\u00a0» est activé")
    )
    page.screenshot(path=str(ARTIFACTS / "member-fr.png"), full_page=True)
    page.close()


def test_the_keyboard_reaches_the_content_first(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    page = browser.new_page()
    log_in(page, base, "viewer")
    page.goto(f"{base}/c/{cid}/members")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.close()


def test_pages_fit_a_phone(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    page = browser.new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    log_in(page, base, "admin")
    for name in ("/settings", "/setup", "setup", "onboarding", "overview", "members", "imports"):
        page.goto(f"{base}{name}" if name.startswith("/") else f"{base}/c/{cid}/{name}")
        assert page.title() and "Not Found" not in page.content()
        name = "community-setup" if name == "setup" else name.strip("/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways on a phone"
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible() and not page.get_by_role("link", name="Members").is_visible()
    menu.click()
    assert page.get_by_role("link", name="Members").is_visible()
    page.close()


def test_an_admin_imports_a_file(server: tuple[str, int], browser: Any, tmp_path: Path) -> None:
    base, cid = server
    page = browser.new_page()
    log_in(page, base, "admin")
    page.goto(f"{base}/c/{cid}/imports")
    export = tmp_path / "late-joiners.jsonl"
    export.write_text(
        '{"member_id": "fay", "member_name": "Fay", "kind": "post", '
        '"occurred_at": "2026-03-01T10:00:00Z", "thread_id": "t9", "source_id": "f1"}\n'
    )
    page.get_by_label("Kind of export").select_option("jsonl")
    page.get_by_label("File", exact=False).set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector(".uploads li.status-done, .uploads li.status-failed", timeout=30_000)
    for _ in range(60):
        page.reload()
        if page.locator(".uploads li.status-running").count() == 0:
            break
        time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "imports.png"), full_page=True)
    assert page.locator(".uploads li.status-done").count() == 1, page.locator(
        ".uploads"
    ).inner_text()
    page.close()


def test_a_moderator_edits_and_approves_a_welcome_message(
    server: tuple[str, int], browser: Any
) -> None:
    try:
        from tending.actions.outbox import do_draft_message
    except ImportError:
        pytest.skip("the onboarding capability (tending.actions.outbox) is not installed")
    from sqlalchemy import select

    from tending.store.communities import get_community_by_id
    from tending.store.outbox import get_message
    from tending.store.schema import members

    base, cid = server
    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    with engine.begin() as conn:
        eve = conn.execute(select(members.c.id).where(members.c.external_id == "eve")).scalar_one()
        message_id = do_draft_message(
            conn,
            get_community_by_id(conn, cid),
            member_ids=[eve],
            rule="welcome",
            channel="private",
            body="Welcome Eve!",
            due_at=NOW,
            key="welcome:eve",
        )
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.get_by_role("link", name="Onboarding").click()
    page.get_by_label("Message").fill("Welcome, Eve! Tell us about your cat.")
    page.get_by_role("button", name="Save the message").click()
    page.wait_for_url("**msg=edited")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**msg=approved")
    page.screenshot(path=str(ARTIFACTS / "onboarding.png"), full_page=True)
    with engine.connect() as conn:
        message = get_message(conn, cid, int(message_id or 0))
    engine.dispose()
    assert message is not None and message.status == "approved"
    assert message.body == "Welcome, Eve! Tell us about your cat."
    page.close()


def test_a_moderator_drafts_edits_and_approves_a_check_in(
    server: tuple[str, int], browser: Any
) -> None:
    from tending.store.outbox import list_messages

    base, cid = server
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, base, "moderator")
    page.get_by_role("link", name="Check-ins").click()
    queue = page.locator(".checkin-queue h3 a").all_inner_texts()
    assert queue == ["Chloé Dubois"]
    page.screenshot(path=str(ARTIFACTS / "checkins-queue.png"), full_page=True)
    page.get_by_role("button", name="Draft a private message").click()
    page.wait_for_url("**msg=drafted")
    assert page.locator(".checkin-queue").count() == 0  # she left the queue
    page.get_by_label("Private message").fill(
        "Hi Chloé, how is your cat doing? We'd love to hear from you."
    )
    page.get_by_role("button", name="Save the message").click()
    page.wait_for_url("**msg=edited")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**msg=approved")
    assert page.get_by_role("button", name="Send now").is_visible()
    page.screenshot(path=str(ARTIFACTS / "checkins-approved.png"), full_page=True)
    page.close()
    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    with engine.connect() as conn:
        (message,) = list_messages(conn, cid, limit=10)
    engine.dispose()
    assert (message.rule, message.channel, message.status) == ("checkin", "private", "approved")
    assert message.body == "Hi Chloé, how is your cat doing? We'd love to hear from you."


def test_a_moderator_edits_the_suggested_reply_and_nudges(
    server: tuple[str, int], browser: Any, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tending.actions import moderation
    from tests.moderation.conftest import T0, build_story

    base, _cid = server
    engine = open_store(SERVER_URLS[int(base.rsplit(":", 1)[1])])
    story = build_story(engine, tmp_path)
    with engine.begin() as conn:
        moderation.do_scan_community(
            conn, story.community, now=T0 + timedelta(days=6), media_root=story.media
        )
    cid = story.community.id
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    log_in(page, base, "moderator")
    page.goto(f"{base}/c/{cid}/moderation")
    page.screenshot(path=str(ARTIFACTS / "moderation-queue.png"), full_page=True)
    item = page.locator("li.moderation-item.signal-self_promotion")
    assert "Check out my YouTube channel" in item.inner_text()
    item.locator("summary").click()  # a compact row: it expands to the evidence and the editor
    reply = "Welcome Bruno! What made you join us? Tell us about your cat."
    item.get_by_label("Reply drafted by", exact=False).fill(reply)
    item.get_by_role("button", name="Nudge (public reply)").click()
    page.wait_for_url("**msg=nudge")
    assert page.locator("li.moderation-item.signal-self_promotion").count() == 0
    page.get_by_role("link", name="Handled").click()
    done = page.locator("li.moderation-item.signal-self_promotion")
    done.locator("summary").click()
    assert "Welcome Bruno! What made you join us?" in done.inner_text()
    page.screenshot(path=str(ARTIFACTS / "moderation-handled.png"), full_page=True)
    page.close()
    engine.dispose()


def test_new_pages_fit_a_phone(server: tuple[str, int], browser: Any) -> None:
    base, cid = server
    page = browser.new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    log_in(page, base, "moderator")
    for name in ("checkins", "moderation", "members?state=active"):
        page.goto(f"{base}/c/{cid}/{name}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways on a phone"
        page.screenshot(path=str(ARTIFACTS / f"phone-{name.split('?')[0]}.png"), full_page=True)
    page.close()
