"""Discourse: topic JSON as served at /t/{id}.json (one file, a folder or an archive of them), optionally
a users listing with join dates (/admin/users/list/all.json). Semantics and references:
docs/importers.md#discourse.

- Post 1 of a topic starts the thread (kind post); the others are replies, to the post named by
  reply_to_post_number or else to the topic's first post.
- post_type: 1 regular (a contribution); 2 moderator action, 3 small action (closed, pinned, moved...),
  4 whisper (staff-only): not contributions, skipped.
- Deleted posts (deleted_at) and posts withdrawn by their author (user_deleted) are skipped.
- user_id <= 0 are Discourse's own accounts (system -1, discobot -2): bots. admin/moderator/staff are staff.
- Likes carry no liker in topic JSON: their count is kept in extra (likes), with reads.
- Private-message topics (archetype private_message) are private and skipped.
Each file is read whole (Discourse serves a topic in chunks of posts, so files stay small).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tending.errors import shown_text
from tending.importers.base import (
    BadRecord,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    iter_sources,
    parse_iso,
    plain_text,
    read_json,
)
from tending.models import (
    JOINED,
    POST,
    REPLY,
    ActivityRecord,
    ChannelRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.texts import T_, Text

KIND = "discourse"
PLATFORM = "discourse"
DESCRIPTION = (
    "Discourse topic JSON (/t/{id}.json), one file, a folder or an archive; optional users listing"
)
REGULAR = 1
SKIPPED_TYPES = {
    2: T_("moderator action"),
    3: T_("small action (closed, pinned, moved...)"),
    4: T_("whisper (staff only)"),
}
LIKE = 2


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    state = _State()
    for source in iter_sources(path, options):
        if not source.name.lower().endswith(".json"):
            continue
        yield from _file(source, read_json(source), state)


class _State:
    def __init__(self) -> None:
        self.members: set[str] = set()
        self.channels: set[str] = set()


def parse_data(data: Any, *, label: str, state: _State | None = None) -> Iterator[ParseItem]:
    """The records of one JSON document as the API serves it (a topic, a post, a users listing): the
    live connector (connectors/discourse.py) reads the API through this, so a sync and an import of the
    same forum give the same records and source ids. `state` carries the members and channels already
    given across documents."""
    source = SourceFile(name=label, label=label, size=None, _open=lambda: None)
    yield from _file(source, data, state if state is not None else _State())


State = _State


def _file(source: SourceFile, data: Any, state: _State) -> Iterator[ParseItem]:
    if isinstance(data, dict) and isinstance(data.get("post_stream"), dict):
        yield from _topic(source, data, state)
    elif isinstance(data, dict) and "topic_id" in data and "post_number" in data:
        yield from _topic(source, {"id": data["topic_id"], "post_stream": {"posts": [data]}}, state)
    elif isinstance(data, dict) and isinstance(data.get("latest_posts"), list):
        for post in data["latest_posts"]:
            yield from _topic(
                source, {"id": post.get("topic_id"), "post_stream": {"posts": [post]}}, state
            )
    elif _users_listing(data) is not None:
        yield from _users(source, _users_listing(data) or [])
    else:
        yield Skip(T_("file that is not a topic, a post or a users listing"))


def _users_listing(data: Any) -> list[Any] | None:
    if isinstance(data, dict):
        if isinstance(data.get("users"), list):
            return list(data["users"])
        if isinstance(data.get("directory_items"), list):
            return [item.get("user") for item in data["directory_items"] if isinstance(item, dict)]
    if (
        isinstance(data, list)
        and data
        and all(isinstance(u, dict) and "username" in u for u in data)
    ):
        return data
    return None


def _users(source: SourceFile, users: list[Any]) -> Iterator[ParseItem]:
    for number, user in enumerate(users, start=1):
        if not isinstance(user, dict) or user.get("id") is None:
            yield BadRecord(source.label, None, "id", Text(T_("user #%(n)s has no id."), n=number))
            continue
        member_id = str(user["id"])
        joined = None
        if user.get("created_at"):
            try:
                joined = parse_iso(user["created_at"])
            except (TypeError, ValueError):
                yield BadRecord(
                    source.label, None, "created_at", Text(T_("user #%(n)s: not a date."), n=number)
                )
                continue
        yield MemberRecord(
            source=PLATFORM,
            external_id=member_id,
            handle=user.get("username"),
            display_name=user.get("name") or user.get("username"),
            joined_at=joined,
            is_staff=bool(user.get("admin") or user.get("moderator")),
            is_bot=_is_bot(user["id"]),
        )
        if joined is not None:
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"joined:{member_id}",
                member_external_id=member_id,
                kind=JOINED,
                occurred_at=joined,
            )


def _is_bot(user_id: Any) -> bool:
    try:
        return int(user_id) <= 0
    except (TypeError, ValueError):
        return False


def _topic(source: SourceFile, topic: dict[str, Any], state: _State) -> Iterator[ParseItem]:
    topic_id = topic.get("id")
    if topic_id is None:
        yield BadRecord(source.label, None, "id", Text(T_("the topic has no id.")))
        return
    if topic.get("archetype") == "private_message":
        yield Skip(T_("private message topic"))
        return
    posts = [p for p in topic["post_stream"].get("posts") or [] if isinstance(p, dict)]
    ids_by_number = {
        p.get("post_number"): p.get("id") for p in posts if isinstance(p.get("post_number"), int)
    }
    channel = str(topic["category_id"]) if topic.get("category_id") is not None else None
    if channel and channel not in state.channels:
        state.channels.add(channel)
        yield ChannelRecord(source=PLATFORM, external_id=channel, name=None)
    if topic.get("title"):
        yield ThreadRecord(
            source=PLATFORM,
            external_id=str(topic_id),
            channel_external_id=channel,
            title=topic.get("title"),
        )
    for post in posts:
        yield from _post(source, post, str(topic_id), channel, ids_by_number, state)


def _post(
    source: SourceFile,
    post: dict[str, Any],
    topic_id: str,
    channel: str | None,
    ids_by_number: dict[Any, Any],
    state: _State,
) -> Iterator[ParseItem]:
    where = f"topic {topic_id}, post {post.get('post_number', '?')}"
    for field in ("id", "user_id", "created_at", "post_number"):
        if post.get(field) is None:
            yield BadRecord(
                source.label,
                None,
                field,
                Text(T_("%(where)s: missing %(field)s."), where=where, field=field),
            )
            return
    post_type = post.get("post_type", REGULAR)
    if post_type != REGULAR:
        known = SKIPPED_TYPES.get(post_type) if isinstance(post_type, int) else None
        yield Skip(known or f"post type {post_type!r:.40}")
        return
    if post.get("deleted_at"):
        yield Skip(T_("deleted post"))
        return
    if post.get("user_deleted"):
        yield Skip(T_("post withdrawn by its author"))
        return
    try:
        at = parse_iso(post["created_at"])
    except (TypeError, ValueError):
        yield BadRecord(
            source.label,
            None,
            "created_at",
            Text(
                T_("%(where)s: %(value)s is not a date."),
                where=where,
                value=shown_text(post["created_at"]),
            ),
        )
        return
    member_id = str(post["user_id"])
    if member_id not in state.members:
        state.members.add(member_id)
        yield MemberRecord(
            source=PLATFORM,
            external_id=member_id,
            handle=post.get("username"),
            display_name=post.get("name") or post.get("username"),
            is_staff=bool(post.get("staff") or post.get("admin") or post.get("moderator")),
            is_bot=_is_bot(post["user_id"]),
        )
    first = post["post_number"] == 1
    parent_id = ids_by_number.get(post.get("reply_to_post_number") or 1)
    yield ActivityRecord(
        source=PLATFORM,
        source_id=f"post:{post['id']}",
        member_external_id=member_id,
        kind=POST if first else REPLY,
        occurred_at=at,
        thread_external_id=topic_id,
        parent_source_id=None if first or parent_id is None else f"post:{parent_id}",
        channel_external_id=channel,
        text=post.get("raw") or plain_text(post.get("cooked")),
        member_name=post.get("username"),
        extra=_extra(post),
    )


def _extra(post: dict[str, Any]) -> dict[str, Any] | None:
    extra: dict[str, Any] = {}
    for action in post.get("actions_summary") or []:
        if isinstance(action, dict) and action.get("id") == LIKE and action.get("count"):
            extra["likes"] = action["count"]
    if post.get("reads"):
        extra["reads"] = post["reads"]
    if post.get("hidden"):
        extra["hidden"] = True
    return extra or None
