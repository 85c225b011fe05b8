"""Matrix, through the client-server API (spec v1.x, /_matrix/client/v3) with a bot account's access token.

- A private message goes to a direct room per member: created once (POST /createRoom with `invite` and
  `is_direct: true`, preset trusted_private_chat), its id cached in delivery_rooms.
- Posts and staff notes go to configured rooms.
- Each event is sent with PUT /rooms/{room}/send/m.room.message/{txnId}, the transaction id derived from
  the outbox row and member: the homeserver answers a repeated PUT with the first event id instead of
  sending again. The content also carries the transaction id (`org.tending.txn_id`), so after a long
  outage — beyond the homeserver's transaction cache — a resend first looks for it in the room's recent
  messages. A crash between sending and recording therefore never duplicates a Matrix message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tending.delivery.base import Outbound, PermanentError, Sent
from tending.delivery.http import client, json_of, request

TXN_FIELD = "org.tending.txn_id"


@dataclass
class MatrixSettings:
    homeserver: str
    access_token: str
    post_room: str | None = None
    staff_room: str | None = None
    timeout: float = 30.0


class MatrixTransport:
    name = "matrix"
    idempotent = True

    def __init__(
        self,
        settings: MatrixSettings,
        *,
        get_room: Callable[[str], str | None],
        save_room: Callable[[str, str], None],
    ) -> None:
        self.settings = settings
        self.get_room = get_room
        self.save_room = save_room
        self.http = client(
            settings.homeserver.rstrip("/"),
            {"Authorization": f"Bearer {settings.access_token}"},
            settings.timeout,
        )

    def _room_for(self, message: Outbound) -> str:
        if message.kind == "post":
            return self._configured(self.settings.post_room, "post_room")
        if message.kind == "staff":
            return self._configured(self.settings.staff_room, "staff_room")
        if not message.address or not message.address.startswith("@"):
            raise PermanentError(f"matrix: no Matrix user id for member {message.member_id}")
        room = self.get_room(message.address)
        if room is None:
            room = self.create_direct_room(message.address)
            self.save_room(message.address, room)
        return room

    @staticmethod
    def _configured(room: str | None, key: str) -> str:
        if not room:
            raise PermanentError(f"matrix: no {key} configured in [delivery.matrix]")
        return room

    def create_direct_room(self, user_id: str) -> str:
        response = request(
            self.http,
            "matrix",
            "POST",
            "/_matrix/client/v3/createRoom",
            json={"invite": [user_id], "is_direct": True, "preset": "trusted_private_chat"},
        )
        room_id = json_of(response, "matrix").get("room_id")
        if not isinstance(room_id, str):
            raise PermanentError("matrix: createRoom answered without a room_id")
        return room_id

    def find_sent(self, room: str, txn_id: str) -> str | None:
        """The event id of a message this transaction already sent in `room`, among the recent ones."""
        response = request(
            self.http,
            "matrix",
            "GET",
            f"/_matrix/client/v3/rooms/{quote(room)}/messages",
            params={"dir": "b", "limit": 100},
        )
        for event in json_of(response, "matrix").get("chunk", []):
            content: dict[str, Any] = event.get("content") or {}
            if (
                content.get(TXN_FIELD) == txn_id
                or (event.get("unsigned") or {}).get("transaction_id") == txn_id
            ):
                return str(event.get("event_id"))
        return None

    def send(self, message: Outbound) -> Sent:
        room = self._room_for(message)
        if message.attempt > 1:
            found = self.find_sent(room, message.txn_id)
            if found:
                return Sent(external_ref=f"{room}/{found}")
        content = {"msgtype": "m.text", "body": message.body, TXN_FIELD: message.txn_id}
        response = request(
            self.http,
            "matrix",
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/{quote(message.txn_id)}",
            json=content,
        )
        event_id = json_of(response, "matrix").get("event_id")
        return Sent(external_ref=f"{room}/{event_id}")

    def close(self) -> None:
        self.http.close()
