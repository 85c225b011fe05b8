"""Telegram Desktop export: result.json of one chat ("Export chat history", JSON), or of a whole
account (chats.list). Semantics and references: docs/importers.md#telegram.

- type "message": a contribution, grouped into conversations (base.Conversations);
  reply_to_message_id is its parent. Posts signed by a channel (from_id "channel...") are marked bots.
- type "service": join_group_by_link and join_group_by_request are joins of the actor; invite_members
  are joins of the members named (matched to their ids by name, see below); remove_members are leaves
  (the actor removing themself is leaving). Every other action (create_group, pin_message,
  edit_group_title, phone_call, joined_telegram...) is a service message: skipped.
- Service messages name invited and removed members only by display name: a first pass over the file
  learns which id goes with each name (from messages and actions); a name that is unknown or shared by
  several ids is skipped rather than guessed.
- date_unixtime is UTC; older exports only have "date", in the exporting computer's local time: it is
  read in --timezone (the community's zone by default).
- text is a string or a list of strings and entities; both become plain text.
- reactions[].recent names who reacted and when: each is a reaction; the counts are kept in extra.
The file is streamed twice (ijson): memory stays flat.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from tending.importers.base import (
    BadRecord,
    CommunityHint,
    Conversations,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    from_epoch,
    iter_sources,
    json_items,
    media_path,
    parse_iso,
)
from tending.models import (
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

KIND = "telegram"
PLATFORM = "telegram"
DESCRIPTION = "Telegram Desktop export result.json (one chat, or a whole account's chats)"
ITEMS = ("messages.item", "chats.list.item.messages.item", "result.item")
JOIN_ACTIONS = frozenset({"join_group_by_link", "join_group_by_request"})


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    for source in iter_sources(path, options):
        if source.name.lower().endswith(".json"):
            yield from _file(source, options.tz)


def _chat(header: dict[str, Any]) -> tuple[str, str | None]:
    if "chats.list.item.id" in header:
        return str(header["chats.list.item.id"]), header.get("chats.list.item.name")
    return str(header.get("id", "chat")), header.get("name")


def _names(source: SourceFile) -> dict[str, str | None]:
    """Display name -> id for every name used by exactly one id (None when several share it)."""
    names: dict[str, str | None] = {}
    for _header, message in json_items(source, ITEMS):
        if not isinstance(message, dict):
            continue
        for name_field, id_field in (("from", "from_id"), ("actor", "actor_id")):
            name, member_id = message.get(name_field), message.get(id_field)
            if isinstance(name, str) and member_id is not None:
                known = names.get(name, str(member_id))
                names[name] = str(member_id) if known == str(member_id) else None
    return names


def _file(source: SourceFile, tz: tzinfo) -> Iterator[ParseItem]:
    names = _names(source)
    members: set[str] = set()
    chats: set[str] = set()
    conversations = Conversations()
    for number, (header, message) in enumerate(json_items(source, ITEMS), start=1):
        if isinstance(message, dict) and "update_id" in message:
            yield from _update(message, chats, members, conversations, source.label, number)
            continue
        chat, chat_name = _chat(header)
        if chat not in chats:
            chats.add(chat)
            if chat_name and len(chats) == 1:
                yield CommunityHint(str(chat_name))
            yield ChannelRecord(source=PLATFORM, external_id=chat, name=chat_name)
        yield from _message(
            message, chat, tz, names, members, conversations, source.label, number, source.folder
        )


def parse_updates(
    updates: list[Any], *, conversations: Conversations, label: str
) -> Iterator[ParseItem]:
    """The records of Bot API updates as getUpdates returns them (its `result`): the live connector
    (connectors/telegram.py) reads the API through this, so a sync and an import of the same updates give
    the same records and ids. `conversations` carries the conversation state across calls."""
    chats: set[str] = set()
    members: set[str] = set()
    for number, update in enumerate(updates, start=1):
        if isinstance(update, dict):
            yield from _update(update, chats, members, conversations, label, number)


def _update(
    update: dict[str, Any],
    chats: set[str],
    members: set[str],
    conversations: Conversations,
    label: str,
    number: int,
) -> Iterator[ParseItem]:
    """A Bot API update (getUpdates as a bot in the group saw it): ids are numbers, the sender is an
    object, new_chat_members and left_chat_member are joins and leaves."""
    message = update.get("message") or update.get("channel_post")
    if not isinstance(message, dict):
        yield Skip(
            T_("edit record") if "edited_message" in update else T_("update that is not a message")
        )
        return
    chat_info: dict[str, Any] = message["chat"] if isinstance(message.get("chat"), dict) else {}
    if chat_info.get("type") == "private" or chat_info.get("id") is None:
        yield Skip(T_("private chat with the bot"))
        return
    chat = str(chat_info["id"])
    if chat not in chats:
        chats.add(chat)
        yield ChannelRecord(source=PLATFORM, external_id=chat, name=chat_info.get("title"))
    try:
        at = from_epoch(message["date"])
    except (KeyError, TypeError, ValueError):
        yield BadRecord(label, None, "date", Text(T_("update #%(n)s: no valid date."), n=number))
        return
    source_id = f"{chat}:{message.get('message_id')}"
    movers = [(m, JOINED) for m in message.get("new_chat_members") or []]
    if isinstance(message.get("left_chat_member"), dict):
        movers.append((message["left_chat_member"], LEFT))
    for person, kind in movers:
        member_id = yield from _bot_api_member(person, members)
        yield ActivityRecord(
            source=PLATFORM,
            source_id=f"{source_id}:{member_id}",
            member_external_id=member_id,
            kind=kind,
            occurred_at=at,
            channel_external_id=chat,
        )
    if movers:
        return
    if not isinstance(message.get("from"), dict):
        yield BadRecord(
            label, None, "from", Text(T_("update #%(n)s: the message has no sender."), n=number)
        )
        return
    member_id = yield from _bot_api_member(message["from"], members)
    thread, first = conversations.place(chat, str(message.get("message_id")), at)
    reply: dict[str, Any] | None = (
        message["reply_to_message"] if isinstance(message.get("reply_to_message"), dict) else None
    )
    yield ActivityRecord(
        source=PLATFORM,
        source_id=source_id,
        member_external_id=member_id,
        kind=POST if first else REPLY,
        occurred_at=at,
        thread_external_id=thread,
        parent_source_id=f"{chat}:{reply.get('message_id')}" if reply else None,
        channel_external_id=chat,
        text=message.get("text") or message.get("caption"),
    )


def _bot_api_member(person: dict[str, Any], members: set[str]) -> Generator[ParseItem, None, str]:
    member_id = (
        f"user{person.get('id')}"  # the id Telegram Desktop exports show for the same person
    )
    if member_id not in members:
        members.add(member_id)
        name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p) or None
        yield MemberRecord(
            source=PLATFORM,
            external_id=member_id,
            display_name=name,
            handle=person.get("username"),
            is_bot=bool(person.get("is_bot")),
        )
    return member_id


def _message(
    message: Any,
    chat: str,
    tz: tzinfo,
    names: dict[str, str | None],
    members: set[str],
    conversations: Conversations,
    label: str,
    number: int,
    folder: Path | None = None,
) -> Iterator[ParseItem]:
    if not isinstance(message, dict) or message.get("id") is None:
        yield BadRecord(label, None, "id", Text(T_("message #%(n)s has no id."), n=number))
        return
    try:
        at = _instant(message, tz)
    except (KeyError, TypeError, ValueError):
        yield BadRecord(
            label,
            None,
            "date",
            Text(T_("message id %(id)s: no valid date or date_unixtime."), id=message["id"]),
        )
        return
    source_id = f"{chat}:{message['id']}"
    if message.get("type") == "service":
        yield from _service(message, chat, at, source_id, names, members)
        return
    if message.get("type", "message") != "message":
        yield Skip(f"not a message ({message.get('type')})")
        return
    if message.get("from_id") is None:
        yield BadRecord(
            label, None, "from_id", Text(T_("message id %(id)s: no from_id."), id=message["id"])
        )
        return
    member_id = str(message["from_id"])
    yield from _member(member_id, message.get("from"), members)
    thread, first = conversations.place(chat, str(message["id"]), at)
    reply_to = message.get("reply_to_message_id")
    yield ActivityRecord(
        source=PLATFORM,
        source_id=source_id,
        member_external_id=member_id,
        kind=POST if first else REPLY,
        occurred_at=at,
        thread_external_id=thread,
        parent_source_id=f"{chat}:{reply_to}" if reply_to is not None else None,
        channel_external_id=chat,
        text=_text(message.get("text")),
        extra=_extra(message, folder),
    )
    yield from _reactions(message, chat, source_id, thread, tz, members)


def _instant(message: dict[str, Any], tz: tzinfo) -> datetime:
    if message.get("date_unixtime"):
        return from_epoch(message["date_unixtime"])
    return parse_iso(str(message["date"]), tz)


def _member(member_id: str, name: Any, members: set[str]) -> Iterator[ParseItem]:
    if member_id in members:
        return
    members.add(member_id)
    yield MemberRecord(
        source=PLATFORM,
        external_id=member_id,
        display_name=name if isinstance(name, str) else None,
        is_bot=member_id.startswith("channel"),
    )


def _service(
    message: dict[str, Any],
    chat: str,
    at: datetime,
    source_id: str,
    names: dict[str, str | None],
    members: set[str],
) -> Iterator[ParseItem]:
    action = message.get("action")
    actor = str(message["actor_id"]) if message.get("actor_id") is not None else None
    if action in JOIN_ACTIONS and actor:
        yield from _member(actor, message.get("actor"), members)
        yield ActivityRecord(
            source=PLATFORM,
            source_id=source_id,
            member_external_id=actor,
            kind=JOINED,
            occurred_at=at,
            channel_external_id=chat,
        )
        return
    if action in ("invite_members", "remove_members"):
        kind = JOINED if action == "invite_members" else LEFT
        for name in message.get("members") or []:
            member_id = names.get(name) if isinstance(name, str) else None
            if member_id is None:
                yield Skip(T_("member named in a service message whose id is unknown or ambiguous"))
                continue
            yield from _member(member_id, name, members)
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"{source_id}:{member_id}",
                member_external_id=member_id,
                kind=kind,
                occurred_at=at,
                channel_external_id=chat,
            )
        return
    yield Skip(f"service message ({action})")


def _text(text: Any) -> str | None:
    if isinstance(text, str):
        return text or None
    if isinstance(text, list):
        joined = "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in text
            if isinstance(part, str | dict)
        )
        return joined or None
    return None


def _extra(message: dict[str, Any], folder: Path | None = None) -> dict[str, Any] | None:
    extra: dict[str, Any] = {}
    images = [
        found
        for found in (
            media_path(folder, message.get("photo")),
            media_path(folder, message.get("file"))
            if str(message.get("mime_type") or "").startswith("image/")
            else None,
        )
        if found
    ]
    if images:
        extra["images"] = images
    if message.get("edited") or message.get("edited_unixtime"):
        extra["edited"] = True
    counts = {
        str(r.get("emoji") or r.get("document_id") or "?"): r.get("count", 0)
        for r in message.get("reactions") or []
        if isinstance(r, dict)
    }
    if counts:
        extra["reactions"] = counts
    for media in ("photo", "file", "media_type", "sticker_emoji"):
        if message.get(media):
            extra["media"] = message.get("media_type") or media
            break
    return extra or None


def _reactions(
    message: dict[str, Any], chat: str, source_id: str, thread: str, tz: tzinfo, members: set[str]
) -> Iterator[ParseItem]:
    for reaction in message.get("reactions") or []:
        if not isinstance(reaction, dict):
            continue
        emoji = str(reaction.get("emoji") or reaction.get("document_id") or "?")
        for who in reaction.get("recent") or []:
            if not isinstance(who, dict) or who.get("from_id") is None:
                continue
            member_id = str(who["from_id"])
            try:
                at = parse_iso(str(who["date"]), tz) if who.get("date") else None
            except ValueError:
                at = None
            if at is None:
                continue
            yield from _member(member_id, who.get("from"), members)
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"{source_id}:{emoji}:{member_id}",
                member_external_id=member_id,
                kind=REACTION,
                occurred_at=at,
                thread_external_id=thread,
                parent_source_id=source_id,
                channel_external_id=chat,
                extra={"emoji": emoji},
            )
