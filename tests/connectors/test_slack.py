"""The slack connector against a local Slack Web API answering as its documentation shows
(tests/connectors/slack_api.py names the pages): cursor pagination, threads through
conversations.replies, edits, deletions and tombstones, one request when nothing is new, the same ids
as an import of a workspace export, `ok: false` errors and 429 ratelimited."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.imports import do_import
from tending.connectors.base import Backoff, ConnectorError
from tending.store import open_store
from tests.connectors.jsonserver import serving
from tests.connectors.slack_api import CHANNEL, TOKEN, USERS, SlackApi

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)
ADA, BRUNO = USERS[0]["id"], USERS[1]["id"]


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def connect(engine: Engine, url: str) -> int:
    connected = do_connect(
        engine,
        "slack",
        CHANNEL,
        community_name="Entraide",
        fields={"token": "env:SLACK_BOT_TOKEN", "api_url": url},
        backoff=FAST,
    )
    return connected.connector.id


def a_channel(api: SlackApi, messages: int = 0) -> dict[str, str]:
    ids = {"join": api.join(BRUNO)}
    ids["question"] = api.say(ADA, "Qui connaît un bon vétérinaire ?")
    ids["answer"] = api.reply(ids["question"], BRUNO, "Le Dr Martin, rue Haute")
    api.react(ids["question"], "eyes", [BRUNO])
    for number in range(messages):
        api.say(ADA if number % 2 else BRUNO, f"message {number}")
    ids["last"] = api.say(ADA, "Merci à tous")
    return ids


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)


@pytest.mark.usefixtures("token")
def test_a_first_sync_follows_the_cursor_and_the_threads_and_a_second_costs_one_request(
    engine: Engine,
) -> None:
    api = SlackApi()
    ids = a_channel(api, messages=450)  # 453 of the channel's own: three pages of 200
    with serving(api) as url:
        connected = do_connect(
            engine,
            "slack",
            CHANNEL,
            community_name="Entraide",
            fields={"token": "env:SLACK_BOT_TOKEN", "api_url": url},
            backoff=FAST,
        )
        assert connected.seen.summary.startswith("the channel #general of Entraide: messages")
        api.calls.clear()
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        # the join, 452 messages, a reply and a reaction; ada and bruno from users.list
        assert first.counts.activities_added == 1 + 452 + 1 + 1
        assert first.counts.members_added == 2
        methods = [m for m, _ in api.calls]
        assert methods.count("conversations.history") == 3
        assert methods.count("conversations.replies") == 1 and methods.count("users.list") == 1
        assert [p.get("cursor") for m, p in api.calls if m == "conversations.history"][1:] != [
            None,
            None,
        ]
        api.calls.clear()
        [idle] = do_sync(engine, backoff=FAST)
        assert idle.ok and idle.records == 0 and idle.requests == 1
        assert [m for m, _ in api.calls] == ["conversations.history"]
        api.say(ADA, "Et un de plus")
        [later] = do_sync(engine, backoff=FAST)
    assert later.counts.activities_added == 1 and later.requests == 1
    with engine.connect() as conn:
        reply = conn.execute(
            text("SELECT kind, parent_id IS NOT NULL FROM activities WHERE source_id = :i"),
            {"i": f"{CHANNEL}:{ids['answer']}"},
        ).one()
        joined = conn.execute(text("SELECT count(*) FROM activities WHERE kind = 'joined'"))
        assert tuple(reply) == ("reply", True) and joined.scalar_one() == 1
        names: dict[str, str | None] = dict(
            conn.execute(text("SELECT external_id, display_name FROM members")).tuples().all()
        )
    assert names == {ADA: "ada", BRUNO: "Bruno Diaz"}
    assert scalar(engine, "SELECT is_staff FROM members WHERE external_id = :i", i=ADA)
    [info] = get_connectors(engine)
    assert info.items_fetched == 456 and info.cursor["latest_ts"] == api.messages[-1]["ts"]


@pytest.mark.usefixtures("token")
def test_edits_deletions_and_new_replies_are_followed_and_a_resync_changes_nothing(
    engine: Engine, tmp_path: Path, sqlite_template: Path
) -> None:
    api = SlackApi()
    ids = a_channel(api, messages=5)
    with serving(api) as url:
        connect(engine, url)
        do_sync(engine, backoff=FAST)
        api.edit(ids["last"], "Merci à toutes et à tous")
        api.edit(ids["answer"], "Le Dr Martin, rue Haute, le matin")
        late = api.reply(ids["question"], ADA, "Merci Bruno")
        api.delete(api.messages[3]["ts"])  # one of the numbered messages
        [changed] = do_sync(engine, backoff=FAST)
        assert changed.ok, changed.reason
        assert changed.counts.activities_added == 1  # the late reply
        assert changed.counts.activities_edited == 2 and changed.counts.activities_deleted == 1
        api.delete(ids["question"])  # a parent with replies: a tombstone, its replies stay
        [tombstone] = do_sync(engine, backoff=FAST)
        assert tombstone.counts.activities_deleted == 1
        [again] = do_sync(engine, backoff=FAST)
        assert again.records == 0 and again.requests == 1
        shutil.copy(sqlite_template, tmp_path / "other.db")
        other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
        connect(other, url)
        [fresh] = do_sync(other, backoff=FAST)
    said = "SELECT text FROM activities WHERE source_id = :i"
    assert scalar(engine, said, i=f"{CHANNEL}:{ids['last']}") == "Merci à toutes et à tous"
    assert scalar(engine, said, i=f"{CHANNEL}:{ids['answer']}") == (
        "Le Dr Martin, rue Haute, le matin"
    )
    assert scalar(engine, said, i=f"{CHANNEL}:{late}") == "Merci Bruno"
    # the tombstone's replies are not read again by a first sync (its parent has no reply_count
    # worth reading in history): compare what both hold of the channel's own messages
    own = (
        "SELECT count(*) FROM activities WHERE kind IN ('post', 'joined', 'reaction') "
        "OR (kind = 'reply' AND parent_source_id IS NULL)"
    )
    assert scalar(engine, own) == scalar(other, own)
    assert fresh.ok
    other.dispose()


@pytest.mark.usefixtures("token")
def test_an_export_import_then_a_sync_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    """A workspace export (docs/importers.md#slack): users.json, channels.json, a folder per channel."""
    api = SlackApi()
    ids = a_channel(api, messages=3)
    folder = tmp_path / "export"
    (folder / "general").mkdir(parents=True)
    (folder / "users.json").write_text(json.dumps(USERS))
    (folder / "channels.json").write_text(
        json.dumps([{"id": CHANNEL, "name": "general", "is_general": True}])
    )
    day = [*api.messages, *api.replies[ids["question"]]]
    (folder / "general" / "2026-03-08.json").write_text(json.dumps(day))
    imported = do_import(engine, "slack", folder, community_name="Entraide")
    assert imported.counts.activities_added == 1 + 5 + 1 + 1
    with serving(api) as url:
        connect(engine, url)
        [synced] = do_sync(engine, backoff=FAST)
    assert synced.ok and synced.records > 0
    assert synced.counts.activities_added == 0 and synced.counts.members_added == 0


@pytest.mark.usefixtures("token")
def test_a_429_waits_its_retry_after(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("tending.connectors.base.Http._sleep", staticmethod(waits.append))
    api = SlackApi()
    a_channel(api)
    with serving(api) as url:
        connect(engine, url)
        api.limited = [7, 3]
        [synced] = do_sync(engine, backoff=Backoff(attempts=4, base_s=0.5, max_wait_s=60))
        assert synced.ok and waits == [7.0, 3.0]
        api.limited = [30, 30, 30, 30]
        api.say(ADA, "Encore")
        [limited] = do_sync(engine, backoff=Backoff(attempts=4, base_s=0.5, max_wait_s=60))
    assert not limited.ok and limited.reason is not None
    assert "still limits the rate after 4 tries (HTTP 429)" in limited.reason


@pytest.mark.usefixtures("token")
def test_ok_false_errors_fail_the_connector_with_one_sentence_and_store_nothing(
    engine: Engine,
) -> None:
    api = SlackApi()
    a_channel(api)
    with serving(api) as url:
        connect(engine, url)
        api.broken = [{"ok": True, "has_more": False}]
        [broken] = do_sync(engine, backoff=FAST)
        assert broken.reason == (
            f"channel {CHANNEL}: Slack's conversations.history has no `messages` list; "
            "nothing was stored."
        )
        api.broken = [{"ok": True, "messages": [{"type": "message", "user": ADA, "text": "x"}]}]
        [no_ts] = do_sync(engine, backoff=FAST)
        assert no_ts.reason == (
            f"channel {CHANNEL}: a message of Slack's conversations.history has no valid ts; "
            "nothing was stored."
        )
        assert scalar(engine, "SELECT count(*) FROM activities") == 0
        api.members_of.clear()
        [outside] = do_sync(engine, backoff=FAST)
        assert outside.reason is not None and outside.reason.startswith(
            f"channel {CHANNEL}: the app is not a member (conversations.history: not_in_channel)"
        )
        api.members_of.add(CHANNEL)
        api.scopes.discard("channels:history")
        [scope] = do_sync(engine, backoff=FAST)
        assert scope.reason is not None and scope.reason.startswith(
            "token: the app lacks a scope for conversations.history (missing_scope, needed: "
            "channels:history)"
        )
        api.scopes.add("channels:history")
        api.token = "xoxb-revoked"
        [refused] = do_sync(engine, backoff=FAST)
        assert refused.reason == (
            "token: Slack refused the token (conversations.info: invalid_auth): it is wrong, "
            "revoked or expired; install the app again for a new one."
        )
        api.token = TOKEN
        del api.channels[CHANNEL]
        [gone] = do_sync(engine, backoff=FAST)
        assert gone.reason is not None and gone.reason.startswith(
            f"channel {CHANNEL}: Slack finds no such channel (conversations.info: "
            "channel_not_found)"
        )
    [down] = do_sync(engine, backoff=FAST)
    assert down.reason is not None and down.reason.startswith("cannot reach 127.0.0.1:")
    for result in (broken, no_ts, outside, scope, refused, gone, down):
        assert TOKEN not in (result.reason or "") and "vétérinaire" not in (result.reason or "")
    assert scalar(engine, "SELECT count(*) FROM activities") == 0
    [info] = get_connectors(engine)
    assert info.state == "failing" and info.cursor.get("latest_ts") is None


@pytest.mark.usefixtures("token")
def test_connect_refuses_what_is_not_a_channel_id_and_records_nothing(engine: Engine) -> None:
    api = SlackApi()
    with pytest.raises(ConnectorError, match="is not a Slack channel id"):
        do_connect(
            engine,
            "slack",
            "#general",
            community_name="Entraide",
            fields={"token": "env:SLACK_BOT_TOKEN"},
        )
    with serving(api) as url, pytest.raises(ConnectorError, match="channel_not_found"):
        do_connect(
            engine,
            "slack",
            "C999NOPE",
            community_name="Entraide",
            fields={"token": "env:SLACK_BOT_TOKEN", "api_url": url},
            backoff=FAST,
        )
    assert scalar(engine, "SELECT count(*) FROM connectors") == 0
