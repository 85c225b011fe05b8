"""A local Telegram Bot API answering as https://core.telegram.org/bots/api shows, for the telegram
connector's tests (test_telegram.py, test_telegram_stream.py): getMe, getChat, getChatMemberCount,
getUpdates with offset (an update is kept until a later call asks with a higher offset; at most `limit`
of them, 100 by default) and `timeout` (a long-poll: held until an update comes or `timeout` seconds
pass; a later getUpdates ends a held one with 409 "Conflict: terminated by other getUpdates request"),
{"ok": false, "error_code": 401} for a revoked token, 409 "Conflict: can't use getUpdates method while
webhook is active" while a webhook is set. Served by tests/connectors/jsonserver.py."""

from __future__ import annotations

import threading
import time
from typing import Any

TOKEN = "123456:AAE-secret-token-value"
CHAT = -1001234567890
ADA = {"id": 111, "is_bot": False, "first_name": "Ada", "username": "ada"}
BRUNO = {"id": 222, "is_bot": False, "first_name": "Bruno"}


class BotApi:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.token = TOKEN
        self.calls: list[str] = []
        self.sent = 0
        self.webhook = False
        self.polls = 0  # getUpdates asked so far: a held one ends when a later one comes
        self.held = 0  # long-polls held open now
        self.changed = threading.Condition()

    def add(self, message: dict[str, Any], chat: int = CHAT) -> None:
        with self.changed:
            self._add(message, chat)
            self.changed.notify_all()

    def _add(self, message: dict[str, Any], chat: int) -> None:
        self.sent += 1
        number = self.sent
        self.updates.append(
            {
                "update_id": 5000 + number,
                "message": {
                    "message_id": number,
                    "date": 1772960000 + 60 * number,
                    "chat": {"id": chat, "type": "supergroup", "title": "Entraide"},
                    **message,
                },
            }
        )

    def edit(self, message_id: int, text: str, chat: int = CHAT) -> None:
        """An edited_message update: the whole message again, with edit_date (Bot API, Update)."""
        self.sent += 1
        self.updates.append(
            {
                "update_id": 5000 + self.sent,
                "edited_message": {
                    "message_id": message_id,
                    "date": 1772960000 + 60 * message_id,
                    "edit_date": 1772960000 + 60 * self.sent,
                    "chat": {"id": chat, "type": "supergroup", "title": "Entraide"},
                    "from": ADA,
                    "text": text,
                },
            }
        )

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        """What the Bot API answers to GET /bot<token>/<method> (tests/connectors/jsonserver.py)."""
        token, _, method = path.lstrip("/").partition("/")
        self.calls.append(method)
        if token != f"bot{self.token}":
            return 401, {}, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        status, body = self._answer(method, query)
        return status, {}, body

    def _answer(self, method: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 9, "is_bot": True, "username": "tending_bot"}}
        if method == "getChat":
            return 200, {
                "ok": True,
                "result": {"id": CHAT, "type": "supergroup", "title": "Entraide"},
            }
        if method == "getChatMemberCount":
            return 200, {"ok": True, "result": 42}
        if self.webhook:
            return 409, {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            }
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        until = time.monotonic() + int(query.get("timeout", ["0"])[0])
        with self.changed:
            self.polls += 1
            poll = self.polls
            self.changed.notify_all()
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.held += 1
            while not self.updates and self.polls == poll and time.monotonic() < until:
                self.changed.wait(until - time.monotonic())
            self.held -= 1
            if self.polls != poll:
                return 409, {
                    "ok": False,
                    "error_code": 409,
                    "description": "Conflict: terminated by other getUpdates request; make sure "
                    "that only one bot instance is running",
                }
            return 200, {"ok": True, "result": self.updates[:limit]}


def a_group(api: BotApi) -> None:
    api.add({"from": ADA, "new_chat_members": [ADA]})
    api.add({"from": ADA, "text": "Bonjour !"})
    api.add({"from": BRUNO, "text": "Salut Ada", "reply_to_message": {"message_id": 2}})
    api.add({"from": BRUNO, "text": "ailleurs"}, chat=-100999)  # another group the bot is in
