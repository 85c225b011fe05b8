"""A local Discourse, answering as the API documentation shows (https://docs.discourse.org/: "Get the
latest topics" /latest.json, "Get a single topic" /t/{id}.json, "Get specific posts from a topic"
/t/{id}/posts.json?post_ids[]=, "Retrieve a single post" /posts/by_number, "Get a list of users"
/admin/users/list/{flag}.json), on 127.0.0.1 in a thread. Used by tests/connectors and
benchmarks/connector_speed.py.

- /latest.json?page=N: 30 topics a page by bumped_at, newest first, pinned topics first on page 0,
  `more_topics_url` while there is a next page;
- /t/{id}.json: the topic with the first 20 posts of post_stream.posts and every post id in `stream`;
- faults: `fail_next(path, status, retry_after=...)` answers the next request to a path with that status.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 30
FIRST_POSTS = 20
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CAST = [
    (11, "ada", "Ada"),
    (12, "bruno", "Bruno"),
    (13, "chloe", "Chloé"),
    (14, "dev", "Dev"),
    (15, "emma", "Emma"),
]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Forum:
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    next_post_id: int = 100
    clock: datetime = START
    requests: list[str] = field(default_factory=list)
    faults: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    api_key: str | None = None  # when set, requests without it get 403
    hold: dict[str, threading.Event] = field(default_factory=dict)  # path -> released when set
    reached: dict[str, threading.Event] = field(default_factory=dict)

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=7)
        return self.clock

    def new_topic(
        self,
        title: str,
        *,
        user: int = 0,
        category: int = 7,
        replies: int = 0,
        pinned: bool = False,
    ) -> int:
        topic_id = len(self.topics) + 40
        self.topics[topic_id] = {
            "id": topic_id,
            "title": title,
            "category_id": category,
            "archetype": "regular",
            "created_at": _iso(self.clock),
            "pinned": pinned,
            "posts": [],
        }
        self.post(topic_id, user=user)
        for number in range(replies):
            self.post(topic_id, user=(user + number + 1) % len(CAST))
        return topic_id

    def post(
        self, topic_id: int, *, user: int = 0, reply_to: int | None = None, **extra: Any
    ) -> int:
        topic = self.topics[topic_id]
        user_id, username, name = CAST[user]
        self.next_post_id += 1
        post = {
            "id": self.next_post_id,
            "post_number": len(topic["posts"]) + 1,
            "post_type": 1,
            "user_id": user_id,
            "username": username,
            "name": name,
            "created_at": _iso(self.tick()),
            "cooked": f"<p>message {self.next_post_id}</p>",
            "reply_to_post_number": reply_to,
            "deleted_at": None,
            "user_deleted": False,
            "staff": False,
            **extra,
        }
        topic["posts"].append(post)
        topic["bumped_at"] = post["created_at"]
        return int(post["id"])

    def join(self, user: int) -> None:
        user_id, username, name = CAST[user]
        self.users.insert(
            0, {"id": user_id, "username": username, "name": name, "created_at": _iso(self.tick())}
        )

    def fail_next(
        self, path: str, status: int, *, retry_after: str | None = None, times: int = 1
    ) -> None:
        self.faults.setdefault(path, []).extend([(status, retry_after)] * times)

    def redirect_next(self, path: str, to: str) -> None:
        self.faults.setdefault(path, []).append((301, to))

    # -- answers --------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/admin/") and self.api_key is None:
            return 403, {}, {"errors": ["You are not permitted to view the requested resource."]}
        if path == "/latest.json":
            return 200, {}, self._latest(int((query.get("page") or ["0"])[0]))
        parts = path.strip("/").split("/")
        if parts[0] == "t" and len(parts) == 2 and parts[1].endswith(".json"):
            return self._topic(int(parts[1][:-5]))
        if parts[0] == "t" and len(parts) == 3 and parts[2] == "posts.json":
            wanted = {int(i) for i in query.get("post_ids[]", [])}
            posts = [p for p in self.topics[int(parts[1])]["posts"] if p["id"] in wanted]
            return 200, {}, {"post_stream": {"posts": posts}, "id": int(parts[1])}
        if parts[:2] == ["posts", "by_number"] and len(parts) == 4:
            topic = self.topics[int(parts[2])]
            number = int(parts[3][:-5])
            return 200, {}, next(p for p in topic["posts"] if p["post_number"] == number)
        if path == "/admin/users/list/new.json":
            page = int((query.get("page") or ["1"])[0])
            return 200, {}, self.users[(page - 1) * 100 : page * 100]
        return 404, {}, {"errors": ["The requested URL or resource could not be found."]}

    def _latest(self, page: int) -> dict[str, Any]:
        pinned = [t for t in self.topics.values() if t["pinned"]]
        others = sorted(
            (t for t in self.topics.values() if not t["pinned"]),
            key=lambda t: t["bumped_at"],
            reverse=True,
        )
        listing = pinned + others
        chosen = listing[page * PAGE : (page + 1) * PAGE]
        topic_list: dict[str, Any] = {
            "can_create_topic": False,
            "per_page": PAGE,
            "topics": [
                {
                    "id": t["id"],
                    "title": t["title"],
                    "posts_count": len(t["posts"]),
                    "bumped_at": t["bumped_at"],
                    "last_posted_at": t["bumped_at"],
                    "created_at": t["created_at"],
                    "pinned": t["pinned"],
                    "category_id": t["category_id"],
                    "highest_post_number": len(t["posts"]),
                }
                for t in chosen
            ],
        }
        if (page + 1) * PAGE < len(listing):
            topic_list["more_topics_url"] = f"/latest?page={page + 1}"
        return {"users": [], "topic_list": topic_list}

    def _topic(self, topic_id: int) -> tuple[int, dict[str, str], Any]:
        topic = self.topics.get(topic_id)
        if topic is None:
            return 404, {}, {"errors": ["The requested URL or resource could not be found."]}
        body = {k: v for k, v in topic.items() if k != "posts"}
        body["post_stream"] = {
            "posts": topic["posts"][:FIRST_POSTS],
            "stream": [p["id"] for p in topic["posts"]],
        }
        body["posts_count"] = len(topic["posts"])
        return 200, {}, body


class _Handler(BaseHTTPRequestHandler):
    forum: Forum

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        forum = self.server.forum  # type: ignore[attr-defined]
        forum.requests.append(parts.path)
        if parts.path in forum.reached:
            forum.reached[parts.path].set()
        if parts.path in forum.hold:
            forum.hold[parts.path].wait(30)
        if forum.api_key is not None and self.headers.get("Api-Key") != forum.api_key:
            self._send(
                403, {}, {"errors": ["You are not permitted to view the requested resource."]}
            )
            return
        pending = forum.faults.get(parts.path)
        if pending:
            status, header = pending.pop(0)
            name = "Location" if 300 <= status < 400 else "Retry-After"
            self._send(status, {name: header} if header else {}, {"errors": [f"HTTP {status}"]})
            return
        status, headers, body = forum.answer(parts.path, parse_qs(parts.query))
        self._send(status, headers, body)

    def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(forum: Forum) -> Iterator[str]:
    """The forum's base URL while it serves."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.forum = forum  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        for event in forum.hold.values():
            event.set()
        server.shutdown()
        server.server_close()
