"""A Discord REST API v10 answering as its documentation shows:
- https://discord.com/developers/docs/resources/message#get-channel-messages: GET
  /channels/{id}/messages with `limit` (1-100, default 50; more is a 400) and one of `before`, `after`
  (the `limit` messages right after that snowflake), newest first; a message object has id, channel_id,
  author (id, username, global_name, bot), content, timestamp, edited_timestamp (null unless edited),
  type (0 default, 19 reply, 7 user join), message_reference, reactions (count, me, emoji), attachments;
- https://discord.com/developers/docs/resources/channel#get-channel: GET /channels/{id};
- https://discord.com/developers/docs/resources/guild#list-guild-members: GET /guilds/{id}/members with
  `limit` (1-1000, default 1) and `after` (the highest user id of the previous page), guild member
  objects (user, nick, joined_at); without the GUILD_MEMBERS intent, 403 Missing Access;
- https://discord.com/developers/docs/reference#snowflakes: ids are (ms since 2015 << 22) | increment;
- https://discord.com/developers/docs/topics/rate-limits: X-RateLimit-Limit, -Remaining, -Reset,
  -Reset-After, -Bucket on every answer; a 429 with Retry-After and {"message", "retry_after",
  "global"};
- https://discord.com/developers/docs/topics/opcodes-and-status-codes#json: errors as {"message", "code"}
  (0 for 401: Unauthorized, 50001 Missing Access, 10003 Unknown Channel);
- https://discord.com/developers/docs/reference#authentication: `Authorization: Bot TOKEN`;
- https://discord.com/developers/docs/events/gateway#get-gateway-bot: GET /gateway/bot gives the
  Gateway's URL (tests/connectors/gateway.py), shards and session_start_limit.
Deleting a message removes it from the listing; editing sets edited_timestamp.
"""

from __future__ import annotations

import bisect
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
TOKEN = "MTA4OTUy.discord-bot-secret-token"
GUILD = "1089521338000000000"
CHANNEL = "1089521338827427852"
USERS: dict[str, dict[str, Any]] = {
    "ada": {"id": "80351110224678912", "username": "ada", "global_name": "Ada L.", "avatar": None},
    "bruno": {"id": "80351110224678913", "username": "bruno", "global_name": None, "avatar": None},
    "bot": {"id": "80351110224678999", "username": "helper", "bot": True, "avatar": None},
}


def iso(moment: datetime) -> str:
    return moment.isoformat(
        timespec="microseconds"
    )  # as Discord writes: 2026-03-08T10:00:00.000000+00:00


class DiscordApi:
    def __init__(self) -> None:
        self.token = TOKEN
        self.channels = {CHANNEL: {"id": CHANNEL, "type": 0, "guild_id": GUILD, "name": "general"}}
        self.forbidden: set[str] = set()
        self.messages: dict[str, list[dict[str, Any]]] = {CHANNEL: []}
        self.clock = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
        self.increment = 0
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.limited: list[float] = []  # the next answers are 429s asking to wait these seconds
        self.empty_bucket_every = 0  # every Nth answer says X-RateLimit-Remaining: 0
        self.malformed: list[Any] = []  # the next messages listing answers this instead
        self.members_intent = True
        self.hold_at = 0  # the answer to this request (counted from 1) waits until `hold` is set
        self.hold = threading.Event()
        self.reached = threading.Event()
        self.guild_members: list[dict[str, Any]] = []
        self.gateway_url = "wss://gateway.discord.gg"

    # -- the community's life ------------------------------------------------------------------------

    def snowflake(self, moment: datetime) -> str:
        self.increment += 1
        ms = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (self.increment & 0xFFF))

    def say(
        self,
        who: str,
        content: str,
        *,
        reply_to: str | None = None,
        minutes: float = 5,
        kind: int | None = None,
        channel: str = CHANNEL,
    ) -> str:
        self.clock += timedelta(minutes=minutes)
        message: dict[str, Any] = {
            "id": self.snowflake(self.clock),
            "channel_id": channel,
            "author": USERS[who],
            "content": content,
            "timestamp": iso(self.clock),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": kind if kind is not None else (19 if reply_to else 0),
        }
        if reply_to:
            message["message_reference"] = {
                "type": 0,
                "message_id": reply_to,
                "channel_id": channel,
                "guild_id": GUILD,
            }
        self.messages[channel].append(message)
        return str(message["id"])

    def join(self, who: str) -> str:
        return self.say(who, "", kind=7)

    def member_joins(self, who: str, at: datetime, nick: str | None = None) -> None:
        self.guild_members.append(
            {"user": USERS[who], "nick": nick, "roles": [], "joined_at": iso(at), "deaf": False}
        )

    def react(self, message_id: str, emoji: str, count: int) -> None:
        message = self.find(message_id)
        message.setdefault("reactions", []).append(
            {"count": count, "me": False, "emoji": {"id": None, "name": emoji}}
        )

    def edit(self, message_id: str, content: str) -> None:
        self.clock += timedelta(minutes=1)
        message = self.find(message_id)
        message["content"], message["edited_timestamp"] = content, iso(self.clock)

    def delete(self, message_id: str) -> None:
        for messages in self.messages.values():
            messages[:] = [m for m in messages if m["id"] != message_id]

    def find(self, message_id: str) -> dict[str, Any]:
        return next(m for ms in self.messages.values() for m in ms if m["id"] == message_id)

    # -- HTTP ------------------------------------------------------------------------------------------

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        self.requests.append((path, query))
        if self.hold_at and len(self.requests) == self.hold_at:
            self.reached.set()
            self.hold.wait(60)
        limits = self._limit_headers()
        if self.limited:
            wait = self.limited.pop(0)
            return (
                429,
                {**limits, "Retry-After": str(max(1, round(wait))), "X-RateLimit-Scope": "user"},
                {"message": "You are being rate limited.", "retry_after": wait, "global": False},
            )
        if headers.get("Authorization") != f"Bot {self.token}":
            return 401, limits, {"message": "401: Unauthorized", "code": 0}
        parts = path.strip("/").split("/")  # api/v10/channels/{id}[/messages]
        if parts[2:] == ["gateway", "bot"]:
            return 200, limits, self._gateway_bot()
        if len(parts) == 5 and parts[2] == "guilds" and parts[4] == "members":
            return self._members(parts[3], query, limits)
        if len(parts) < 4 or parts[2] != "channels":
            return 404, limits, {"message": "404: Not Found", "code": 0}
        channel = parts[3]
        if channel not in self.channels:
            return 404, limits, {"message": "Unknown Channel", "code": 10003}
        if channel in self.forbidden:
            return 403, limits, {"message": "Missing Access", "code": 50001}
        if len(parts) == 4:
            return 200, limits, self.channels[channel]
        return self._messages(channel, query, limits)

    def _messages(
        self, channel: str, query: dict[str, list[str]], limits: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if self.malformed:
            return 200, limits, self.malformed.pop(0)
        limit = int(query.get("limit", ["50"])[0])
        if not 1 <= limit <= 100:
            return (
                400,
                limits,
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"limit": {"_errors": [{"code": "NUMBER_TYPE_MAX"}]}},
                },
            )
        ordered = self.messages[channel]  # in id order: snowflakes grow with time
        ids = [int(m["id"]) for m in ordered]
        if "after" in query:
            start = bisect.bisect_right(ids, int(query["after"][0]))
            chosen = ordered[start : start + limit]
        elif "before" in query:
            end = bisect.bisect_left(ids, int(query["before"][0]))
            chosen = ordered[max(0, end - limit) : end]
        else:
            chosen = ordered[-limit:]
        return 200, limits, list(reversed(chosen))

    def _gateway_bot(self) -> dict[str, Any]:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    def _members(
        self, guild: str, query: dict[str, list[str]], limits: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if guild != GUILD:
            return 404, limits, {"message": "Unknown Guild", "code": 10004}
        if not self.members_intent:
            return 403, limits, {"message": "Missing Access", "code": 50001}
        limit = int(query.get("limit", ["1"])[0])
        after = int(query.get("after", ["0"])[0])
        ordered = sorted(self.guild_members, key=lambda m: int(m["user"]["id"]))
        return 200, limits, [m for m in ordered if int(m["user"]["id"]) > after][:limit]

    def _limit_headers(self) -> dict[str, str]:
        empty = bool(self.empty_bucket_every) and len(self.requests) % self.empty_bucket_every == 0
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0" if empty else "4",
            "X-RateLimit-Reset": f"{datetime.now(UTC).timestamp() + 0.05:.3f}",
            "X-RateLimit-Reset-After": "0.05" if empty else "1.000",
            "X-RateLimit-Bucket": "abcd1234",
        }
