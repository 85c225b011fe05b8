"""A Telegram group through a bot (Bot API, https://core.telegram.org/bots/api#getupdates): getUpdates
with `offset`, parsed by the importer's own reading of the same updates (importers/telegram.py
parse_updates), so an import of a getUpdates dump and a sync give the same ids ({chat}:{message_id},
members user{id}, the ids Telegram Desktop exports use).

A bot sees messages only from when it joined, and in groups only with privacy mode off (BotFather
/setprivacy) or as an admin: import the Desktop export first, then sync. Telegram keeps an update until a
getUpdates asks with a higher offset; the offset is stored with the rows, so an update is confirmed only
once it is stored. Updates of other chats the bot is in are confirmed and left out: one bot per connector.
An edited message (edited_message, edited_channel_post) updates the stored text; the Bot API tells no
deletions. Cursor: offset, the conversation state.

Streaming (`tending worker`): a long-polled getUpdates from the stored offset (listen), which confirms
only updates already stored; its first update wakes the worker, whose sync stores and confirms it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, json_of
from tending.importers.base import BadRecord, Conversations, from_epoch
from tending.importers.telegram import parse_updates
from tending.models import ActivityEdit, ActivityRecord, ChannelRecord, ImportRecord, MemberRecord
from tending.texts import T_

KIND = "telegram"
PLATFORM = "telegram"
DESCRIPTION = T_("A Telegram group, by its chat id (-100...), through a bot that is a member")
FIELDS = (
    Field(
        "token", T_("The bot's token from BotFather (by reference)."), secret=True, required=True
    ),
    Field("api_url", T_("The Bot API server (default https://api.telegram.org).")),
)
LIMIT = 100  # getUpdates' largest page
MAX_PAGES = 1000
STREAM_TIMEOUT_MS = 25_000  # a long-poll: under the HTTP client's timeout and most proxies' 30 s
ALLOWED = json.dumps(["message", "channel_post", "edited_message", "edited_channel_post"])


class Superseded(ConnectorError):
    """A later getUpdates (this connector's own sync, or another program with the token) ended this
    one: Telegram answers only one at a time."""


def normalise_target(target: str) -> str:
    chat = target.strip()
    if not chat.lstrip("-").isdigit():
        raise ConnectorError(
            f"'{chat}' is not a Telegram chat id (a number such as -1001234567890)."
        )
    return chat


def headers(credentials: dict[str, str]) -> dict[str, str]:
    return {}


def _call(
    http: Http, credentials: dict[str, str], method: str, params: dict[str, Any] | None = None
) -> Any:
    """A Bot API call; errors name the method, never the URL (the token is in its path)."""
    base = (credentials.get("api_url") or "https://api.telegram.org").rstrip("/")
    try:
        response = http.get(
            f"{base}/bot{credentials['token']}/{method}", params=params, ok=(200, 401, 404, 409)
        )
    except ConnectorError as error:
        raise ConnectorError(str(error).replace(credentials["token"], "***")) from None
    if response.status_code in (401, 404):
        raise ConnectorError(
            f"Telegram refused the bot token ({method}, HTTP {response.status_code}): "
            "it is wrong or was revoked (BotFather /token)."
        )
    if response.status_code == 409:
        # "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete
        # the webhook first", or "Conflict: terminated by other getUpdates request; ..."
        if "webhook" not in response.text.lower():
            raise Superseded(
                f"another program reads this bot's updates ({method}, HTTP 409): Telegram answers "
                "only one at a time; stop it or give this connector a bot of its own."
            )
        raise ConnectorError(
            f"the bot has a webhook set, and {method} does not work while it has one (HTTP 409): "
            "remove it (deleteWebhook) or give this connector a bot of its own."
        )
    data = json_of(response, method)
    if not isinstance(data, dict) or not data.get("ok"):
        raise ConnectorError(f"Telegram answered {method} with an error.")
    return data.get("result")


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    me = _call(http, credentials, "getMe") or {}
    chat = _call(http, credentials, "getChat", {"chat_id": target}) or {}
    count = _call(http, credentials, "getChatMemberCount", {"chat_id": target})
    return Seen(
        summary=f"the group '{chat.get('title') or target}' ({count} members) as @{me.get('username')}: "
        "messages, replies, joins and leaves from now on (a bot sees nothing from before it "
        "joined).",
        details={"title": chat.get("title"), "members": count},
    )


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    offset = int(cursor.get("offset") or 0)
    conversations = Conversations()
    for key, (at, thread) in (cursor.get("conversations") or {}).items():
        conversations.last[key] = (datetime.fromisoformat(at), thread)
    for _ in range(MAX_PAGES):
        params = {
            "offset": offset,
            "limit": LIMIT,
            "timeout": 0,
            "allowed_updates": ALLOWED,
        }
        updates = [
            u for u in _call(http, credentials, "getUpdates", params) or [] if isinstance(u, dict)
        ]
        if not updates:
            return
        mine = [u for u in updates if str((_message_of(u).get("chat") or {}).get("id")) == target]
        offset = max(int(u.get("update_id") or 0) for u in updates) + 1
        yield (
            _records(mine, conversations),
            {
                "offset": offset,
                "conversations": {
                    k: [at.isoformat(), t] for k, (at, t) in conversations.last.items()
                },
            },
        )
        if len(updates) < LIMIT:
            return


def listen(
    target: str,
    credentials: dict[str, str],
    cursor: dict[str, Any],
    *,
    http: Http,
    news: Callable[[], None],
    running: Callable[[], bool],
    timeout_ms: int = STREAM_TIMEOUT_MS,
) -> bool:
    """Long-poll getUpdates (Bot API: `timeout` seconds, Telegram holds the request until an update
    comes or the timeout passes) from the stored cursor's offset, and call news() at the first update;
    while running() says so. The offset confirms only updates the sync already stored; a later one
    confirms nothing, so only the sync that news() asks for moves it, through the single write path.
    True once news() was called: listen again when a sync stored a newer cursor, not before (the same
    updates would come back at once). False when running() ended it, or when a later getUpdates (the
    interval's sync) ended the long-poll."""
    params = {
        "offset": int(cursor.get("offset") or 0),
        "limit": 1,
        "timeout": max(1, timeout_ms // 1000),
        "allowed_updates": ALLOWED,
    }
    while running():
        try:
            updates = _call(http, credentials, "getUpdates", params)
        except Superseded:
            return False
        if updates:
            news()
            return True
    return False


EDITED = ("edited_message", "edited_channel_post")


def _message_of(update: dict[str, Any]) -> dict[str, Any]:
    for key in ("message", "channel_post", *EDITED):
        if isinstance(update.get(key), dict):
            return dict(update[key])
    return {}


def _edit(update: dict[str, Any]) -> ActivityEdit | None:
    """An edited message (the Bot API tells no deletions): its text now, by the importer's id."""
    message = _message_of(update)
    if not message.get("message_id") or not isinstance(message.get("chat"), dict):
        return None
    edited = message.get("edit_date")
    return ActivityEdit(
        source=PLATFORM,
        source_id=f"{message['chat'].get('id')}:{message['message_id']}",
        text=message.get("text") or message.get("caption"),
        edited_at=from_epoch(edited) if isinstance(edited, int) else None,
    )


def _records(updates: list[dict[str, Any]], conversations: Conversations) -> list[ImportRecord]:
    records: list[ImportRecord] = []
    edits = [e for u in updates if any(k in u for k in EDITED) and (e := _edit(u))]
    updates = [u for u in updates if not any(k in u for k in EDITED)]
    for item in parse_updates(updates, conversations=conversations, label="getUpdates"):
        if isinstance(item, BadRecord):
            raise ConnectorError(item.describe())
        if isinstance(item, ActivityRecord | MemberRecord | ChannelRecord):
            records.append(item)
    return [*records, *edits]
