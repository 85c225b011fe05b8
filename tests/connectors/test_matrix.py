"""The matrix connector against a real Synapse homeserver on 127.0.0.1 (the delivery tests' one:
scripts/synapse-for-tests), through the client-server API as spec.matrix.org v1.11 describes it:
/sync with since, /rooms/{id}/messages to fill gaps, m.room.member, m.room.message (m.in_reply_to),
m.reaction (m.annotation)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.connectors import matrix
from tending.connectors.base import Backoff
from tests.delivery.synapse import Homeserver

pytestmark = pytest.mark.synapse
FAST = Backoff(attempts=2, base_s=0.001, max_wait_s=0.01)
_n = itertools.count(1)
_txn = itertools.count(1)


def send(http: httpx.Client, room: str, kind: str, content: dict[str, Any]) -> str:
    answer = http.put(f"/_matrix/client/v3/rooms/{room}/send/{kind}/t{next(_txn)}", json=content)
    answer.raise_for_status()
    return str(answer.json()["event_id"])


def kinds(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                text(
                    "SELECT m.external_id, a.kind FROM activities a JOIN identities m ON m.member_id = a.member_id "
                    "ORDER BY a.occurred_at, a.id"
                )
            )
        ]


def test_a_room_is_synced_then_kept_current(
    engine: Engine, homeserver: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = next(_n)
    (bot, bot_token), (ada, ada_token), (bruno, bruno_token) = (
        homeserver.register(f"{name}c{n}") for name in ("tending", "ada", "bruno")
    )
    with (
        homeserver.client(ada_token) as as_ada,
        homeserver.client(bruno_token) as as_bruno,
        homeserver.client(bot_token) as as_bot,
    ):
        room = as_ada.post(
            "/_matrix/client/v3/createRoom",
            json={"name": "Entraide", "invite": [bot, bruno], "preset": "private_chat"},
        ).json()["room_id"]
        as_bot.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
        as_bruno.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
        hello = send(
            as_ada, room, "m.room.message", {"msgtype": "m.text", "body": "Bonjour à tous"}
        )
        send(
            as_bruno,
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "Salut Ada",
                "m.relates_to": {"m.in_reply_to": {"event_id": hello}},
            },
        )
        send(
            as_bruno,
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": hello, "key": "👍"}},
        )
        monkeypatch.setenv("BOT_TOKEN", bot_token)
        fields = {"homeserver": homeserver.url, "access_token": "env:BOT_TOKEN"}
        connected = do_connect(
            engine, "matrix", room, community_name="Entraide", fields=fields, backoff=FAST
        )
        assert connected.seen.summary.startswith(f"room {room} as {bot}: 3 members")
        monkeypatch.setattr(
            matrix, "TIMELINE_LIMIT", 2
        )  # the first /sync shows 2 events: the rest is a gap
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok, first.reason
        assert (
            first.requests == 4
        )  # whoami, /sync, two pages of /messages (the second empty: the start)
        assert kinds(engine) == [
            (ada, "joined"),
            (bot, "joined"),
            (bruno, "joined"),
            (ada, "post"),
            (bruno, "reply"),
            (bruno, "reaction"),
        ]
        [idle] = do_sync(engine, backoff=FAST)
        assert idle.ok and idle.records == 0 and idle.requests == 1
        send(as_ada, room, "m.room.message", {"msgtype": "m.text", "body": "Qui vient samedi ?"})
        as_bruno.post(f"/_matrix/client/v3/rooms/{room}/leave").raise_for_status()
        [later] = do_sync(engine, backoff=FAST)
        assert later.counts.activities_added == 2
        assert kinds(engine)[-2:] == [(ada, "reply"), (bruno, "left")]
        as_bot.post("/_matrix/client/v3/logout").raise_for_status()  # the token is no longer valid
        [expired] = do_sync(engine, backoff=FAST)
    assert (
        not expired.ok
        and expired.reason is not None
        and "refused access (HTTP 401)" in expired.reason
    )
    assert bot_token not in expired.reason
    [info] = get_connectors(engine)
    assert info.state == "failing" and bot_token not in str(info.as_dict())
    with engine.connect() as conn:
        is_bot = conn.execute(
            text(
                "SELECT m.is_bot FROM members m JOIN identities i ON i.member_id = m.id "
                "WHERE i.external_id = :b"
            ),
            {"b": bot},
        ).scalar_one()
    assert is_bot


def test_an_edit_updates_the_text_and_a_redaction_deletes_once(
    engine: Engine, homeserver: Homeserver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m.replace (spec: Event replacements) and m.room.redaction (spec: Redactions)."""
    n = next(_n)
    (bot, bot_token), (_ada, ada_token) = (
        homeserver.register(f"{name}e{n}") for name in ("tending", "ada")
    )
    with homeserver.client(ada_token) as as_ada, homeserver.client(bot_token) as as_bot:
        room = as_ada.post(
            "/_matrix/client/v3/createRoom",
            json={"name": "Entraide", "invite": [bot], "preset": "private_chat"},
        ).json()["room_id"]
        as_bot.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
        hello = send(as_ada, room, "m.room.message", {"msgtype": "m.text", "body": "Bonjour"})
        oops = send(as_ada, room, "m.room.message", {"msgtype": "m.text", "body": "mon numéro"})
        liked = send(
            as_ada,
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": hello, "key": "👍"}},
        )
        monkeypatch.setenv("BOT_TOKEN", bot_token)
        fields = {"homeserver": homeserver.url, "access_token": "env:BOT_TOKEN"}
        do_connect(engine, "matrix", room, community_name="Entraide", fields=fields, backoff=FAST)
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok and first.counts.activities_added == 2 + 3  # two joins, 2 messages, 1 like
        send(
            as_ada,
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* Bonjour à tous",
                "m.new_content": {"msgtype": "m.text", "body": "Bonjour à tous"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": hello},
            },
        )
        for event in (oops, liked):
            as_ada.put(
                f"/_matrix/client/v3/rooms/{room}/redact/{event}/r{next(_txn)}", json={}
            ).raise_for_status()
        [changed] = do_sync(engine, backoff=FAST)
        [again] = do_sync(engine, backoff=FAST)
    assert changed.ok, changed.reason
    assert changed.counts.activities_added == 0
    assert changed.counts.activities_edited == 1 and changed.counts.activities_deleted == 2
    assert again.records == 0 and again.counts.activities_deleted == 0
    with engine.connect() as conn:
        texts: dict[str, str | None] = dict(
            conn.execute(text("SELECT source_id, text FROM activities")).tuples().all()
        )
        stats = conn.execute(text("SELECT sum(contributions), sum(reactions) FROM member_stats"))
        assert tuple(stats.one()) == (1, 0)
    assert texts[hello] == "Bonjour à tous" and oops not in texts and liked not in texts
