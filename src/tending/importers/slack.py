"""Slack workspace export (zip or folder): users.json, channels.json (and groups.json for private
channels), one folder per channel holding one JSON file per day. Semantics and references:
docs/importers.md#slack.

- users.json: members; is_bot or the USLACKBOT id are bots; admins and owners are staff.
- Messages: plain messages, file shares, /me messages and thread broadcasts are contributions. A thread
  reply (thread_ts != ts) is a reply in its thread; other messages are grouped into conversations
  (base.Conversations). bot_message comes from a bot member.
- channel_join/channel_leave in the #general channel (the one every member is in) are the workspace
  join and leave; in other channels they are not community events and are skipped.
- Topic, purpose, name, archive, pin and integration messages are service messages: skipped. Edit and
  deletion records (message_changed, message_deleted, tombstone) are skipped.
- Reactions name who reacted but not when: a reaction is dated at its message.
Direct messages (dms.json, mpims.json and their folders) are private and are not imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tending.errors import BadInputError
from tending.importers.base import (
    BadRecord,
    Conversations,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    from_epoch,
    iter_sources,
    read_json,
)
from tending.models import (
    COMMENT,
    JOINED,
    LEFT,
    POST,
    REACTION,
    REPLY,
    ActivityRecord,
    ChannelRecord,
    MemberRecord,
)
from tending.texts import T_, Text

KIND = "slack"
PLATFORM = "slack"
DESCRIPTION = (
    "Slack workspace export (.zip or folder): users.json, channels.json, a folder per channel"
)
SLACKBOT = "USLACKBOT"
CONTRIBUTING = {None, "file_share", "me_message", "thread_broadcast", "reply_broadcast"}
EDITS = {"message_changed", "message_deleted", "tombstone", "message_replied"}


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    listing = _listing(path, options)
    if "users.json" not in listing and "channels.json" not in listing:
        raise BadInputError(
            Text(T_("no users.json or channels.json here: is this a Slack workspace export?")),
            path=str(path),
        )
    if "users.json" in listing:
        yield from _users(listing["users.json"])
    channels: dict[str, dict[str, Any]] = {}
    for name in ("channels.json", "groups.json"):
        if name in listing:
            for channel in _list_of(listing[name]):
                if isinstance(channel, dict) and channel.get("id") and channel.get("name"):
                    channels[channel["name"]] = channel
                    yield ChannelRecord(
                        source=PLATFORM, external_id=channel["id"], name=channel["name"]
                    )
    yield from _messages(path, options, channels)


def _listing(path: Path, options: ParseOptions) -> dict[str, SourceFile]:
    """The export's top-level JSON files, found at the shallowest depth (a zip may nest a folder)."""
    found: dict[str, SourceFile] = {}
    for source in iter_sources(path, ParseOptions(tz=options.tz)):
        if source.basename in ("users.json", "channels.json", "groups.json"):
            depth = source.name.count("/")
            if source.basename not in found or depth < found[source.basename].name.count("/"):
                found[source.basename] = source
    return found


def _list_of(source: SourceFile) -> list[Any]:
    data = read_json(source)
    if not isinstance(data, list):
        raise BadInputError(Text(T_("expected a JSON list.")), path=source.label)
    return data


def _users(source: SourceFile) -> Iterator[ParseItem]:
    yield from parse_users(_list_of(source), label=source.label)


def parse_users(users: list[Any], *, label: str) -> Iterator[ParseItem]:
    """Members from users.json, or from users.list's `members` (the slack connector): the same objects."""
    for number, user in enumerate(users, start=1):
        if not isinstance(user, dict) or not user.get("id") or not isinstance(user["id"], str):
            yield BadRecord(label, None, "id", Text(T_("user #%(n)s has no id."), n=number))
            continue
        profile = user["profile"] if isinstance(user.get("profile"), dict) else {}
        yield MemberRecord(
            source=PLATFORM,
            external_id=user["id"],
            handle=user.get("name"),
            display_name=profile.get("display_name")
            or user.get("real_name")
            or profile.get("real_name")
            or user.get("name"),
            is_bot=bool(user.get("is_bot")) or user["id"] == SLACKBOT,
            is_staff=bool(user.get("is_admin") or user.get("is_owner")),
            email=profile.get("email") or None,
        )


def _messages(
    path: Path, options: ParseOptions, channels: dict[str, dict[str, Any]]
) -> Iterator[ParseItem]:
    conversations = Conversations()
    bots: set[str] = set()
    for source in iter_sources(path, options):
        parts = source.name.split("/")
        if len(parts) < 2 or not parts[-1].endswith(".json") or parts[-2] not in channels:
            continue
        channel = channels[parts[-2]]
        messages = read_json(source)
        if not isinstance(messages, list):
            yield BadRecord(
                source.label,
                None,
                None,
                Text(T_("a channel's day file must be a JSON list of messages.")),
            )
            continue
        for number, message in enumerate(messages, start=1):
            yield from _message(message, channel, conversations, bots, source.label, number)


def parse_messages(
    messages: list[Any],
    channel: dict[str, Any],
    *,
    conversations: Conversations,
    bots: set[str],
    label: str,
) -> Iterator[ParseItem]:
    """Messages as a channel's day file holds them, oldest first, or as conversations.history and
    conversations.replies give them (the slack connector): the same records, the same ids.
    channel: its id, and is_general (joins and leaves count in #general only)."""
    for number, message in enumerate(messages, start=1):
        yield from _message(message, channel, conversations, bots, label, number)


def _message(
    message: Any,
    channel: dict[str, Any],
    conversations: Conversations,
    bots: set[str],
    label: str,
    number: int,
) -> Iterator[ParseItem]:
    if not isinstance(message, dict) or message.get("type", "message") != "message":
        yield Skip(T_("not a message"))
        return
    try:
        at = from_epoch(message["ts"])
    except (KeyError, TypeError, ValueError):
        yield BadRecord(label, None, "ts", Text(T_("message #%(n)s has no valid ts."), n=number))
        return
    subtype = message.get("subtype")
    cid = channel["id"]
    source_id = f"{cid}:{message['ts']}"
    if subtype in ("channel_join", "channel_leave", "group_join", "group_leave"):
        yield from _membership(message, channel, subtype, at, source_id)
        return
    if subtype in EDITS:
        yield Skip(T_("edit or deletion record"))
        return
    author = _author(message, subtype)
    if author is None:
        yield BadRecord(
            label,
            None,
            "user",
            Text(T_("message #%(n)s (ts %(ts)s) has no user."), n=number, ts=message["ts"]),
        )
        return
    if subtype not in CONTRIBUTING and subtype not in ("bot_message", "file_comment"):
        yield Skip(f"service message ({subtype})")
        return
    member_id, member_name = author
    if member_id.startswith("bot:") and member_id not in bots:
        bots.add(member_id)
        yield MemberRecord(
            source=PLATFORM, external_id=member_id, display_name=member_name, is_bot=True
        )
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != message["ts"]:
        thread, kind, parent = f"{cid}:{thread_ts}", REPLY, f"{cid}:{thread_ts}"
    elif thread_ts:
        thread, kind, parent = source_id, POST, None
    else:
        thread, first = conversations.place(cid, message["ts"], at)
        kind, parent = (POST if first else REPLY), None
    if subtype == "file_comment":
        kind = COMMENT
    yield ActivityRecord(
        source=PLATFORM,
        source_id=source_id,
        member_external_id=member_id,
        kind=kind,
        occurred_at=at,
        thread_external_id=thread,
        parent_source_id=parent,
        channel_external_id=cid,
        text=_text(message),
        member_name=member_name,
        extra={"edited": True} if message.get("edited") else None,
    )
    yield from _reactions(message, cid, source_id, thread, at)


def _membership(
    message: dict[str, Any], channel: dict[str, Any], subtype: str, at: datetime, source_id: str
) -> Iterator[ParseItem]:
    user = message.get("user")
    if not channel.get("is_general") or not user:
        yield Skip(T_("joined or left a channel other than #general"))
        return
    kind = JOINED if subtype.endswith("join") else LEFT
    yield ActivityRecord(
        source=PLATFORM,
        source_id=source_id,
        member_external_id=user,
        kind=kind,
        occurred_at=at,
        channel_external_id=channel["id"],
    )


def _author(message: dict[str, Any], subtype: str | None) -> tuple[str, str | None] | None:
    if subtype == "file_comment":
        comment = message.get("comment") or {}
        return (comment["user"], None) if comment.get("user") else None
    if message.get("user"):
        return message["user"], None
    if message.get("bot_id"):
        return f"bot:{message['bot_id']}", message.get("username") or "bot"
    return None


def _text(message: dict[str, Any]) -> str | None:
    if message.get("subtype") == "file_comment":
        return (message.get("comment") or {}).get("comment")
    return message.get("text") or None


def _reactions(
    message: dict[str, Any], cid: str, source_id: str, thread: str, at: datetime
) -> Iterator[ParseItem]:
    for reaction in message.get("reactions") or []:
        name = reaction.get("name", "")
        for user in reaction.get("users") or []:
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"{source_id}:{name}:{user}",
                member_external_id=user,
                kind=REACTION,
                occurred_at=at,
                thread_external_id=thread,
                parent_source_id=source_id,
                channel_external_id=cid,
                extra={"emoji": name},
            )
