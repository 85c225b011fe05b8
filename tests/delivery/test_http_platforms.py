"""Discord, Discourse and Slack against a local server that answers like each platform and checks every
request against its documented API (method, path, headers, JSON fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from tending.actions.outbox import SENDING_LEASE, claim_due

from .common import NOW, approved, deliver, message, people
from .servers import Request, http_server

JSON = "application/json"

# -- Discord: https://discord.com/developers/docs/resources/webhook#execute-webhook ------------------------

WEBHOOK_PATH = "/api/webhooks/1234567890/t0ken-SECRET"


def discord_answer(fail_after: int | None = None) -> Any:
    count = {"n": 0}

    def answer(request: Request) -> tuple[int, Any]:
        if request.method != "POST" or request.path != WEBHOOK_PATH:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if not request.headers.get("content-type", "").startswith(JSON) or not isinstance(
            request.body, dict
        ):
            return 400, {"message": "Cannot send an empty message", "code": 50006}
        content = request.body.get("content")
        if not isinstance(content, str) or not content or len(content) > 2000:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        if set(request.body) - {
            "content",
            "username",
            "avatar_url",
            "tts",
            "embeds",
            "allowed_mentions",
        }:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        count["n"] += 1
        if fail_after is not None and count["n"] > fail_after:
            return 503, {"message": "Service unavailable"}
        # with ?wait=true Discord answers 200 and the message object, else 204
        return (
            (200, {"id": f"11{count['n']:03d}", "content": content})
            if request.query.get("wait") == ["true"]
            else (204, None)
        )

    return answer


def discord(url: str) -> dict[str, Any]:
    return {"post": "discord", "discord": {"webhook_url": url + WEBHOOK_PATH}}


def test_discord_posts_the_weekly_welcome_through_the_webhook(engine: Engine) -> None:
    story = people(engine)
    post = approved(
        engine, story, channel="post", who=["ada", "bruno"], body="Welcome to:\n- Ada\n- Bruno"
    )
    with http_server(discord_answer()) as api:
        assert deliver(engine, story, discord(api.url)).sent == 1
    (request,) = api.requests
    assert request.body == {
        "content": "Welcome to:\n- Ada\n- Bruno",
        "allowed_mentions": {"parse": []},
    }
    assert request.query == {"wait": ["true"]}
    sent = message(engine, story, post)
    assert (sent.status, sent.external_ref) == ("sent", "11001")


def test_a_long_post_goes_in_pieces_and_a_failed_piece_needs_a_human(engine: Engine) -> None:
    story = people(engine)
    body = "\n".join(
        f"- Member number {i:03d} with a long enough name" for i in range(100)
    )  # ~4,700 chars
    post = approved(engine, story, channel="post", who=["ada"], body=body)
    with http_server(discord_answer()) as api:
        deliver(engine, story, discord(api.url))
    pieces = [r.body["content"] for r in api.requests]
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces) and "\n".join(pieces) == body
    assert message(engine, story, post).status == "sent"
    second = approved(engine, story, channel="post", who=["bruno"], body=body, key="again")
    with http_server(discord_answer(fail_after=1)) as api:
        counts = deliver(engine, story, discord(api.url))
    after = message(engine, story, second)
    assert counts.needs_check == 1 and (after.status, after.needs_check) == ("failed", True)
    assert after.last_error == "discord: HTTP 503 (Service unavailable) after 1 part(s) went out"
    assert "t0ken" not in (after.last_error or "")


# -- Discourse: https://docs.discourse.org/#tag/Posts/operation/createTopicPostPM --------------------------


def discourse_answer(request: Request) -> tuple[int, Any]:
    if (
        request.headers.get("api-key") != "d1sc0urse-key"
        or request.headers.get("api-username") != "system"
    ):
        return 403, {
            "errors": ["You are not permitted to view the requested resource."],
            "error_type": "invalid_access",
        }
    if request.method != "POST" or request.path != "/posts.json":
        return 404, {"errors": ["The requested URL or resource could not be found."]}
    body = request.body if isinstance(request.body, dict) else {}
    raw = body.get("raw")
    if not isinstance(raw, str) or len(raw) < 10:
        return 422, {"errors": ["Body is too short (minimum is 10 characters)"]}
    if body.get("archetype") == "private_message":
        if not body.get("title") or not isinstance(body.get("target_recipients"), str):
            return 422, {"errors": ["Title can't be blank"]}
        return 200, {"id": 501, "topic_id": 77, "raw": raw}
    if not isinstance(body.get("topic_id"), int):
        return 422, {"errors": ["Title can't be blank"]}
    return 200, {"id": 502, "topic_id": body["topic_id"], "raw": raw}


def test_discourse_private_message_and_reply(engine: Engine) -> None:
    story = people(engine, platform="discourse")
    private = approved(
        engine,
        story,
        channel="private",
        who=["ada"],
        subject="Bienvenue, Ada !",
        body="Bonjour Ada, bienvenue parmi nous.",
    )
    post = approved(
        engine, story, channel="post", who=["ada", "bruno"], body="Welcome to Ada and Bruno!"
    )
    with http_server(discourse_answer) as api:
        settings = {
            "post": "discourse",
            "discourse": {"url": api.url, "api_key": "d1sc0urse-key", "post_topic_id": 12},
        }
        assert deliver(engine, story, settings).sent == 2
    pm, reply = api.requests
    assert pm.body == {
        "title": "Bienvenue, Ada !",
        "raw": "Bonjour Ada, bienvenue parmi nous.",
        "archetype": "private_message",
        "target_recipients": "ada_l",
    }
    assert reply.body == {"topic_id": 12, "raw": "Welcome to Ada and Bruno!"}
    assert message(engine, story, private).external_ref == "topic 77 post 501"
    assert message(engine, story, post).external_ref == "topic 12 post 502"


def test_discourse_refusal_is_not_retried(engine: Engine) -> None:
    story = people(engine, platform="discourse")
    private = approved(
        engine, story, channel="private", who=["ada"], body="Bonjour Ada, bienvenue."
    )
    with http_server(discourse_answer) as api:
        deliver(engine, story, {"discourse": {"url": api.url, "api_key": "wrong"}})
    after = message(engine, story, private)
    assert after.status == "failed"
    assert (
        after.last_error
        == "discourse: HTTP 403 (You are not permitted to view the requested resource.)"
    )


# -- Slack: https://api.slack.com/methods/chat.postMessage -----------------------------------------------


def slack_answer(request: Request) -> tuple[int, Any]:
    if request.method != "POST" or request.path != "/api/chat.postMessage":
        return 404, {"ok": False, "error": "unknown_method"}
    if request.headers.get("authorization") != "Bearer xoxb-test-token":
        return 200, {"ok": False, "error": "invalid_auth"}
    if request.headers.get("content-type") != "application/json; charset=utf-8":
        return 200, {"ok": False, "error": "invalid_form_data"}
    body = request.body if isinstance(request.body, dict) else {}
    if not body.get("channel"):
        return 200, {"ok": False, "error": "channel_not_found"}
    if not body.get("text"):
        return 200, {"ok": False, "error": "no_text"}
    return 200, {
        "ok": True,
        "channel": body["channel"],
        "ts": "1700000000.000100",
        "message": {"text": body["text"]},
    }


def slack(url: str, token: str = "xoxb-test-token") -> dict[str, Any]:
    return {
        "post": "slack",
        "slack": {"token": token, "post_channel": "C0WELCOME", "api_url": url + "/api"},
    }


def test_slack_direct_message_and_channel_post(engine: Engine) -> None:
    story = people(engine, platform="slack", ada="U0ADA", bruno="U0BRUNO", chloe="U0CHLOE")
    private = approved(engine, story, channel="private", who=["ada"], body="Bonjour Ada ✨")
    approved(engine, story, channel="post", who=["bruno"], body="Welcome Bruno!")
    with http_server(slack_answer) as api:
        assert deliver(engine, story, slack(api.url)).sent == 2
    assert [r.body for r in api.requests] == [
        {"channel": "U0ADA", "text": "Bonjour Ada ✨"},
        {"channel": "C0WELCOME", "text": "Welcome Bruno!"},
    ]
    assert message(engine, story, private).external_ref == "U0ADA/1700000000.000100"


def test_slack_refused_token_fails_without_showing_it(engine: Engine) -> None:
    story = people(engine, platform="slack", ada="U0ADA", bruno="U0BRUNO", chloe="U0CHLOE")
    private = approved(engine, story, channel="private", who=["ada"])
    with http_server(slack_answer) as api:
        deliver(engine, story, slack(api.url, token="xoxb-wrong"))
    after = message(engine, story, private)
    assert (after.status, after.last_error) == ("failed", "slack: invalid_auth")


def test_a_crash_mid_send_on_slack_is_marked_for_a_human_not_resent(engine: Engine) -> None:
    story = people(engine, platform="slack", ada="U0ADA", bruno="U0BRUNO", chloe="U0CHLOE")
    private = approved(engine, story, channel="private", who=["ada"])
    with engine.begin() as conn:
        claim_due(
            conn, story.community, now=NOW
        )  # the worker claims it, then dies before recording
    with http_server(slack_answer) as api:
        counts = deliver(
            engine, story, slack(api.url), now=NOW + SENDING_LEASE + timedelta(seconds=1)
        )
    after = message(engine, story, private)
    assert api.requests == [] and counts.recovered == 1
    assert (after.status, after.needs_check) == ("failed", True)
