"""Team notices: a new high-severity item (or an alert, or an appeal) posts a short notice to the team's
channel through the delivery layer: e-mail (a real SMTP sink), a Slack or a Discord incoming webhook
(local servers answering as their docs show), a Matrix room (a real Synapse). No message text unless the
team opts in; at most notify.per_hour an hour, the next notice counting those held back."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tending.actions.delivery import DeliveryCounts, deliver_due, make_router
from tending.actions.moderation import do_scan_community
from tending.actions.notices import NOTICE_RULE, notify_team
from tending.models import Community
from tending.store.communities import do_update_community_settings
from tending.store.outbox import list_messages
from tests.conftest import CliResult
from tests.moderation.conftest import INSULT, T0, build_story

from .servers import free_port
from .test_smtp import smtp_server

WEBHOOK_PATH = "/services/T000/B000/XXXXSECRET"


def team(engine: Engine, tmp_path: Path, **notify: Any) -> tuple[Community, Path]:
    """The moderation story's community with team notices on, scanned: Eve's insult is toxic (high)."""
    story = build_story(engine, tmp_path)
    with engine.begin() as conn:
        community = do_update_community_settings(
            conn, story.community, {"notify": {"enabled": True, **notify}}, actor="ada"
        )
        do_scan_community(conn, community, now=T0 + timedelta(days=6), media_root=story.media)
    return community, story.media


def notices(engine: Engine, community: Community) -> list[Any]:
    with engine.connect() as conn:
        return [m for m in list_messages(conn, community.id) if m.rule == NOTICE_RULE]


def deliver(engine: Engine, community: Community, delivery: dict[str, Any]) -> DeliveryCounts:
    router = make_router(engine, community, delivery)
    try:
        return deliver_due(engine, community, now=T0 + timedelta(days=6), router=router)
    finally:
        router.close()


def test_a_new_toxic_item_is_e_mailed_to_the_team_without_its_text(
    engine: Engine, tmp_path: Path
) -> None:
    community, _media = team(engine, tmp_path, dashboard_url="https://mod.example.org/")
    (notice,) = notices(engine, community)
    assert (notice.channel, notice.status, notice.member_ids) == ("staff", "approved", [])
    with smtp_server() as (sink, port):
        delivery = {
            "staff": "email",
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "tending <bot@example.org>",
                "staff_to": "mods@example.org",
            },
        }
        assert deliver(engine, community, delivery).sent == 1
    ((to, mail),) = sink.received
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert to == ["mods@example.org"]
    assert body.startswith("New toxic item #") and "to review (score 1.00)." in body
    assert f"https://mod.example.org/c/{community.id}/moderation#item-" in body
    assert "gueule" not in body and "Eve" not in body and "gueule" not in mail["Subject"]
    # a second scan finds nothing new: no second notice
    with engine.begin() as conn:
        do_scan_community(conn, community, now=T0 + timedelta(days=7))
    assert len(notices(engine, community)) == 1


def test_the_text_is_quoted_only_when_the_team_opts_in(engine: Engine, tmp_path: Path) -> None:
    community, _media = team(engine, tmp_path, include_text=True)
    (notice,) = notices(engine, community)
    assert f"> {INSULT}" in notice.body


def test_notices_are_off_by_default(engine: Engine, tmp_path: Path) -> None:
    story = build_story(engine, tmp_path)
    with engine.begin() as conn:
        do_scan_community(conn, story.community, now=T0 + timedelta(days=6))
        assert (
            notify_team(conn, story.community, "appeal", subject="a:1", summary="x", now=T0) is None
        )
    assert notices(engine, story.community) == []


def test_the_hourly_limit_holds_notices_back_and_says_so(engine: Engine, tmp_path: Path) -> None:
    community, _media = team(engine, tmp_path, per_hour=1)  # the scan's notice uses the hour's one
    later = T0 + timedelta(days=6, minutes=10)
    with engine.begin() as conn:
        for n in (1, 2):
            held = notify_team(
                conn, community, "appeal", subject=f"appeal:{n}", summary=f"Appeal {n}", now=later
            )
            assert held is None
        after_an_hour = T0 + timedelta(days=6, hours=1, minutes=1)
        posted = notify_team(
            conn, community, "appeal", subject="appeal:3", summary="Appeal 3", now=after_an_hour
        )
        assert posted is not None
    rows = notices(engine, community)
    assert [(m.status, m.skip_reason) for m in rows] == [
        ("approved", None),
        ("skipped", "rate_limited"),
        ("skipped", "rate_limited"),
        ("approved", None),
    ]
    assert rows[-1].body == "Appeal 3\n(2 more notices held back by the hourly limit.)"


@contextmanager
def slack_webhook() -> Iterator[tuple[str, list[Any]]]:
    """Answers as https://api.slack.com/messaging/webhooks shows: POST JSON with "text" -> 200 "ok";
    anything else -> 400 "invalid_payload"; another path -> 404 "no_service"."""
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if self.path != WEBHOOK_PATH:
                status, text = 404, "no_service"
            elif not self.headers.get("Content-Type", "").startswith("application/json") or not (
                isinstance(body, dict) and isinstance(body.get("text"), str) and body["text"]
            ):
                status, text = 400, "invalid_payload"
            else:
                received.append(body)
                status, text = 200, "ok"
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_notice_goes_to_a_slack_incoming_webhook(engine: Engine, tmp_path: Path) -> None:
    community, _media = team(engine, tmp_path)
    with slack_webhook() as (url, received):
        counts = deliver(
            engine,
            community,
            {"staff": "slack", "slack": {"staff_webhook_url": url + WEBHOOK_PATH}},
        )
    assert counts.sent == 1
    ((body,),) = [list(r.values()) for r in received]
    assert body.startswith("New toxic item #") and "gueule" not in body
    (notice,) = notices(engine, community)
    assert notice.status == "sent"


def test_a_wrong_slack_webhook_fails_without_showing_its_address(
    engine: Engine, tmp_path: Path
) -> None:
    community, _media = team(engine, tmp_path)
    with slack_webhook() as (url, _received):
        counts = deliver(
            engine, community, {"staff": "slack", "slack": {"staff_webhook_url": url + "/wrong"}}
        )
    assert counts.failed == 1
    (notice,) = notices(engine, community)
    assert notice.status == "failed" and notice.last_error == "slack: HTTP 404"
    assert "127.0.0.1" not in (notice.last_error or "")


def test_a_notice_goes_to_the_discord_staff_webhook(engine: Engine, tmp_path: Path) -> None:
    from .servers import http_server
    from .test_http_platforms import WEBHOOK_PATH as DISCORD_PATH
    from .test_http_platforms import discord_answer

    community, _media = team(engine, tmp_path)
    with http_server(discord_answer()) as api:
        counts = deliver(
            engine,
            community,
            {"staff": "discord", "discord": {"staff_webhook_url": api.url + DISCORD_PATH}},
        )
    assert counts.sent == 1
    (request,) = api.requests
    assert request.body["content"].startswith("New toxic item #")
    assert request.body["allowed_mentions"] == {"parse": []}


@pytest.mark.synapse
def test_a_notice_goes_to_the_teams_matrix_room(
    engine: Engine, tmp_path: Path, homeserver: Any
) -> None:
    from .test_matrix import accounts, texts

    users = accounts(homeserver)
    bot = users["tending"][1]
    with homeserver.client(bot) as http:
        room = http.post("/_matrix/client/v3/createRoom", json={"preset": "public_chat"}).json()[
            "room_id"
        ]
    community, _media = team(engine, tmp_path)
    delivery = {
        "staff": "matrix",
        "matrix": {"homeserver": homeserver.url, "access_token": bot, "staff_room": room},
    }
    assert deliver(engine, community, delivery).sent == 1
    (text,) = texts(homeserver, users["ada"][1], room)
    assert text.startswith("New toxic item #") and "gueule" not in text


def test_slack_or_discord_need_a_token_or_a_webhook() -> None:
    from tending.delivery.config import check_delivery

    assert check_delivery({"staff": "slack", "slack": {"staff_webhook_url": "https://x"}}) == []
    assert check_delivery({"staff": "slack", "slack": {}}) == [
        "[delivery.slack]: 'token' (or 'staff_webhook_url' for staff notes alone) is needed to "
        "deliver through slack (or the environment variable TENDING_SLACK_TOKEN)."
    ]
    assert check_delivery({"staff": "discord", "discord": {"staff_webhook_url": "https://x"}}) == []
    assert check_delivery({"staff": "discord", "discord": {}})[0].startswith(
        "[delivery.discord]: 'webhook_url' (or 'staff_webhook_url' for staff notes alone)"
    )


def test_the_notices_command_turns_them_on_and_queues_a_test(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    from tending.store import open_store

    db = tmp_path / "t.db"
    engine = open_store(f"sqlite:///{db}")
    story = build_story(engine, tmp_path)
    off = run_cli("--db", str(db), "moderate", "notices", "--test")
    assert off.exit_code == 0
    assert off.stdout == (
        "Team notices of 'Chats diabétiques': off, without message texts, at most 6 an hour.\n"
        "No test notice: notices are off, or the hour's limit is reached.\n"
    )
    on = run_cli(
        "--db",
        str(db),
        "moderate",
        "notices",
        "--on",
        "--per-hour",
        "3",
        "--test",
        "--dashboard-url",
        "https://mod.example.org",
    )
    assert on.exit_code == 0, on.stderr
    assert (
        "on, without message texts, at most 3 an hour, links to https://mod.example.org."
        in on.stdout
    )
    (test,) = notices(engine, story.community)
    assert test.status == "approved" and test.body.startswith("Test notice from tending")
    assert f"Test notice queued as outbox message {test.id}." in on.stdout
    bad = run_cli("--db", str(db), "moderate", "notices", "--dashboard-url", "mod.example.org")
    assert bad.exit_code == 2 and "is not an http(s) address" in bad.stderr
    engine.dispose()
