"""A Discord channel through a bot (REST API v10, https://discord.com/developers/docs/resources/message
#get-channel-messages): `GET /channels/{id}/messages` with `limit` (at most 100) and `after` (a message
snowflake: the messages right after it, newest first in the answer). Messages are read in the form
DiscordChatExporter writes them and parsed by the importer (importers/discord.py parse_messages), so an
export import and a sync give the same ids (message ids, author ids, the channel id).

- Default (0) and Reply (19) messages are contributions, USER_JOIN (7, in the server's system channel) is
  a join; others are service messages. Reactions come as counts (the API names no reactors here).
- Edits and deletions: each sync reads the channel's latest page (100 messages) and compares it with the
  one stored in the cursor (`recent`: message id -> edited_timestamp): a newer edited_timestamp is an edit
  (the stored text is updated), a message of that range missing now is a deletion. Older messages are
  not read again: their edits and deletions are not seen.
- Rate limits (https://discord.com/developers/docs/topics/rate-limits): a 429 waits Retry-After (or the
  body's retry_after), an emptied bucket (X-RateLimit-Remaining: 0) waits X-RateLimit-Reset-After
  before the next request (connectors/base.py).
- Members (members=yes, the bot needing the Server Members intent): GET /guilds/{id}/members, 1,000 a
  page, gives each member's joined_at, so one who joins without a word still gets a join date.
A sync with nothing new costs one request: the latest page (and with members=yes one per 1,000
members). Cursor: after (every message up to this id is stored), recent, the conversation state,
channel_name, guild_id, members_digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx

from tending.connectors import discord_gateway
from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, json_of
from tending.importers.base import BadRecord, Conversations, parse_iso
from tending.importers.discord import parse_messages
from tending.models import (
    ActivityDeletion,
    ActivityEdit,
    ActivityRecord,
    ChannelRecord,
    ImportRecord,
    MemberRecord,
)
from tending.texts import T_

KIND = "discord"
PLATFORM = "discord"
DESCRIPTION = T_("A Discord channel, by its id, through a bot that can read it")
FIELDS = (
    Field(
        "token",
        T_("The bot's token (Developer Portal > Bot), by reference."),
        secret=True,
        required=True,
    ),
    Field("api_url", T_("The API's base URL (default https://discord.com/api/v10).")),
    Field(
        "members",
        T_("yes: also read the server's members for their join dates (the Server Members intent)."),
    ),
    Field(
        "gateway",
        T_("no: poll the REST API only, without holding Discord's Gateway open (the live stream)."),
    ),
)
API = "https://discord.com/api/v10"
LIMIT = 100  # the largest page of GET /channels/{id}/messages
STEP_RECORDS = 2000  # messages stored (with their cursor) per transaction on a first sync
MEMBERS_PAGE = 1000  # the largest page of GET /guilds/{id}/members
MAX_PAGES = 10_000
TYPES = {
    0: "Default",
    19: "Reply",
    7: "GuildMemberJoin",
}  # the API's types, by the exporter's names


def normalise_target(target: str) -> str:
    channel = target.strip()
    if not channel.isdigit():
        raise ConnectorError(
            f"'{channel}' is not a Discord channel id (a number such as 1089521338827427852: "
            "Developer Mode, then Copy Channel ID)."
        )
    return channel


def headers(credentials: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bot {credentials.get('token', '')}"}


def _base(credentials: dict[str, str]) -> str:
    return (credentials.get("api_url") or API).rstrip("/")


def _get(http: Http, url: str, channel: str, what: str, params: Any = None) -> Any:
    response = http.get(url, params=params, ok=(200, 401, 403, 404))
    if response.status_code != 200:
        raise _refusal(response, channel)
    return json_of(response, what)


def _refusal(response: httpx.Response, channel: str) -> ConnectorError:
    code = _error_code(response)
    if response.status_code == 401:
        return ConnectorError(
            "token: Discord refused the bot token (HTTP 401): it is wrong or was reset "
            "(Developer Portal > Bot > Reset Token)."
        )
    if response.status_code == 403:
        return ConnectorError(
            f"channel {channel}: the bot may not read it (HTTP 403, code {code}): add the bot to the "
            "server and give it View Channel and Read Message History."
        )
    return ConnectorError(
        f"channel {channel}: Discord knows no such channel (HTTP 404, code {code}): check the "
        "channel id, and that the bot is in its server."
    )


def _error_code(response: httpx.Response) -> Any:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("code") if isinstance(data, dict) else None


def wants_stream(options: dict[str, Any], references: dict[str, str]) -> bool:
    """The Gateway is on unless gateway=no."""
    return str(options.get("gateway", "")).strip().lower() not in ("no", "false", "off", "0")


def listen(
    target: str,
    credentials: dict[str, str],
    cursor: dict[str, Any],
    *,
    http: Http,
    news: Callable[[], None],
    running: Callable[[], bool],
) -> None:
    """The live stream: Discord's Gateway (connectors/discord_gateway.py) calls news() on an event of
    the channel or its server; the worker then runs this connector's REST pass."""
    base = _base(credentials)
    guild = cursor.get("guild_id")
    if not guild:
        channel = _get(http, f"{base}/channels/{target}", target, "channel")
        guild = channel.get("guild_id") if isinstance(channel, dict) else None
    watch = discord_gateway.Watch(
        token=credentials.get("token", ""),
        channel=target,
        guild=str(guild) if guild else None,
        news=news,
        running=running,
    )
    discord_gateway.stream(discord_gateway.gateway_url(http, base), watch)


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    base = _base(credentials)
    channel = _get(http, f"{base}/channels/{target}", target, "channel")
    if not isinstance(channel, dict):
        raise ConnectorError(f"channel {target}: Discord's answer is not a channel object.")
    newest = _page(http, base, target, {"limit": 1})
    name = channel.get("name") or target
    summary = (
        f"the channel #{name} of server {channel.get('guild_id') or '?'}: messages, replies, joins "
        "(in the server's system channel) and reaction counts; edits and deletions among the "
        "latest 100 messages"
    )
    if newest:
        summary += f"; the newest message at {newest[0].get('timestamp')}"
    return Seen(
        summary=summary + ".",
        details={"name": channel.get("name"), "guild_id": channel.get("guild_id")},
    )


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    base = _base(credentials)
    after = int(cursor.get("after") or 0)
    recent: dict[str, str] = dict(cursor.get("recent") or {})
    conversations = _conversations(cursor)
    name, guild = cursor.get("channel_name"), cursor.get("guild_id")
    if name is None:  # the first sync: the channel's name and server, for the records
        found = _get(http, f"{base}/channels/{target}", target, "channel")
        found = found if isinstance(found, dict) else {}
        name, guild = str(found.get("name") or ""), str(found.get("guild_id") or "")
    current = dict(cursor)
    latest = _page(http, base, target, {"limit": LIMIT})
    stored: dict[str, str] = {}  # what this sync stores, id -> edited_timestamp
    if len(latest) == LIMIT and int(latest[-1]["id"]) > after + 1:
        # more is new than the latest page holds: read forward from the cursor, about STEP_RECORDS
        # messages per step (each step's records and cursor are stored together)
        pending: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = list(reversed(_page(http, base, target, {"limit": LIMIT, "after": str(after)})))
            fresh = [m for m in page if int(m["id"]) > after]
            pending.extend(fresh)
            if fresh:
                after = int(fresh[-1]["id"])
            last = not fresh or len(page) < LIMIT
            if pending and (len(pending) >= STEP_RECORDS or last):
                records = _records(pending, target, name, conversations)
                stored.update((m["id"], m.get("edited_timestamp") or "") for m in pending)
                current = _cursor(after, recent, conversations, name, guild, cursor)
                yield records, current
                pending = []
            if last:
                break
    fresh = [m for m in reversed(latest) if int(m["id"]) > after]
    records = _records(fresh, target, name, conversations) if fresh else []
    records.extend(_changes(latest, after, recent, stored, full=len(latest) == LIMIT))
    window = {m["id"]: m.get("edited_timestamp") or "" for m in latest}
    new_after = max([after, *(int(m["id"]) for m in fresh)])
    if records or stored or window != recent or str(new_after) != cursor.get("after"):
        current = _cursor(new_after, window, conversations, name, guild, cursor)
        yield records, current
    # else nothing new, edited or deleted: no write at all
    if (credentials.get("members") or "").lower() in ("yes", "true", "1") and guild:
        yield from _members(http, base, target, guild, current)


def _cursor(
    after: int,
    recent: dict[str, str],
    conversations: Conversations,
    name: str,
    guild: str | None,
    before: dict[str, Any],
) -> dict[str, Any]:
    return {
        **before,
        "after": str(after),
        "channel_name": name,
        "guild_id": guild,
        "recent": recent,
        "conversations": {k: [at.isoformat(), t] for k, (at, t) in conversations.last.items()},
    }


def _members(
    http: Http, base: str, channel: str, guild: str, cursor: dict[str, Any]
) -> Iterator[Step]:
    """The server's members with their join dates (GET /guilds/{id}/members, 1,000 a page by `after`
    user id; the Server Members intent): a member who joins without a word gets a join date. Written
    only when the listing changed (its digest is in the cursor)."""
    members: list[dict[str, Any]] = []
    after = "0"
    for _ in range(MAX_PAGES):
        response = http.get(
            f"{base}/guilds/{guild}/members",
            params={"limit": MEMBERS_PAGE, "after": after},
            ok=(200, 401, 403, 404),
        )
        if response.status_code == 403:
            raise ConnectorError(
                f"members: the bot may not list the members of server {guild} (HTTP 403, code "
                f"{_error_code(response)}): turn on its Server Members intent (Developer Portal > "
                "Bot > Privileged Gateway Intents), or connect without members=yes."
            )
        if response.status_code != 200:
            raise _refusal(response, channel)
        page = json_of(response, "members")
        if not isinstance(page, list):
            raise ConnectorError(
                f"guild {guild}: Discord's answer is not a list of members; nothing was stored."
            )
        members.extend(m for m in page if isinstance(m, dict) and isinstance(m.get("user"), dict))
        if len(page) < MEMBERS_PAGE or not members:
            break
        after = str(members[-1]["user"].get("id"))
    records = [record for m in members if (record := _member(m, guild)) is not None]
    digest = hashlib.sha256(
        json.dumps(
            [(r.external_id, r.display_name, r.handle, str(r.joined_at), r.is_bot) for r in records]
        ).encode()
    ).hexdigest()
    if digest != cursor.get("members_digest"):
        yield list(records), {**cursor, "members_digest": digest}


def _member(member: dict[str, Any], guild: str) -> MemberRecord | None:
    user = member["user"]
    if not user.get("id"):
        return None
    try:
        joined = parse_iso(member["joined_at"]) if member.get("joined_at") else None
    except (TypeError, ValueError):
        raise ConnectorError(
            f"guild {guild}: member {user['id']} has a joined_at that is not a date; "
            "nothing was stored."
        ) from None
    return MemberRecord(
        source=PLATFORM,
        external_id=str(user["id"]),
        handle=user.get("username"),
        display_name=member.get("nick") or user.get("global_name") or user.get("username"),
        joined_at=joined,
        is_bot=bool(user.get("bot")),
    )


def _conversations(cursor: dict[str, Any]) -> Conversations:
    conversations = Conversations()
    for key, (at, thread) in (cursor.get("conversations") or {}).items():
        conversations.last[key] = (datetime.fromisoformat(at), thread)
    return conversations


def _page(http: Http, base: str, channel: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """One page of messages, newest first, each checked for the fields the records need."""
    data = _get(http, f"{base}/channels/{channel}/messages", channel, "messages", params)
    if not isinstance(data, list):
        raise ConnectorError(
            f"channel {channel}: Discord's answer is not a list of messages; nothing was stored."
        )
    for message in data:
        _check_message(message, channel)
    return data


def _check_message(message: Any, channel: str) -> None:
    if not isinstance(message, dict):
        raise ConnectorError(
            f"channel {channel}: a message of Discord's answer is not an object; nothing was stored."
        )
    author = message.get("author")
    for name, value in (
        ("id", message.get("id")),
        ("timestamp", message.get("timestamp")),
        ("author.id", author.get("id") if isinstance(author, dict) else None),
    ):
        if not value or (name == "id" and not str(value).isdigit()):
            where = f"message {message['id']}" if name != "id" else "a message"
            raise ConnectorError(
                f"channel {channel}: {where} of Discord's answer has no valid {name}; "
                "nothing was stored."
            )


def _exported(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the API in the form DiscordChatExporter writes it (what the importer reads)."""
    author = message["author"]
    found = message.get("member")
    member: dict[str, Any] = found if isinstance(found, dict) else {}
    reference = message.get("message_reference")
    kind = message.get("type", 0)
    return {
        "id": message["id"],
        "type": TYPES.get(kind, f"type {kind}") if isinstance(kind, int) else str(kind),
        "timestamp": message["timestamp"],
        "timestampEdited": message.get("edited_timestamp"),
        "content": message.get("content"),
        "author": {
            "id": author["id"],
            "name": author.get("username"),
            "nickname": member.get("nick") or author.get("global_name"),
            "isBot": bool(author.get("bot")),
        },
        "reference": {"messageId": reference.get("message_id")}
        if isinstance(reference, dict)
        else None,
        "reactions": [
            {
                "emoji": {"name": (r.get("emoji") or {}).get("name") or "?"},
                "count": r.get("count", 0),
            }
            for r in message.get("reactions") or []
            if isinstance(r, dict)
        ],
        "attachments": [
            {"url": a.get("url")} for a in message.get("attachments") or [] if isinstance(a, dict)
        ],
    }


def _records(
    messages: list[dict[str, Any]], channel: str, name: str, conversations: Conversations
) -> list[ImportRecord]:
    """Records of messages given oldest first; the channel first, so the ingest names it."""
    records: list[ImportRecord] = [
        ChannelRecord(source=PLATFORM, external_id=channel, name=name or None)
    ]
    for item in parse_messages(
        [_exported(m) for m in messages],
        channel,
        conversations=conversations,
        members=set(),
        label=f"channel {channel}",
    ):
        if isinstance(item, BadRecord):
            raise ConnectorError(f"channel {channel}: {item.describe()}")
        if isinstance(item, ActivityRecord | MemberRecord):
            records.append(item)
    return records


def _changes(
    newest_first: list[dict[str, Any]],
    after: int,
    recent: dict[str, str],
    stored: dict[str, str],
    *,
    full: bool,
) -> list[ImportRecord]:
    """Edits and deletions in the latest page, against what the cursor's window (or this sync) stored."""
    known = {**recent, **stored}
    changes: list[ImportRecord] = []
    for message in newest_first:
        edited = message.get("edited_timestamp") or ""
        if int(message["id"]) > after or message["id"] not in known:
            continue
        if edited and edited != known[message["id"]]:
            changes.append(
                ActivityEdit(
                    source=PLATFORM,
                    source_id=message["id"],
                    text=message.get("content") or None,
                    edited_at=parse_iso(edited),
                )
            )
    present = {m["id"] for m in newest_first}
    floor = int(newest_first[-1]["id"]) if full and newest_first else 0
    changes.extend(
        ActivityDeletion(source=PLATFORM, source_id=message_id)
        for message_id in sorted(recent, key=int)
        if int(message_id) >= floor and int(message_id) <= after and message_id not in present
    )
    return changes
