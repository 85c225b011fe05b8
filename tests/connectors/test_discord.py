"""The discord connector against a local Discord REST API v10 answering as its documentation shows
(tests/connectors/discord_api.py names the pages): first sync by `after` pages, one request when nothing
is new, edits and deletions among the latest page, the same ids as an import of a DiscordChatExporter
file, rate limits, and faults."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.imports import do_import
from tending.connectors.base import Backoff, ConnectorError
from tending.store import open_store
from tests.connectors.discord_api import CHANNEL, TOKEN, USERS, DiscordApi
from tests.connectors.jsonserver import serving

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def connect(engine: Engine, url: str, community: str = "Entraide") -> int:
    connected = do_connect(
        engine,
        "discord",
        CHANNEL,
        community_name=community,
        fields={"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"},
        backoff=FAST,
    )
    return connected.connector.id


def a_channel(api: DiscordApi, messages: int = 0) -> dict[str, str]:
    ids = {"join": api.join("bruno")}
    ids["hello"] = api.say("ada", "Bonjour à tous")
    ids["answer"] = api.say("bruno", "Salut Ada", reply_to=ids["hello"])
    api.react(ids["hello"], "👋", 3)
    for number in range(messages):
        api.say("ada" if number % 2 else "bruno", f"message {number}", minutes=1)
    ids["bot"] = api.say("bot", "Rappel : les règles sont épinglées")
    return ids


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)


@pytest.mark.usefixtures("token")
def test_a_first_sync_pages_forward_and_a_second_costs_one_request(engine: Engine) -> None:
    api = DiscordApi()
    a_channel(api, messages=240)  # 244 messages: more than two pages of 100
    with serving(api) as url:
        connect(engine, url)
        api.requests.clear()
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        assert first.counts.activities_added == 244 and first.counts.members_added == 3
        after = [q.get("after", [None])[0] for p, q in api.requests if p.endswith("/messages")]
        assert after[0] is None and after[1] == "0" and len(after) == 1 + 3  # latest, then 3 pages
        api.requests.clear()
        [idle] = do_sync(engine, backoff=FAST)
        assert idle.ok and idle.records == 0 and idle.requests == 1
        assert api.requests == [(f"/api/v10/channels/{CHANNEL}/messages", {"limit": ["100"]})]
        api.say("ada", "Encore un")
        [later] = do_sync(engine, backoff=FAST)
    assert later.counts.activities_added == 1 and later.requests == 1
    assert scalar(engine, "SELECT count(*) FROM activities") == 245
    assert scalar(engine, "SELECT name FROM channels") == "general"
    assert scalar(engine, "SELECT is_bot FROM members WHERE external_id = :i", i=USERS["bot"]["id"])
    joined = scalar(engine, "SELECT kind FROM activities WHERE text IS NULL AND kind = 'joined'")
    assert joined == "joined"
    [info] = get_connectors(engine)
    assert info.state == "ok" and info.items_fetched == 245
    assert info.cursor["after"] == max(m["id"] for m in api.messages[CHANNEL])


@pytest.mark.usefixtures("token")
def test_edits_update_the_text_and_deletions_are_recorded_once(
    engine: Engine, tmp_path: Path, sqlite_template: Path
) -> None:
    api = DiscordApi()
    ids = a_channel(api, messages=10)
    with serving(api) as url:
        connect(engine, url)
        do_sync(engine, backoff=FAST)
        api.edit(ids["hello"], "Bonjour à toutes et à tous")
        api.delete(ids["answer"])
        [changed] = do_sync(engine, backoff=FAST)
        assert changed.ok, changed.reason
        assert changed.counts.activities_edited == 1 and changed.counts.activities_deleted == 1
        [again] = do_sync(engine, backoff=FAST)
        assert again.counts.activities_edited == 0 and again.counts.activities_deleted == 0
        assert again.records == 0
        # the counts are those of a first sync of the channel as it is now, in another database
        shutil.copy(sqlite_template, tmp_path / "other.db")
        other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
        connect(other, url)
        do_sync(other, backoff=FAST)
    said = "SELECT text FROM activities WHERE source_id = :i"
    assert scalar(engine, said, i=ids["hello"]) == "Bonjour à toutes et à tous"
    assert (
        scalar(engine, "SELECT count(*) FROM activities WHERE source_id = :i", i=ids["answer"]) == 0
    )
    assert scalar(engine, "SELECT count(*) FROM activity_deletions") == 1
    for sql in (
        "SELECT count(*) FROM activities",
        "SELECT sum(replies) FROM member_stats",
        "SELECT sum(posts) FROM member_stats",
        "SELECT sum(contributions) FROM member_stats",
    ):
        assert scalar(engine, sql) == scalar(other, sql), sql
    other.dispose()


@pytest.mark.usefixtures("token")
def test_an_export_import_then_a_sync_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    """The DiscordChatExporter JSON of the same channel (docs/importers.md#discord)."""
    api = DiscordApi()
    a_channel(api, messages=3)
    names = {0: "Default", 19: "Reply", 7: "GuildMemberJoin"}
    export = {
        "guild": {"id": "1089521338000000000", "name": "Entraide"},
        "channel": {"id": CHANNEL, "name": "general"},
        "messages": [
            {
                "id": m["id"],
                "type": names[m["type"]],
                "timestamp": m["timestamp"],
                "timestampEdited": None,
                "content": m["content"],
                "author": {
                    "id": m["author"]["id"],
                    "name": m["author"]["username"],
                    "nickname": m["author"].get("global_name") or m["author"]["username"],
                    "isBot": bool(m["author"].get("bot")),
                },
                "reactions": [
                    {"emoji": {"name": r["emoji"]["name"]}, "count": r["count"]}
                    for r in m.get("reactions", [])
                ],
                **(
                    {"reference": {"messageId": m["message_reference"]["message_id"]}}
                    if "message_reference" in m
                    else {}
                ),
            }
            for m in api.messages[CHANNEL]
        ],
    }
    path = tmp_path / "general.json"
    path.write_text(json.dumps(export))
    imported = do_import(engine, "discord", path, community_name="Entraide")
    assert imported.counts.activities_added == 7
    with serving(api) as url:
        connect(engine, url)
        [synced] = do_sync(engine, backoff=FAST)
    assert synced.ok and synced.records > 0
    assert synced.counts.activities_added == 0 and synced.counts.members_added == 0


@pytest.mark.usefixtures("token")
def test_a_429_waits_what_discord_asks_and_an_empty_bucket_waits_its_reset(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("tending.connectors.base.Http._sleep", staticmethod(waits.append))
    api = DiscordApi()
    a_channel(api)
    with serving(api) as url:
        connect(engine, url)
        api.limited = [0.004]  # Retry-After says 1 (whole seconds); the body says 0.004
        api.empty_bucket_every = 2
        [synced] = do_sync(engine, backoff=Backoff(attempts=3, base_s=0.5, max_wait_s=5))
    assert synced.ok and synced.counts.activities_added == 4
    assert waits[0] == 1.0  # the Retry-After header first, as RFC 9110 says
    assert 0.05 in waits  # X-RateLimit-Reset-After of an emptied bucket


@pytest.mark.usefixtures("token")
def test_faults_fail_the_connector_with_one_sentence_and_store_nothing(engine: Engine) -> None:
    api = DiscordApi()
    a_channel(api)
    with serving(api) as url:
        connect(engine, url)
        api.malformed = [[{"id": "1089", "timestamp": "2026-03-08T10:00:00+00:00", "content": "x"}]]
        [malformed] = do_sync(engine, backoff=FAST)
        assert not malformed.ok and malformed.reason == (
            f"channel {CHANNEL}: message 1089 of Discord's answer has no valid author.id; "
            "nothing was stored."
        )
        assert scalar(engine, "SELECT count(*) FROM activities") == 0
        api.malformed = [{"message": "not a list"}]
        [not_list] = do_sync(engine, backoff=FAST)
        assert not_list.reason == (
            f"channel {CHANNEL}: Discord's answer is not a list of messages; nothing was stored."
        )
        api.token = "reset"
        [refused] = do_sync(engine, backoff=FAST)
        assert refused.reason == (
            "token: Discord refused the bot token (HTTP 401): it is wrong or was reset "
            "(Developer Portal > Bot > Reset Token)."
        )
        api.token = TOKEN
        api.forbidden.add(CHANNEL)
        [forbidden] = do_sync(engine, backoff=FAST)
        assert forbidden.reason is not None and forbidden.reason.startswith(
            f"channel {CHANNEL}: the bot may not read it (HTTP 403, code 50001)"
        )
        api.forbidden.clear()
        [fine] = do_sync(engine, backoff=FAST)
        assert fine.ok and fine.counts.activities_added == 4
        del api.channels[CHANNEL]
        [gone] = do_sync(engine, backoff=FAST)
        assert gone.reason is not None and gone.reason.startswith(
            f"channel {CHANNEL}: Discord knows no such channel (HTTP 404, code 10003)"
        )
    [down] = do_sync(engine, backoff=FAST)  # the server is gone
    assert down.reason is not None and down.reason.startswith("cannot reach 127.0.0.1:")
    for result in (malformed, not_list, refused, forbidden, gone, down):
        assert TOKEN not in (result.reason or "") and "Bonjour" not in (result.reason or "")
    [info] = get_connectors(engine)
    assert info.state == "failing" and info.items_fetched == 4


@pytest.mark.usefixtures("token")
def test_connect_refuses_a_channel_that_is_not_an_id_or_not_found(engine: Engine) -> None:
    api = DiscordApi()
    with pytest.raises(ConnectorError, match="is not a Discord channel id"):
        do_connect(
            engine,
            "discord",
            "#general",
            community_name="Entraide",
            fields={"token": "env:DISCORD_BOT_TOKEN"},
        )
    with serving(api) as url, pytest.raises(ConnectorError, match="knows no such channel"):
        do_connect(
            engine,
            "discord",
            "123",
            community_name="Entraide",
            fields={"token": "env:DISCORD_BOT_TOKEN", "api_url": f"{url}/api/v10"},
            backoff=FAST,
        )
    assert scalar(engine, "SELECT count(*) FROM connectors") == 0


def test_members_yes_brings_join_dates_and_an_unchanged_listing_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /guilds/{id}/members (the Server Members intent): a member who joins without a word."""
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    api = DiscordApi()
    a_channel(api)
    api.member_joins("ada", api.clock, nick="Ada")
    with serving(api) as url:
        do_connect(
            engine,
            "discord",
            CHANNEL,
            community_name="Entraide",
            fields={
                "token": "env:DISCORD_BOT_TOKEN",
                "api_url": f"{url}/api/v10",
                "members": "yes",
            },
            backoff=FAST,
        )
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        [idle] = do_sync(engine, backoff=FAST)
        assert idle.records == 0 and idle.requests == 2  # the latest page, the members' page
        api.member_joins("bruno", api.clock)
        [joined] = do_sync(engine, backoff=FAST)
        assert joined.counts.members_updated == 1
        api.members_intent = False
        [refused] = do_sync(engine, backoff=FAST)
    assert refused.reason is not None and refused.reason.startswith(
        "members: the bot may not list the members of server 1089521338000000000 (HTTP 403, code "
        "50001): turn on its Server Members intent"
    )
    with engine.connect() as conn:
        dates: dict[str, object] = dict(
            conn.execute(text("SELECT external_id, joined_at_exact FROM members")).tuples().all()
        )
    assert dates[USERS["ada"]["id"]] and dates[USERS["bruno"]["id"]]
    assert not dates[USERS["bot"]["id"]]


@pytest.mark.usefixtures("token")
def test_the_cli_says_what_a_sync_edited_and_deleted_and_lists_items_fetched(
    db_url: str, run_cli: Any
) -> None:
    api = DiscordApi()
    ids = a_channel(api)
    with serving(api) as url:
        connected = run_cli(
            "--db",
            db_url,
            "connect",
            "discord",
            CHANNEL,
            "--community",
            "Entraide",
            "token=env:DISCORD_BOT_TOKEN",
            f"api_url={url}/api/v10",
        )
        assert connected.exit_code == 0, connected.stderr
        assert run_cli("--db", db_url, "sync").exit_code == 0
        api.edit(ids["hello"], "Bonjour à toutes et à tous")
        api.delete(ids["answer"])
        synced = run_cli("--db", db_url, "sync")
    assert synced.exit_code == 0 and synced.stdout.startswith(
        "Connector 1 (discord, Entraide): 0 new activities, 0 new members, 0 new threads, "
        "1 edited, 1 deleted; 1 requests"
    )
    listed = run_cli("--db", db_url, "connectors").stdout.splitlines()
    assert listed[0].split() == [
        "ID",
        "COMMUNITY",
        "KIND",
        "STATE",
        "LAST",
        "SYNC",
        "ITEMS",
        "TARGET",
    ]
    assert listed[1].split()[-2:] == ["4", CHANNEL]
    assert "Bonjour" not in synced.stdout + synced.stderr and TOKEN not in synced.stdout
