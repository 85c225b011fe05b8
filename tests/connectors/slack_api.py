"""A Slack Web API answering as its documentation shows:
- https://docs.slack.dev/reference/methods/conversations.history: `channel`, `limit` (default 100, at
  most 999), `oldest`, `latest`, `inclusive`, `cursor`; messages newest first (the channel's own and
  thread broadcasts, not thread replies), `has_more`, `response_metadata.next_cursor` ("" on the last
  page); a message has type, user, text, ts, and edited {user, ts}, thread_ts, reply_count,
  latest_reply, reactions [{name, users, count}] when it has them; a thread parent deleted while it has
  replies stays as subtype "tombstone";
- https://docs.slack.dev/reference/methods/conversations.replies: `ts` of the parent; the parent first,
  then its replies oldest first, paginated the same way;
- https://docs.slack.dev/reference/methods/conversations.info, auth.test, users.list (members, cursor);
- https://docs.slack.dev/apis/web-api/#responses: HTTP 200 with {"ok": false, "error": "..."}
  (invalid_auth, channel_not_found, not_in_channel, missing_scope with needed/provided);
- https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with Retry-After and
  {"ok": false, "error": "ratelimited"}; tokens as `Authorization: Bearer xoxb-...`;
- https://docs.slack.dev/reference/methods/apps.connections.open: POST with an app-level token
  (xapp-...), {"ok": true, "url": "wss://..."} (tests/connectors/socket_mode.py); a bot token gets
  {"ok": false, "error": "not_allowed_token_type"}.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
APP_TOKEN = "xapp-1-A0123APP-1234567890-0a1b2c3d4e5f"
CHANNEL = "C012AB3CD"
USERS: list[dict[str, Any]] = [
    {
        "id": "U01ADA",
        "team_id": "T12345678",
        "name": "ada",
        "deleted": False,
        "real_name": "Ada Lovelace",
        "profile": {"display_name": "ada", "real_name": "Ada Lovelace"},
        "is_admin": True,
        "is_owner": False,
        "is_bot": False,
    },
    {
        "id": "U02BRUNO",
        "team_id": "T12345678",
        "name": "bruno",
        "deleted": False,
        "real_name": "Bruno Diaz",
        "profile": {"display_name": "", "real_name": "Bruno Diaz"},
        "is_admin": False,
        "is_owner": False,
        "is_bot": False,
    },
]


def cursor_for(offset: int) -> str:
    return base64.b64encode(f"next_offset:{offset}".encode()).decode()


def offset_of(cursor: str) -> int:
    return int(base64.b64decode(cursor).decode().split(":")[1])


class SlackApi:
    def __init__(self, *, general: bool = True) -> None:
        self.token = TOKEN
        self.app_token = APP_TOKEN
        self.socket_url = "wss://wss-primary.slack.com/link/"
        self.opened = 0  # apps.connections.open calls answered with a URL
        self.channels = {
            CHANNEL: {
                "id": CHANNEL,
                "name": "general",
                "is_channel": True,
                "is_general": general,
                "is_member": True,
                "is_private": False,
            }
        }
        self.members_of = {CHANNEL}
        self.scopes = {"channels:history", "channels:read", "users:read"}
        self.messages: list[dict[str, Any]] = []  # the channel's own messages
        self.replies: dict[str, list[dict[str, Any]]] = {}  # thread ts -> replies
        self.users = list(USERS)
        self.clock = Decimal("1772960000.000100")
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.limited: list[int] = []  # the next answers are 429s with these Retry-After
        self.broken: list[Any] = []  # the next answer of conversations.history is this body

    # -- the workspace's life --------------------------------------------------------------------------

    def tick(self, seconds: int = 300) -> str:
        self.clock += seconds
        return f"{self.clock:.6f}"

    def say(self, user: str, text: str, **extra: Any) -> str:
        ts = self.tick()
        self.messages.append({"type": "message", "user": user, "text": text, "ts": ts, **extra})
        return ts

    def join(self, user: str) -> str:
        return self.say(user, f"<@{user}> has joined the channel", subtype="channel_join")

    def reply(self, thread: str, user: str, text: str) -> str:
        ts = self.tick(60)
        reply = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread,
            "parent_user_id": self.find(thread)["user"],
        }
        self.replies.setdefault(thread, []).append(reply)
        self._thread_summary(thread)
        return ts

    def _thread_summary(self, thread: str) -> None:
        parent = self.find(thread)
        replies = self.replies.get(thread, [])
        if replies:
            parent.update(
                thread_ts=thread,
                reply_count=len(replies),
                reply_users=sorted({r["user"] for r in replies}),
                reply_users_count=len({r["user"] for r in replies}),
                latest_reply=replies[-1]["ts"],
            )

    def react(self, ts: str, name: str, users: list[str]) -> None:
        self.find(ts).setdefault("reactions", []).append(
            {"name": name, "users": users, "count": len(users)}
        )

    def edit(self, ts: str, text: str) -> None:
        message = self.find(ts)
        message["text"], message["edited"] = text, {"user": message["user"], "ts": self.tick(30)}

    def delete(self, ts: str) -> None:
        for thread, replies in self.replies.items():
            if any(r["ts"] == ts for r in replies):
                replies[:] = [r for r in replies if r["ts"] != ts]
                self.find(thread)["reply_count"] = len(replies)
                return
        message = self.find(ts)
        if self.replies.get(ts):
            message.clear()
            message.update(
                type="message",
                subtype="tombstone",
                text="This message was deleted.",
                user="USLACKBOT",
                hidden=True,
                ts=ts,
                thread_ts=ts,
                reply_count=len(self.replies[ts]),
            )
        else:
            self.messages.remove(message)

    def find(self, ts: str) -> dict[str, Any]:
        found = [m for m in self.messages if m["ts"] == ts]
        found += [r for rs in self.replies.values() for r in rs if r["ts"] == ts]
        return found[0]

    # -- HTTP ------------------------------------------------------------------------------------------

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        method = path.rsplit("/", 1)[-1]
        params = {k: v[0] for k, v in query.items()}
        self.calls.append((method, params))
        if self.limited:
            return (
                429,
                {"Retry-After": str(self.limited.pop(0))},
                {"ok": False, "error": "ratelimited"},
            )
        if method == "apps.connections.open":
            return 200, {}, self._open(headers.get("Authorization", ""))
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        handler = {
            "auth.test": self._auth_test,
            "conversations.info": self._info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "users.list": self._users,
        }.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, handler(params)

    def _open(self, authorization: str) -> dict[str, Any]:
        if authorization == f"Bearer {self.token}":
            return {"ok": False, "error": "not_allowed_token_type"}
        if authorization != f"Bearer {self.app_token}":
            return {"ok": False, "error": "invalid_auth"}
        self.opened += 1
        return {"ok": True, "url": f"{self.socket_url}?ticket=t{self.opened}&app_id=A0123APP"}

    def _auth_test(self, params: dict[str, str]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://entraide.slack.com/",
            "team": "Entraide",
            "user": "tending",
            "team_id": "T12345678",
            "user_id": "U0BOT",
        }

    def _channel_error(self, params: dict[str, str], scope: str) -> dict[str, Any] | None:
        if params.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if scope not in self.scopes:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": scope,
                "provided": ",".join(sorted(self.scopes)),
            }
        if params["channel"] not in self.members_of:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _info(self, params: dict[str, str]) -> dict[str, Any]:
        if params.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": self.channels[params["channel"]]}

    def _history(self, params: dict[str, str]) -> Any:
        error = self._channel_error(params, "channels:history")
        if error:
            return error
        if self.broken:
            return self.broken.pop(0)
        inclusive = params.get("inclusive") in ("true", "1")
        oldest = Decimal(params.get("oldest", "0"))
        latest = Decimal(params["latest"]) if "latest" in params else None
        chosen = [
            m
            for m in self.messages
            if (Decimal(m["ts"]) > oldest or (inclusive and Decimal(m["ts"]) == oldest))
            and (latest is None or Decimal(m["ts"]) < latest)
        ]
        newest_first = sorted(chosen, key=lambda m: Decimal(m["ts"]), reverse=True)
        return self._page(newest_first, params, extra={"pin_count": 0})

    def _replies(self, params: dict[str, str]) -> dict[str, Any]:
        error = self._channel_error(params, "channels:history")
        if error:
            return error
        parents = [m for m in self.messages if m["ts"] == params.get("ts")]
        if not parents:
            return {"ok": False, "error": "thread_not_found"}
        return self._page([parents[0], *self.replies.get(parents[0]["ts"], [])], params)

    def _users(self, params: dict[str, str]) -> dict[str, Any]:
        if "users:read" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "users:read"}
        page = self._page(self.users, params, key="members")
        del page["has_more"]  # users.list says only next_cursor
        return {**page, "cache_ts": 1498777272}

    def _page(
        self,
        items: list[dict[str, Any]],
        params: dict[str, str],
        *,
        key: str = "messages",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        limit = min(int(params.get("limit", "100")), 999)
        start = offset_of(params["cursor"]) if params.get("cursor") else 0
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            key: [dict(item) for item in page],
            "has_more": more,
            **(extra or {}),
            "response_metadata": {"next_cursor": cursor_for(start + limit) if more else ""},
        }
