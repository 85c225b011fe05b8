"""A Slack channel through an app the workspace installs for itself (Web API,
https://docs.slack.dev/reference/methods/conversations.history): conversations.history with `oldest`,
`inclusive` and cursor pagination (`response_metadata.next_cursor` while `has_more`), newest first;
conversations.replies for the threads; users.list for the members' names. Messages are parsed by the
importer's own reading of an export's day files (importers/slack.py parse_messages), so an export import
and a sync give the same ids ({channel}:{ts}, user ids).

- Every answer is HTTP 200 with `ok`; `ok: false` names the error (invalid_auth, channel_not_found,
  not_in_channel, missing_scope...): one sentence naming the field. A 429 (`ratelimited`) waits its
  Retry-After (connectors/base.py). Tier 3 methods: 50+ calls a minute for an internal app.
- Edits and deletions: each sync reads again the channel from the oldest of its last RECENT messages
  (kept in the cursor's `recent`: ts -> [edited ts, thread ts]): a newer `edited.ts` is an edit, a
  message of that range missing now (or become a `tombstone`) is a deletion. A thread among them is read
  again (conversations.replies) when its reply_count or latest_reply changed: its new replies, edits and
  deletions. Older messages, and replies to threads whose parent is older, are not read again.
A sync with nothing new costs one request. Cursor: latest_ts (every message up to it is stored), recent,
threads (ts -> reply_count:latest_reply), users (the ids whose names are stored), the conversation state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tending.connectors import slack_socket
from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, json_of
from tending.importers.base import BadRecord, Conversations, from_epoch
from tending.importers.slack import parse_messages, parse_users
from tending.models import (
    ActivityDeletion,
    ActivityEdit,
    ActivityRecord,
    ChannelRecord,
    ImportRecord,
    MemberRecord,
)
from tending.texts import T_

KIND = "slack"
PLATFORM = "slack"
DESCRIPTION = T_("A Slack channel, by its id (C0123ABCD), through an app added to it")
FIELDS = (
    Field(
        "token",
        T_("The app's bot token (xoxb-..., OAuth & Permissions), by reference."),
        secret=True,
        required=True,
    ),
    Field("api_url", T_("The Web API's base URL (default https://slack.com/api).")),
    Field(
        "app_token",
        T_(
            "An app-level token (xapp-..., scope connections:write), by reference: the worker then "
            "holds Socket Mode open and syncs as soon as something happens."
        ),
        secret=True,
    ),
)
API = "https://slack.com/api"
PAGE = 200  # conversations.history's documented advice: no more than 200 a page
RECENT = 100  # messages read again on every sync, for their edits and deletions
STEP_MESSAGES = 1000  # messages stored (with their cursor) per transaction
MAX_PAGES = 5000
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def normalise_target(target: str) -> str:
    channel = target.strip()
    if not CHANNEL_ID.match(channel):
        raise ConnectorError(
            f"'{channel}' is not a Slack channel id (such as C0123ABCD: the channel's details, "
            "at the bottom)."
        )
    return channel


def headers(credentials: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials.get('token', '')}"}


def _base(credentials: dict[str, str]) -> str:
    return (credentials.get("api_url") or API).rstrip("/")


def _call(http: Http, base: str, method: str, channel: str, params: dict[str, Any]) -> Any:
    data = json_of(http.get(f"{base}/{method}", params=params), method)
    if not isinstance(data, dict) or "ok" not in data:
        raise ConnectorError(f"Slack's answer to {method} has no `ok`: is api_url a Slack Web API?")
    if not data["ok"]:
        raise _refusal(method, channel, data)
    return data


def _refusal(method: str, channel: str, data: dict[str, Any]) -> ConnectorError:
    error = str(data.get("error") or "")
    error = error if re.fullmatch(r"[a-z_]{1,60}", error) else "an unnamed error"
    if error in TOKEN_ERRORS:
        return ConnectorError(
            f"token: Slack refused the token ({method}: {error}): it is wrong, revoked or expired; "
            "install the app again for a new one."
        )
    if error == "channel_not_found":
        return ConnectorError(
            f"channel {channel}: Slack finds no such channel ({method}: channel_not_found): check "
            "the id, and for a private channel that the app was added to it."
        )
    if error == "not_in_channel":
        return ConnectorError(
            f"channel {channel}: the app is not a member ({method}: not_in_channel): add it to the "
            "channel (/invite @the-app)."
        )
    if error == "missing_scope":
        needed = str(data.get("needed") or "")
        needed = needed if re.fullmatch(r"[a-z:.,_]{1,200}", needed) else "?"
        return ConnectorError(
            f"token: the app lacks a scope for {method} (missing_scope, needed: {needed}): add "
            "it (OAuth & Permissions) and install the app again."
        )
    return ConnectorError(f"Slack answered {method} with the error {error}.")


def wants_stream(options: dict[str, Any], references: dict[str, str]) -> bool:
    """Socket Mode is opt-in: only with an app-level token."""
    return "app_token" in references


def listen(
    target: str,
    credentials: dict[str, str],
    cursor: dict[str, Any],
    *,
    http: Http,
    news: Callable[[], None],
    running: Callable[[], bool],
) -> None:
    """The live stream: Socket Mode (connectors/slack_socket.py) calls news() on an event of the
    channel or the workspace; the worker then runs this connector's REST pass."""
    base, app_token = _base(credentials), credentials.get("app_token", "")
    slack_socket.stream(
        lambda: slack_socket.open_url(http, base, app_token),
        slack_socket.Watch(channel=target, news=news, running=running),
    )


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    base = _base(credentials)
    me = _call(http, base, "auth.test", target, {})
    channel = _channel(http, base, target)
    newest = _call(http, base, "conversations.history", target, {"channel": target, "limit": 1})
    summary = (
        f"the channel #{channel.get('name') or target} of {me.get('team') or 'the workspace'}: "
        "messages, threads, reactions"
        + (", joins and leaves (it is #general)" if channel.get("is_general") else "")
        + f"; edits and deletions among its latest {RECENT} messages"
    )
    if newest.get("messages"):
        summary += "; history readable"
    return Seen(
        summary=summary + ".",
        details={"name": channel.get("name"), "is_general": bool(channel.get("is_general"))},
    )


def _channel(http: Http, base: str, target: str) -> dict[str, Any]:
    found = _call(http, base, "conversations.info", target, {"channel": target}).get("channel")
    if not isinstance(found, dict):
        raise ConnectorError(f"channel {target}: Slack's conversations.info has no `channel`.")
    return found


# -- sync ---------------------------------------------------------------------------------------------


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    base = _base(credentials)
    state = _State(cursor)
    if state.channel is None:
        info = _channel(http, base, target)
        state.channel = {"name": info.get("name"), "is_general": bool(info.get("is_general"))}
    channel = {"id": target, **state.channel}
    start = min(state.recent, key=_ts) if state.recent else state.latest_ts
    messages = _history(http, base, target, start)
    top = [m for m in messages if m.get("subtype") != "tombstone"]
    changes = _top_changes(target, messages, state, start)
    replies, reply_changes = _threads(http, base, target, top, state)
    changes += reply_changes
    fresh = [m for m in top if _ts(m["ts"]) > _ts(state.latest_ts)]
    new_replies = [r for r in replies if r["ts"] not in state.recent]
    users = _new_users(http, base, target, fresh + new_replies, state)
    done = _next_state(state, messages, replies, changes)
    if not fresh and not new_replies and not changes and not users and done == state.as_cursor():
        return  # nothing new: no write at all
    named: list[ImportRecord] = [
        ChannelRecord(source=PLATFORM, external_id=target, name=channel.get("name")),
        *users,
    ]
    # the channel's own messages oldest first, in steps, each with the ts it reached; then the
    # replies, the changes and the new window together (a sync stopped before reads them again)
    chunks = [fresh[i : i + STEP_MESSAGES] for i in range(0, len(fresh), STEP_MESSAGES)] or [[]]
    for chunk in chunks[:-1]:
        yield (
            [*named, *_records(chunk, channel, state)],
            {**state.as_cursor(), "latest_ts": chunk[-1]["ts"]},
        )
        named = named[:1]
    records = _records(chunks[-1], channel, state) + _records(new_replies, channel, state)
    yield (
        [*named, *records, *changes],
        {**done, "conversations": state.as_cursor()["conversations"]},
    )


class _State:
    """The cursor, read."""

    def __init__(self, cursor: dict[str, Any]) -> None:
        self.latest_ts: str | None = cursor.get("latest_ts")
        self.recent: dict[str, list[str]] = {
            k: list(v) for k, v in (cursor.get("recent") or {}).items()
        }
        self.threads: dict[str, str] = dict(cursor.get("threads") or {})
        self.users: list[str] = list(cursor.get("users") or [])
        self.channel: dict[str, Any] | None = cursor.get("channel")
        self.conversations = Conversations()
        for key, (at, thread) in (cursor.get("conversations") or {}).items():
            self.conversations.last[key] = (datetime.fromisoformat(at), thread)

    def as_cursor(self) -> dict[str, Any]:
        return {
            "latest_ts": self.latest_ts,
            "recent": self.recent,
            "threads": self.threads,
            "users": self.users,
            "channel": self.channel,
            "conversations": {
                k: [at.isoformat(), t] for k, (at, t) in self.conversations.last.items()
            },
        }


def _ts(value: str | None) -> Decimal:
    if value is None:
        return Decimal(-1)
    try:
        return Decimal(value)
    except InvalidOperation:
        return Decimal(-1)


def _max_ts(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x is not None), key=_ts, default=None)


def _pages(
    http: Http, base: str, method: str, channel: str, params: dict[str, Any]
) -> Iterator[list[dict[str, Any]]]:
    """The `messages` of each page, following response_metadata.next_cursor while has_more."""
    page_params = dict(params)
    for _ in range(MAX_PAGES):
        data = _call(http, base, method, channel, page_params)
        found = data.get("messages")
        if not isinstance(found, list):
            raise ConnectorError(
                f"channel {channel}: Slack's {method} has no `messages` list; nothing was stored."
            )
        yield [_checked(m, channel, method) for m in found]
        following = (data.get("response_metadata") or {}).get("next_cursor")
        if not data.get("has_more") or not following:
            return
        page_params = {**params, "cursor": following}


def _checked(message: Any, channel: str, method: str) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise ConnectorError(
            f"channel {channel}: a message of Slack's {method} is not an object; nothing was stored."
        )
    if _ts(message.get("ts")) < 0:
        raise ConnectorError(
            f"channel {channel}: a message of Slack's {method} has no valid ts; nothing was stored."
        )
    return message


def _history(http: Http, base: str, channel: str, oldest: str | None) -> list[dict[str, Any]]:
    """Every message from `oldest` (included) on, oldest first; the whole history without one."""
    params: dict[str, Any] = {"channel": channel, "limit": PAGE}
    if oldest is not None:
        params.update(oldest=oldest, inclusive="true")
    found: dict[str, dict[str, Any]] = {}
    for page in _pages(http, base, "conversations.history", channel, params):
        for message in page:
            found.setdefault(message["ts"], message)
    return sorted(found.values(), key=lambda m: _ts(m["ts"]))


def _edited(message: dict[str, Any]) -> str:
    edited = message.get("edited")
    return str(edited.get("ts") or "") if isinstance(edited, dict) else ""


def _edit(channel: str, message: dict[str, Any]) -> ActivityEdit:
    edited = _edited(message)
    return ActivityEdit(
        source=PLATFORM,
        source_id=f"{channel}:{message['ts']}",
        text=message.get("text") or None,
        edited_at=from_epoch(edited) if edited else None,
    )


def _top_changes(
    channel_id: str, messages: list[dict[str, Any]], state: _State, start: str | None
) -> list[ImportRecord]:
    """Edits and deletions of the channel's own messages (not thread replies) read again."""
    changes: list[ImportRecord] = []
    by_ts = {m["ts"]: m for m in messages}
    for ts, (edited, thread) in state.recent.items():
        if thread and thread != ts:
            continue  # a reply: its thread decides (_threads)
        message = by_ts.get(ts)
        if message is None or message.get("subtype") == "tombstone":
            if _ts(ts) >= _ts(start):
                changes.append(ActivityDeletion(source=PLATFORM, source_id=f"{channel_id}:{ts}"))
        elif _edited(message) and _edited(message) != edited:
            changes.append(_edit(channel_id, message))
    return changes


def _threads(
    http: Http, base: str, channel: str, top: list[dict[str, Any]], state: _State
) -> tuple[list[dict[str, Any]], list[ImportRecord]]:
    """The replies of the threads whose reply_count or latest_reply changed, and their changes."""
    replies: list[dict[str, Any]] = []
    changes: list[ImportRecord] = []
    for parent in top:
        ts = parent["ts"]
        if not parent.get("reply_count") or parent.get("thread_ts", ts) != ts:
            continue
        if _signature(parent) == state.threads.get(ts):
            continue
        found: dict[str, dict[str, Any]] = {}
        for page in _pages(
            http,
            base,
            "conversations.replies",
            channel,
            {"channel": channel, "ts": ts, "limit": PAGE},
        ):
            for reply in page:
                if reply["ts"] != ts:
                    found.setdefault(reply["ts"], reply)
        replies.extend(sorted(found.values(), key=lambda m: _ts(m["ts"])))
        for reply_ts, (edited, thread) in state.recent.items():
            if thread != ts or reply_ts == ts:
                continue
            now = found.get(reply_ts)
            if now is None:
                changes.append(ActivityDeletion(source=PLATFORM, source_id=f"{channel}:{reply_ts}"))
            elif _edited(now) and _edited(now) != edited:
                changes.append(_edit(channel, now))
    return replies, changes


def _signature(parent: dict[str, Any]) -> str:
    return f"{parent.get('reply_count') or 0}:{parent.get('latest_reply') or ''}"


def _new_users(
    http: Http, base: str, channel: str, messages: list[dict[str, Any]], state: _State
) -> list[ImportRecord]:
    """Members' names from users.list, read again only when a message names someone not yet known."""
    named = {m["user"] for m in messages if isinstance(m.get("user"), str)}
    known = set(state.users)
    if named <= known:
        return []
    users: list[Any] = []
    params: dict[str, Any] = {"limit": PAGE}
    for _ in range(MAX_PAGES):
        data = _call(http, base, "users.list", channel, params)
        found = data.get("members")
        if not isinstance(found, list):
            raise ConnectorError("Slack's users.list has no `members` list; nothing was stored.")
        users.extend(found)
        following = (data.get("response_metadata") or {}).get("next_cursor")
        if not following:
            break
        params = {"limit": PAGE, "cursor": following}
    records: list[ImportRecord] = []
    for item in parse_users(users, label="users.list"):
        if isinstance(item, BadRecord):
            raise ConnectorError(f"Slack's users.list: {item.describe()}")
        if isinstance(item, MemberRecord):
            records.append(item)
    state.users = sorted(known | {r.external_id for r in records if isinstance(r, MemberRecord)})
    return records


def _records(
    messages: list[dict[str, Any]], channel: dict[str, Any], state: _State
) -> list[ImportRecord]:
    """New messages, oldest first (replies after the channel's own: they do not move conversations)."""
    records: list[ImportRecord] = []
    for item in parse_messages(
        messages,
        channel,
        conversations=state.conversations,
        bots=set(),
        label=f"channel {channel['id']}",
    ):
        if isinstance(item, BadRecord):
            raise ConnectorError(f"channel {channel['id']}: {item.describe()}")
        if isinstance(item, ActivityRecord | MemberRecord):
            records.append(item)
    return records


def _next_state(
    state: _State,
    messages: list[dict[str, Any]],
    replies: list[dict[str, Any]],
    changes: list[ImportRecord],
) -> dict[str, Any]:
    """The cursor once everything is stored: the window of the last RECENT messages and their replies."""
    gone = {c.source_id.split(":", 1)[1] for c in changes if isinstance(c, ActivityDeletion)}
    top = [m for m in messages if m.get("subtype") != "tombstone" and m["ts"] not in gone]
    window = top[-RECENT:]
    kept = {m["ts"] for m in window}
    recent: dict[str, list[str]] = {
        m["ts"]: [_edited(m), str(m.get("thread_ts") or "")] for m in window
    }
    read_again = {r.get("thread_ts") for r in replies}
    for ts, value in state.recent.items():  # replies of threads not read again stay as they were
        if value[1] in kept and value[1] != ts and value[1] not in read_again and ts not in gone:
            recent[ts] = value
    for reply in replies:
        if reply.get("thread_ts") in kept and reply["ts"] not in gone:
            recent[reply["ts"]] = [_edited(reply), str(reply.get("thread_ts") or "")]
    threads = {
        m["ts"]: _signature(m)
        for m in window
        if m.get("reply_count") and m.get("thread_ts", m["ts"]) == m["ts"]
    }
    newest = max((m["ts"] for m in messages), key=_ts, default=None)
    return {
        **state.as_cursor(),
        "latest_ts": _max_ts(state.latest_ts, newest),
        "recent": recent,
        "threads": threads,
    }
