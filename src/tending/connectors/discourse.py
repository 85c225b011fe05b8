"""Discourse through its public JSON API (docs: https://docs.discourse.org/), read as the importer reads
the same JSON (importers/discourse.py parse_data): same records, same ids (post:{id}, topic ids, user ids).

- /latest.json?page=N lists topics by last activity (bumped_at), newest first, pinned ones on top;
  more_topics_url says there is a next page. The walk stops at the first page holding a topic that is not
  newer than the cursor, so a forum with nothing new costs one request.
- /t/{id}.json gives the topic with its first 20 posts and the `stream` of every post id;
  /t/{id}/posts.json?post_ids[]=... gives the others, 20 at a time. Post ids grow with time: only ids above
  the cursor's max_post_id are fetched again.
- A reply to a post outside what was fetched is linked through /posts/by_number/{topic}/{n}.json.
- With an admin API key (Api-Key, Api-Username headers) /admin/users/list/new.json?page=N gives join
  dates, newest first.
- Edits and deletions: a topic read again (it has new activity) gives its first 20 posts again; those
  stored before update their text if it was edited, and a post deleted or withdrawn since is deleted
  (store/deletions.py). An edit does not bump a topic: edits in quiet topics are not seen.

Cursor: bumped_at (the last topic stored, by last activity) with the ids stored at exactly that instant
(at_bumped_at), max_post_id (every post at or below it is stored), users_created_at (the newest join
date stored). Topics are stored oldest activity first, in steps of about STEP_RECORDS records; until the
last step, max_post_id keeps its old value (pending_max_post_id holds the new one), so a sync stopped
half-way fetches again whatever it had not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, json_of
from tending.importers.base import BadRecord, parse_iso
from tending.importers.discourse import State, parse_data
from tending.models import (
    ActivityDeletion,
    ActivityEdit,
    ActivityRecord,
    ChannelRecord,
    ImportRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.texts import T_

KIND = "discourse"
PLATFORM = "discourse"
DESCRIPTION = T_("A Discourse forum, by its URL; anonymous on a public forum, or with an API key")
FIELDS = (
    Field(
        "api_key",
        T_("An API key (Admin > API), for a private forum and members' join dates."),
        secret=True,
    ),
    Field("api_username", T_("The user the API key acts as (e.g. system)."), secret=False),
)
POSTS_PER_REQUEST = 20  # what /t/{id}.json carries, and the chunk size of /t/{id}/posts.json
STEP_RECORDS = 2000  # records stored (with their cursor) per transaction
MAX_PAGES = 10_000


def normalise_target(target: str) -> str:
    url = target.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectorError(f"'{target}' is not a forum URL (expected https://forum.example.org).")
    return url


def headers(credentials: dict[str, str]) -> dict[str, str]:
    found = {"Accept": "application/json"}
    if credentials.get("api_key"):
        found["Api-Key"] = credentials["api_key"]
        found["Api-Username"] = credentials.get("api_username") or "system"
    return found


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    latest = _latest_page(http, target, 0)
    topics = _topics(latest)
    newest = max((t["bumped_at"] for t in topics if t.get("bumped_at")), default=None)
    details: dict[str, Any] = {
        "topics_on_first_page": len(topics),
        "newest_activity": newest,
        "join_dates": False,
    }
    summary = f"{len(topics)} topics on the first page of /latest"
    if newest:
        summary += f", the newest active at {newest}"
    if credentials.get("api_key"):
        json_of(http.get(f"{target}/admin/users/list/new.json", params={"page": 1}), "users")
        details["join_dates"] = True
        summary += "; members' join dates (admin key)"
    else:
        summary += "; no join dates (they need an admin API key)"
    return Seen(summary=summary + ".", details=details)


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    changed = _changed_topics(http, target, cursor)
    floor = int(cursor.get("max_post_id") or 0)
    newest_id = max(floor, int(cursor.get("pending_max_post_id") or 0))
    mark, at_mark = cursor.get("bumped_at"), list(cursor.get("at_bumped_at") or [])
    state = State()
    records: list[ImportRecord] = []
    for number, topic in enumerate(changed, start=1):
        found, top = _topic_records(http, target, int(topic["id"]), floor, state)
        records.extend(found)
        newest_id = max(newest_id, top)
        if topic["bumped_at"] != mark:
            mark, at_mark = topic["bumped_at"], []
        at_mark.append(int(topic["id"]))
        if len(records) >= STEP_RECORDS or number == len(changed):
            done = number == len(changed)
            yield (
                records,
                {
                    **cursor,
                    "bumped_at": mark,
                    "at_bumped_at": list(at_mark),
                    "max_post_id": newest_id if done else floor,
                    "pending_max_post_id": newest_id,
                },
            )
            cursor = {**cursor, "bumped_at": mark, "at_bumped_at": list(at_mark)}
            records = []
    cursor = (
        {**cursor, "max_post_id": newest_id, "pending_max_post_id": newest_id}
        if changed
        else cursor
    )
    if credentials.get("api_key"):
        yield from _new_users(http, target, cursor)


# -- topics ------------------------------------------------------------------------------------------


def _latest_page(http: Http, target: str, page: int) -> dict[str, Any]:
    data = json_of(
        http.get(f"{target}/latest.json", params={"page": page} if page else None), "latest topics"
    )
    if not isinstance(data, dict) or not isinstance(data.get("topic_list"), dict):
        raise ConnectorError(
            f"{urlsplit(target).netloc}/latest.json has no topic_list: is this a Discourse forum?"
        )
    return data


def _topics(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        t
        for t in page["topic_list"].get("topics") or []
        if isinstance(t, dict) and t.get("id") is not None
    ]


def _is_new(topic: dict[str, Any], cursor: dict[str, Any]) -> bool:
    mark = cursor.get("bumped_at")
    bumped = topic.get("bumped_at") or topic.get("last_posted_at") or topic.get("created_at")
    if bumped is None:
        return mark is None
    if mark is None:
        return True
    when, then = parse_iso(bumped), parse_iso(mark)
    return when > then or (
        when == then and int(topic["id"]) not in set(cursor.get("at_bumped_at") or [])
    )


def _changed_topics(http: Http, target: str, cursor: dict[str, Any]) -> list[dict[str, Any]]:
    """The topics active since the cursor, oldest activity first (the order they are stored in)."""
    changed: dict[int, dict[str, Any]] = {}
    for page in range(MAX_PAGES):
        data = _latest_page(http, target, page)
        topics = _topics(data)
        reached_old = False
        for topic in topics:
            if _is_new(topic, cursor):
                bumped = (
                    topic.get("bumped_at") or topic.get("last_posted_at") or topic.get("created_at")
                )
                changed[int(topic["id"])] = {"id": int(topic["id"]), "bumped_at": bumped}
            elif not topic.get("pinned"):
                reached_old = True
        if reached_old or not topics or not data["topic_list"].get("more_topics_url"):
            break
    return sorted(
        changed.values(),
        key=lambda t: (
            parse_iso(t["bumped_at"]) if t["bumped_at"] else parse_iso("1970-01-01T00:00:00Z"),
            t["id"],
        ),
    )


def _topic_records(
    http: Http, target: str, topic_id: int, floor: int, state: State
) -> tuple[list[ImportRecord], int]:
    """The records of a topic's posts above `floor`, and the highest post id it holds."""
    data = json_of(http.get(f"{target}/t/{topic_id}.json"), f"topic {topic_id}")
    stream_box = data.get("post_stream") if isinstance(data, dict) else None
    if not isinstance(stream_box, dict):
        raise ConnectorError(f"{urlsplit(target).netloc}/t/{topic_id}.json has no post_stream.")
    posts = [p for p in stream_box.get("posts") or [] if isinstance(p, dict)]
    loaded = {p.get("id") for p in posts}
    stream = [i for i in stream_box.get("stream") or [] if isinstance(i, int)]
    wanted = [i for i in stream if i > floor and i not in loaded]
    for start in range(0, len(wanted), POSTS_PER_REQUEST):
        chunk = wanted[start : start + POSTS_PER_REQUEST]
        more = json_of(
            http.get(
                f"{target}/t/{topic_id}/posts.json", params=[("post_ids[]", i) for i in chunk]
            ),
            f"posts of topic {topic_id}",
        )
        posts.extend(
            p for p in ((more.get("post_stream") or {}).get("posts") or []) if isinstance(p, dict)
        )
    posts.extend(_parents_outside(http, target, topic_id, posts))
    records = _parsed(
        {**data, "post_stream": {"posts": posts, "stream": stream}}, f"topic {topic_id}", state
    )
    kept = [r for r in records if not (isinstance(r, ActivityRecord) and _post_id(r) <= floor)]
    kept.extend(_changes(records, posts, floor))
    return kept, max([floor, *stream, *(p["id"] for p in posts if isinstance(p.get("id"), int))])


def _changes(
    records: list[ImportRecord], posts: list[dict[str, Any]], floor: int
) -> list[ImportRecord]:
    """Posts stored by an earlier sync, read again with their topic: their text now (an edit changes
    it; the same text changes nothing), and those deleted or withdrawn since (the importer skips them)."""
    changes: list[ImportRecord] = [
        ActivityEdit(source=PLATFORM, source_id=r.source_id, text=r.text)
        for r in records
        if isinstance(r, ActivityRecord) and _post_id(r) <= floor and r.text
    ]
    changes.extend(
        ActivityDeletion(source=PLATFORM, source_id=f"post:{p['id']}")
        for p in posts
        if isinstance(p.get("id"), int)
        and p["id"] <= floor
        and (p.get("deleted_at") or p.get("user_deleted"))
    )
    return changes


def _parents_outside(
    http: Http, target: str, topic_id: int, posts: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The posts replied to that were not fetched (a new reply to an old post), so the reply's parent is
    the one an import of the whole topic names."""
    numbers = {p.get("post_number") for p in posts}
    missing = sorted(
        {
            p["reply_to_post_number"]
            for p in posts
            if isinstance(p.get("reply_to_post_number"), int)
            and p["reply_to_post_number"] not in numbers
        }
    )
    found = []
    for number in missing:
        post = json_of(
            http.get(f"{target}/posts/by_number/{topic_id}/{number}.json"), f"post {number}"
        )
        if isinstance(post, dict) and post.get("id") is not None:
            found.append(post)
    return found


def _post_id(record: ActivityRecord) -> int:
    try:
        return int(record.source_id.split(":", 1)[1])
    except (IndexError, ValueError):
        return 1 << 62


def _parsed(data: Any, label: str, state: State) -> list[ImportRecord]:
    """Records only: what the importer skips (whispers, deleted posts) is left out here too; a malformed
    post fails the sync with the importer's own sentence."""
    records: list[ImportRecord] = []
    for item in parse_data(data, label=label, state=state):
        if isinstance(item, BadRecord):
            raise ConnectorError(item.describe())
        if isinstance(item, ActivityRecord | MemberRecord | ChannelRecord | ThreadRecord):
            records.append(item)
    return records


# -- members' join dates (admin key) -----------------------------------------------------------------


def _new_users(http: Http, target: str, cursor: dict[str, Any]) -> Iterator[Step]:
    mark = cursor.get("users_created_at")
    newest = mark
    users: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES):
        listing = json_of(
            http.get(f"{target}/admin/users/list/new.json", params={"page": page}), "new users"
        )
        if not isinstance(listing, list) or not listing:
            break
        fresh = [
            u
            for u in listing
            if isinstance(u, dict)
            and u.get("created_at")
            and (mark is None or parse_iso(u["created_at"]) > parse_iso(mark))
        ]
        users.extend(fresh)
        if len(fresh) < len(listing):
            break
    for user in users:
        if newest is None or parse_iso(user["created_at"]) > parse_iso(newest):
            newest = user["created_at"]
    if users:
        yield (
            _parsed({"users": users}, "new users", State()),
            {**cursor, "users_created_at": newest},
        )
