"""Discord: DiscordChatExporter JSON (one file per channel; a folder or an archive of them). Semantics
and references: docs/importers.md#discord.

- Default and Reply messages are contributions, grouped into conversations (base.Conversations); a
  Reply's reference.messageId is its parent.
- GuildMemberJoin is the member's join. Other message types (pins, calls, channel name or icon changes,
  boosts, thread announcements, recipients added to group DMs) are service messages: skipped.
- author.isBot marks bots (webhooks and integrations included). Deleted accounts keep their id and
  show as "Deleted User".
- Reactions list who reacted only in newer exporter versions (reactions[].users); then each is a
  reaction (dated at its message), else the counts are kept in extra.
- Timestamps carry their offset and become UTC. The file is streamed (ijson): memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tending.errors import shown_text
from tending.importers.base import (
    BadRecord,
    CommunityHint,
    Conversations,
    ParseItem,
    ParseOptions,
    Skip,
    iter_sources,
    json_items,
    media_path,
    parse_iso,
)
from tending.models import (
    JOINED,
    POST,
    REACTION,
    REPLY,
    ActivityRecord,
    ChannelRecord,
    MemberRecord,
)
from tending.texts import T_, Text

KIND = "discord"
PLATFORM = "discord"
DESCRIPTION = "DiscordChatExporter JSON, one file per channel (a folder or an archive of them)"
CONTRIBUTING = frozenset({"Default", "Reply"})
JOIN = "GuildMemberJoin"


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    members: set[str] = set()
    channels: set[str] = set()
    hinted = False
    conversations = Conversations()
    for source in iter_sources(path, options):
        if not source.name.lower().endswith(".json"):
            continue
        for number, (header, message) in enumerate(json_items(source, ("messages.item",)), start=1):
            if not hinted and header.get("guild.name"):
                hinted = True
                yield CommunityHint(str(header["guild.name"]))
            channel = str(header.get("channel.id") or source.basename)
            if channel not in channels:
                channels.add(channel)
                yield ChannelRecord(
                    source=PLATFORM, external_id=channel, name=header.get("channel.name")
                )
            yield from _message(
                message, channel, conversations, members, source.label, number, source.folder
            )


def parse_messages(
    messages: list[Any],
    channel: str,
    *,
    conversations: Conversations,
    members: set[str],
    label: str,
) -> Iterator[ParseItem]:
    """Messages in the exporter's form, oldest first, as parse() reads them (the discord connector
    gives the API's messages in that form: the same records, the same ids)."""
    for number, message in enumerate(messages, start=1):
        yield from _message(message, channel, conversations, members, label, number)


def _message(
    message: Any,
    channel: str,
    conversations: Conversations,
    members: set[str],
    label: str,
    number: int,
    folder: Path | None = None,
) -> Iterator[ParseItem]:
    if not isinstance(message, dict):
        yield BadRecord(label, None, None, Text(T_("message #%(n)s is not an object."), n=number))
        return
    author = message.get("author") if isinstance(message.get("author"), dict) else None
    for field, value in (
        ("id", message.get("id")),
        ("timestamp", message.get("timestamp")),
        ("author.id", author.get("id") if author else None),
    ):
        if not value:
            yield BadRecord(
                label,
                None,
                field,
                Text(T_("message #%(n)s: missing %(field)s."), n=number, field=field),
            )
            return
    assert author is not None
    try:
        at = parse_iso(message["timestamp"])
    except (TypeError, ValueError):
        yield BadRecord(
            label,
            None,
            "timestamp",
            Text(
                T_("message #%(n)s: %(value)s is not a date."),
                n=number,
                value=shown_text(message["timestamp"]),
            ),
        )
        return
    member_id = str(author["id"])
    if member_id not in members:
        members.add(member_id)
        yield MemberRecord(
            source=PLATFORM,
            external_id=member_id,
            handle=author.get("name"),
            display_name=author.get("nickname") or author.get("name"),
            is_bot=bool(author.get("isBot")),
        )
    kind = message.get("type", "Default")
    source_id = str(message["id"])
    if kind == JOIN:
        yield ActivityRecord(
            source=PLATFORM,
            source_id=source_id,
            member_external_id=member_id,
            kind=JOINED,
            occurred_at=at,
            channel_external_id=channel,
        )
        return
    if kind not in CONTRIBUTING:
        yield Skip(f"service message ({kind})")
        return
    thread, first = conversations.place(channel, source_id, at)
    reference: dict[str, Any] = (
        message["reference"] if isinstance(message.get("reference"), dict) else {}
    )
    extra = _extra(message, folder)
    yield ActivityRecord(
        source=PLATFORM,
        source_id=source_id,
        member_external_id=member_id,
        kind=POST if first else REPLY,
        occurred_at=at,
        thread_external_id=thread,
        parent_source_id=str(reference["messageId"]) if reference.get("messageId") else None,
        channel_external_id=channel,
        text=message.get("content") or None,
        extra=extra,
    )
    yield from _reactions(message, source_id, thread, channel, at, members)


def _extra(message: dict[str, Any], folder: Path | None = None) -> dict[str, Any] | None:
    extra: dict[str, Any] = {}
    if message.get("timestampEdited"):
        extra["edited"] = True
    counts = {
        r["emoji"].get("name", "?"): r.get("count", 0)
        for r in message.get("reactions") or []
        if isinstance(r, dict) and isinstance(r.get("emoji"), dict) and not r.get("users")
    }
    if counts:
        extra["reactions"] = counts
    if message.get("attachments"):
        extra["attachments"] = len(message["attachments"])
        # exported with --media, an attachment's url is the downloaded file, relative to the JSON file
        images = [
            found
            for a in message["attachments"]
            if isinstance(a, dict)
            for found in [media_path(folder, a.get("url"))]
            if found
        ]
        if images:
            extra["images"] = images
    return extra or None


def _reactions(
    message: dict[str, Any],
    source_id: str,
    thread: str,
    channel: str,
    at: datetime,
    members: set[str],
) -> Iterator[ParseItem]:
    for reaction in message.get("reactions") or []:
        if not isinstance(reaction, dict):
            continue
        emoji = (reaction.get("emoji") or {}).get("name", "?")
        for user in reaction.get("users") or []:
            if not isinstance(user, dict) or not user.get("id"):
                continue
            user_id = str(user["id"])
            if user_id not in members:
                members.add(user_id)
                yield MemberRecord(
                    source=PLATFORM,
                    external_id=user_id,
                    handle=user.get("name"),
                    display_name=user.get("nickname") or user.get("name"),
                    is_bot=bool(user.get("isBot")),
                )
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"{source_id}:{emoji}:{user_id}",
                member_external_id=user_id,
                kind=REACTION,
                occurred_at=at,
                thread_external_id=thread,
                parent_source_id=source_id,
                channel_external_id=channel,
                extra={"emoji": emoji},
            )
