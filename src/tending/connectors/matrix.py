"""A Matrix room through the client-server API (https://spec.matrix.org/v1.11/client-server-api/):
`/sync` with `since` (one request when nothing is new), `/rooms/{id}/messages?dir=b` to fill a gap or,
on the first sync, the history the account may read. The account (a bot user the admin creates) must
have joined the room.

- m.room.message: a message; chats have no threads, so as the chat importers do (importers/base.py
  Conversations) a message after six hours of silence starts a conversation (kind post) and the next ones
  reply in it; a thread (m.thread) or a reply (m.in_reply_to) names its parent.
- An edit (m.replace) updates the stored text of the message it replaces; a redaction (m.room.redaction)
  deletes the message or reaction it redacts (store/deletions.py). Redacted events read later are left
  out.
- m.reaction: a reaction to the event it relates to.
- m.room.member: a join (membership join, not a profile change) or a leave (leave, ban).
Ids: members are Matrix user ids (@ada:example.org, what delivery/matrix.py sends to), activities are event
ids, the room is the channel. Cursor: since (the next_batch token), newest_ts, the conversation state, and
the bot's own user id (its messages are marked as a bot's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, json_of
from tending.importers.base import Conversations
from tending.models import (
    JOINED,
    LEFT,
    POST,
    REACTION,
    REPLY,
    ActivityDeletion,
    ActivityEdit,
    ActivityRecord,
    ChannelRecord,
    ImportRecord,
    MemberRecord,
)
from tending.texts import T_

KIND = "matrix"
PLATFORM = "matrix"
DESCRIPTION = T_("A Matrix room, by its id (!abc:example.org) or alias (#room:example.org)")
FIELDS = (
    Field("homeserver", T_("The homeserver's URL (https://matrix.example.org)."), required=True),
    Field(
        "access_token",
        T_("The bot account's access token (by reference)."),
        secret=True,
        required=True,
    ),
)
CLIENT = "/_matrix/client/v3"
TIMELINE_LIMIT = 200
PAGE = 200  # events per /messages request
MAX_PAGES = 5000
STREAM_TIMEOUT_MS = 25_000  # a long-poll: under the HTTP client's timeout and most proxies' 30 s


def normalise_target(target: str) -> str:
    room = target.strip()
    # room version 12 ids carry no server name (!abc); aliases always do (#room:example.org)
    if not (room.startswith("!") and len(room) > 1) and not (room.startswith("#") and ":" in room):
        raise ConnectorError(
            f"'{room}' is not a Matrix room id (!abc:example.org) or alias (#room:example.org)."
        )
    return room


def headers(credentials: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


def _base(credentials: dict[str, str]) -> str:
    url = credentials.get("homeserver", "").rstrip("/")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ConnectorError(
            "homeserver: expected the homeserver's URL (https://matrix.example.org)."
        )
    return url


def _room_id(http: Http, base: str, target: str) -> str:
    if target.startswith("!"):
        return target
    data = json_of(http.get(f"{base}{CLIENT}/directory/room/{quote(target)}"), "room alias")
    if not isinstance(data, dict) or not data.get("room_id"):
        raise ConnectorError(f"the alias {target} names no room.")
    return str(data["room_id"])


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    base = _base(credentials)
    whoami = json_of(http.get(f"{base}{CLIENT}/account/whoami"), "whoami")
    room = _room_id(http, base, target)
    response = http.get(f"{base}{CLIENT}/rooms/{quote(room)}/joined_members", ok=(200, 403))
    if response.status_code == 403:
        raise ConnectorError(
            f"{whoami.get('user_id', 'the account')} has not joined {target}: invite it, "
            "then have it join."
        )
    members = json_of(response, "joined members").get("joined", {})
    return Seen(
        summary=f"room {target} as {whoami.get('user_id')}: {len(members)} members; messages, replies, "
        "reactions, joins and leaves the room's history visibility lets the account read.",
        details={"room_id": room, "members": len(members)},
    )


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    base = _base(credentials)
    room = cursor.get("room_id") or _room_id(http, base, target)
    bot = cursor.get("bot") or json_of(http.get(f"{base}{CLIENT}/account/whoami"), "whoami").get(
        "user_id"
    )
    data = json_of(
        http.get(f"{base}{CLIENT}/sync", params=_sync_params(room, cursor.get("since"))), "sync"
    )
    rooms = data.get("rooms") or {}
    joined = (rooms.get("join") or {}).get(room)
    if room in (rooms.get("leave") or {}):
        raise ConnectorError(
            f"{bot} is no longer in {target} (it left or was removed); invite it again."
        )
    events: list[dict[str, Any]] = []
    if joined:
        timeline = joined.get("timeline") or {}
        events = [e for e in timeline.get("events") or [] if isinstance(e, dict)]
        if timeline.get("limited") and timeline.get("prev_batch"):
            events = (
                _backfill(http, base, room, timeline["prev_batch"], cursor.get("newest_ts"))
                + events
            )
        state = [e for e in (joined.get("state") or {}).get("events") or [] if isinstance(e, dict)]
        events = state + events
    conversations = Conversations()
    for key, (at, thread) in (cursor.get("conversations") or {}).items():
        conversations.last[key] = (datetime.fromisoformat(at), thread)
    records, newest = _records(events, room, bot, conversations, cursor.get("newest_ts"))
    yield (
        records,
        {
            "room_id": room,
            "bot": bot,
            "since": data.get("next_batch"),
            "newest_ts": newest,
            "conversations": {k: [at.isoformat(), t] for k, (at, t) in conversations.last.items()},
        },
    )


def listen(
    target: str,
    credentials: dict[str, str],
    cursor: dict[str, Any],
    *,
    http: Http,
    news: Callable[[], None],
    running: Callable[[], bool],
    timeout_ms: int = STREAM_TIMEOUT_MS,
) -> None:
    """Long-poll /sync (spec: GET /sync, `timeout`: the homeserver holds the request until an event
    comes or the timeout passes) from the cursor's since, and call news() as soon as the room has an
    event; while running() says so. The tokens it reads are its own: the sync that news() asks for
    reads again from the stored cursor, through the single write path. Without a first sync (no since
    yet) there is nothing to listen from: it returns at once."""
    since = cursor.get("since")
    room = cursor.get("room_id")
    if not since or not room:
        return
    base = _base(credentials)
    while running():
        params = _sync_params(room, since)
        params["timeout"] = timeout_ms
        data = json_of(http.get(f"{base}{CLIENT}/sync", params=params), "sync")
        rooms = data.get("rooms") or {}
        if room in (rooms.get("leave") or {}):
            raise ConnectorError(
                f"{cursor.get('bot') or 'the account'} is no longer in {target} (it left or was "
                "removed); invite it again."
            )
        joined = (rooms.get("join") or {}).get(room) or {}
        if (joined.get("timeline") or {}).get("events") or (joined.get("state") or {}).get(
            "events"
        ):
            news()
        since = data.get("next_batch") or since


def _sync_params(room: str, since: str | None) -> dict[str, Any]:
    room_filter = {
        "rooms": [room],
        "timeline": {"limit": TIMELINE_LIMIT},
        "ephemeral": {"types": []},
        "account_data": {"types": []},
    }
    params: dict[str, Any] = {
        "timeout": 0,
        "filter": json.dumps(
            {"room": room_filter, "presence": {"types": []}, "account_data": {"types": []}}
        ),
    }
    if since:
        params["since"] = since
    return params


def _backfill(
    http: Http, base: str, room: str, token: str, stop_ts: int | None
) -> list[dict[str, Any]]:
    """Older events, from the gap's token backwards, until those already stored (or the room's start)."""
    older: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = json_of(
            http.get(
                f"{base}{CLIENT}/rooms/{quote(room)}/messages",
                params={"dir": "b", "from": token, "limit": PAGE},
            ),
            "room messages",
        )
        chunk = [e for e in page.get("chunk") or [] if isinstance(e, dict)]
        older.extend(chunk)
        reached = stop_ts is not None and any(
            int(e.get("origin_server_ts") or 0) <= stop_ts for e in chunk
        )
        if not chunk or not page.get("end") or reached:
            break
        token = page["end"]
    return list(reversed(older))


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(event["origin_server_ts"]) / 1000, tz=UTC)


def _records(
    events: list[dict[str, Any]],
    room: str,
    bot: str | None,
    conversations: Conversations,
    newest_ts: int | None,
) -> tuple[list[ImportRecord], int | None]:
    records: list[ImportRecord] = [
        ChannelRecord(source=PLATFORM, external_id=room, name=_room_name(events))
    ]
    members: dict[str, str | None] = {}
    seen: set[str] = set()
    changes: list[ImportRecord] = []
    for event in sorted(
        events, key=lambda e: (int(e.get("origin_server_ts") or 0), str(e.get("event_id")))
    ):
        event_id, sender = event.get("event_id"), event.get("sender")
        if not event_id or not sender or event.get("origin_server_ts") is None or event_id in seen:
            continue
        seen.add(event_id)
        change = _change(event)
        if change is not None:
            changes.append(change)
            continue
        activity = _activity(event, room, conversations)
        if activity is None:
            continue
        who = activity.member_external_id
        if who not in members or (activity.member_name and not members[who]):
            members[who] = activity.member_name
        records.append(activity)
        newest_ts = max(newest_ts or 0, int(event["origin_server_ts"]))
    if len(records) == 1:
        return changes, newest_ts  # nothing new (but edits or redactions): no insert
    people = [
        MemberRecord(
            source=PLATFORM,
            external_id=who,
            display_name=name or who,
            handle=who,
            is_bot=who == bot,
        )
        for who, name in members.items()
    ]
    return [records[0], *people, *records[1:], *changes], newest_ts


def _change(event: dict[str, Any]) -> ImportRecord | None:
    """An edit (m.replace: the text is m.new_content's body) or a redaction (the event it redacts:
    `redacts` at the top in rooms up to version 10, in the content from version 11)."""
    content = event.get("content") if isinstance(event.get("content"), dict) else {}
    assert isinstance(content, dict)
    if event.get("type") == "m.room.redaction":
        target = event.get("redacts") or content.get("redacts")
        if not isinstance(target, str):
            return None
        return ActivityDeletion(source=PLATFORM, source_id=target, deleted_at=_at(event))
    relates = content.get("m.relates_to")
    new = content.get("m.new_content")
    if (
        event.get("type") == "m.room.message"
        and isinstance(relates, dict)
        and relates.get("rel_type") == "m.replace"
        and isinstance(relates.get("event_id"), str)
        and isinstance(new, dict)
        and "body" in new
    ):
        return ActivityEdit(
            source=PLATFORM,
            source_id=relates["event_id"],
            text=str(new["body"]),
            edited_at=_at(event),
        )
    return None


def _room_name(events: list[dict[str, Any]]) -> str | None:
    names = [
        e for e in events if e.get("type") == "m.room.name" and isinstance(e.get("content"), dict)
    ]
    return (
        str(names[-1]["content"].get("name"))
        if names and names[-1]["content"].get("name")
        else None
    )


def _activity(
    event: dict[str, Any], room: str, conversations: Conversations
) -> ActivityRecord | None:
    kind, content = event.get("type"), event.get("content")
    if not isinstance(content, dict) or not content:
        return None  # redacted
    if kind == "m.room.member":
        return _membership(event, content, room)
    found = content.get("m.relates_to")
    relates: dict[str, Any] = found if isinstance(found, dict) else {}
    at = _at(event)
    base = {
        "source": PLATFORM,
        "source_id": event["event_id"],
        "member_external_id": event["sender"],
        "occurred_at": at,
        "channel_external_id": room,
    }
    if kind == "m.reaction" and relates.get("event_id"):
        return ActivityRecord(
            **base,
            kind=REACTION,
            parent_source_id=relates["event_id"],
            extra={"key": relates.get("key")} if relates.get("key") else None,
        )
    if kind != "m.room.message" or relates.get("rel_type") == "m.replace" or "body" not in content:
        return None
    reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
    if relates.get("rel_type") == "m.thread" and relates.get("event_id"):
        thread, first = f"{room}:{relates['event_id']}", False
        reply_to = reply_to or relates["event_id"]
    else:
        thread, first = conversations.place(room, event["event_id"], at)
    return ActivityRecord(
        **base,
        kind=POST if first and not reply_to else REPLY,
        thread_external_id=thread,
        parent_source_id=reply_to,
        text=str(content.get("body")),
    )


def _membership(event: dict[str, Any], content: dict[str, Any], room: str) -> ActivityRecord | None:
    who = event.get("state_key") or event["sender"]
    now = content.get("membership")
    before = ((event.get("unsigned") or {}).get("prev_content") or {}).get("membership")
    if now == "join" and before != "join":
        kind = JOINED
    elif now in ("leave", "ban") and before in ("join", None):
        kind = LEFT
    else:
        return None
    return ActivityRecord(
        source=PLATFORM,
        source_id=event["event_id"],
        member_external_id=who,
        kind=kind,
        occurred_at=_at(event),
        channel_external_id=room,
        member_name=content.get("displayname") if kind == JOINED else None,
    )
