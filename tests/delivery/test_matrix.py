"""Matrix end to end against a real Synapse homeserver on 127.0.0.1: a direct room per member, posts in a
room, and a crash between sending and recording that never duplicates a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tending.actions.outbox import SENDING_LEASE, claim_due
from tending.delivery.base import Outbound
from tending.delivery.matrix import MatrixSettings, MatrixTransport

from .common import NOW, approved, deliver, message, people
from .synapse import Homeserver

pytestmark = pytest.mark.synapse

_counter = {"n": 0}


def accounts(homeserver: Homeserver) -> dict[str, tuple[str, str]]:
    """Fresh accounts for one test (the homeserver is shared by the session)."""
    _counter["n"] += 1
    n = _counter["n"]
    return {name: homeserver.register(f"{name}{n}") for name in ("tending", "ada", "bruno")}


def matrix(homeserver: Homeserver, token: str, **extra: Any) -> dict[str, Any]:
    return {
        "private": "matrix",
        "post": "matrix",
        "matrix": {"homeserver": homeserver.url, "access_token": token, **extra},
    }


def texts(homeserver: Homeserver, token: str, room: str) -> list[str]:
    with homeserver.client(token) as http:
        http.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
        chunk = http.get(
            f"/_matrix/client/v3/rooms/{room}/messages", params={"dir": "b", "limit": 50}
        ).json()["chunk"]
    return [e["content"]["body"] for e in reversed(chunk) if e["type"] == "m.room.message"]


def test_a_private_message_opens_one_direct_room_per_member(
    engine: Engine, homeserver: Homeserver
) -> None:
    users = accounts(homeserver)
    (ada_id, ada_token), (bot_id, bot_token) = users["ada"], users["tending"]
    story = people(
        engine, platform="matrix", ada=ada_id, bruno=users["bruno"][0], chloe="@chloe:localhost"
    )
    first = approved(engine, story, channel="private", who=["ada"], body="Bonjour Ada, bienvenue !")
    second = approved(
        engine, story, channel="private", who=["ada"], body="Deux mois déjà !", key="two_months:ada"
    )
    counts = deliver(engine, story, matrix(homeserver, bot_token))
    assert counts.sent == 2
    room = message(engine, story, first).external_ref.split("/")[0]  # type: ignore[union-attr]
    assert message(engine, story, second).external_ref.startswith(room + "/$")  # type: ignore[union-attr]
    with homeserver.client(ada_token) as http:
        invite = http.get("/_matrix/client/v3/sync").json()["rooms"]["invite"][room][
            "invite_state"
        ]["events"]
    member_event = next(
        e for e in invite if e["type"] == "m.room.member" and e["state_key"] == ada_id
    )
    assert member_event["content"]["is_direct"] is True and member_event["sender"] == bot_id
    assert texts(homeserver, ada_token, room) == ["Bonjour Ada, bienvenue !", "Deux mois déjà !"]


def test_posts_go_to_the_configured_room(engine: Engine, homeserver: Homeserver) -> None:
    users = accounts(homeserver)
    bot_token = users["tending"][1]
    with homeserver.client(bot_token) as http:
        room = http.post("/_matrix/client/v3/createRoom", json={"preset": "public_chat"}).json()[
            "room_id"
        ]
    story = people(
        engine,
        platform="matrix",
        ada=users["ada"][0],
        bruno=users["bruno"][0],
        chloe="@chloe:localhost",
    )
    post = approved(
        engine, story, channel="post", who=["ada", "bruno"], body="Welcome to:\n- Ada\n- Bruno"
    )
    assert deliver(engine, story, matrix(homeserver, bot_token, post_room=room)).sent == 1
    assert message(engine, story, post).status == "sent"
    assert texts(homeserver, users["bruno"][1], room) == ["Welcome to:\n- Ada\n- Bruno"]


def test_the_same_transaction_is_sent_once(homeserver: Homeserver) -> None:
    users = accounts(homeserver)
    rooms: dict[str, str] = {}
    transport = MatrixTransport(
        MatrixSettings(homeserver.url, users["tending"][1]),
        get_room=rooms.get,
        save_room=rooms.__setitem__,
    )
    outbound = Outbound(
        community_id=1,
        outbox_id=7,
        member_id=3,
        address=users["ada"][0],
        recipient_name="Ada",
        subject=None,
        body="Hello once",
        kind="private",
    )
    try:
        first, again = transport.send(outbound), transport.send(outbound)
    finally:
        transport.close()
    assert (
        first.external_ref == again.external_ref
    )  # the homeserver answered the repeated PUT with the same event
    assert texts(homeserver, users["ada"][1], rooms[users["ada"][0]]) == ["Hello once"]


def test_a_crash_between_sending_and_recording_never_duplicates(
    engine: Engine, homeserver: Homeserver
) -> None:
    users = accounts(homeserver)
    ada_id, ada_token = users["ada"]
    story = people(
        engine, platform="matrix", ada=ada_id, bruno=users["bruno"][0], chloe="@chloe:localhost"
    )
    message_id = approved(engine, story, channel="private", who=["ada"], body="Bienvenue !")
    settings = matrix(homeserver, users["tending"][1])
    # a worker claims the row and sends it, then dies before recording anything
    with engine.begin() as conn:
        (claimed,) = claim_due(conn, story.community, now=NOW)
    rooms: dict[str, str] = {}
    transport = MatrixTransport(
        MatrixSettings(homeserver.url, users["tending"][1]),
        get_room=rooms.get,
        save_room=rooms.__setitem__,
    )
    transport.send(
        Outbound(
            community_id=story.community.id,
            outbox_id=message_id,
            member_id=story["ada"],
            address=ada_id,
            recipient_name="Ada",
            subject=None,
            body="Bienvenue !",
            kind="private",
        )
    )
    transport.close()
    # (the room it opened was not cached either: tell the next worker, as the crash lost it)
    from tending.store.outbox import save_room

    with engine.begin() as conn:
        save_room(
            conn,
            story.community.id,
            transport="matrix",
            address=ada_id,
            room_id=rooms[ada_id],
            at=NOW,
        )
    # the next worker logs in afresh (a new device): the homeserver's transaction cache, kept per device,
    # cannot help; the transaction id carried in the message content does
    settings["matrix"]["access_token"] = homeserver.login(users["tending"][0])
    later = NOW + SENDING_LEASE + timedelta(seconds=1)
    counts = deliver(engine, story, settings, now=later)
    assert (counts.recovered, counts.sent) == (1, 1)
    after = message(engine, story, message_id)
    assert (after.status, after.attempts) == ("sent", 2) and claimed.attempts == 1
    assert texts(homeserver, ada_token, rooms[ada_id]) == ["Bienvenue !"]
