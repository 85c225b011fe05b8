"""One local server that answers as the listening sources' documentation shows, over one shared list of
public posts:

- Mastodon (docs.joinmastodon.org/methods/timelines, /methods/search): GET /api/v1/timelines/tag/:tag
  with max_id / min_id / limit and a Link header (rel="next" to older, rel="prev" to newer pages);
  GET /api/v2/search?type=statuses with q, min_id, offset, limit (or 401 when the instance wants a login);
- Bluesky (app.bsky.feed.searchPosts): q, sort=latest, since (inclusive), limit, cursor;
- Hacker News (hn.algolia.com/api): /api/v1/search_by_date with query, tags, numericFilters
  created_at_i>=N, page, hitsPerPage; answers hits, page, nbPages, hitsPerPage;
- feeds: /feed.xml (RSS 2.0), /notxml (an HTML page).
Any path can be made to answer 429 with Retry-After a number of times first (`limit_next`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tending.lib.listening import words

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Said:
    id: int
    text: str
    author: str
    at: datetime
    deleted: bool = False
    lang: str = "en"


@dataclass
class Outside:
    posts: list[Said] = field(default_factory=list)
    search_needs_login: bool = False
    limit_next: dict[str, int] = field(default_factory=dict)  # path -> 429s to answer first
    broken_queries: set[str] = field(default_factory=set)  # search words answered with HTTP 500
    requests: list[str] = field(default_factory=list)
    feed: str = ""
    url: str = ""

    def say(
        self, text: str, author: str = "ada", *, minutes: int | None = None, lang: str = "en"
    ) -> Said:
        number = len(self.posts) + 1
        at = T0 + timedelta(minutes=number if minutes is None else minutes)
        said = Said(100_000 + number, text, author, at, lang=lang)
        self.posts.append(said)
        return said

    def _having(self, q: str) -> list[Said]:
        wanted = words(q)
        return sorted(
            (p for p in self.posts if all(w in words(p.text) for w in wanted)),
            key=lambda p: p.id,
            reverse=True,
        )

    # -- mastodon --

    def _status(self, p: Said) -> dict[str, Any]:
        return {
            "id": str(p.id),
            "uri": f"https://mastodon.example/users/{p.author}/statuses/{p.id}",
            "url": f"https://mastodon.example/@{p.author}/{p.id}",
            "created_at": p.at.isoformat().replace("+00:00", ".000Z"),
            "content": f"<p>{p.text}</p>",
            "spoiler_text": "",
            "language": p.lang,
            "account": {"acct": p.author},
            "reblog": None,
        }

    def tag_timeline(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        tag = path.rsplit("/", 1)[-1].lower()
        found = [p for p in self._having("") if tag in words(p.text.replace("#", " "))]
        limit = min(int(query.get("limit", 20)), 40)
        if "min_id" in query:  # the statuses immediately newer than min_id
            newer = sorted((p for p in found if p.id > int(query["min_id"])), key=lambda p: p.id)
            page = sorted(newer[:limit], key=lambda p: p.id, reverse=True)
        else:
            if "max_id" in query:
                found = [p for p in found if p.id < int(query["max_id"])]
            page = found[:limit]
        headers = {}
        if page:
            base = f"{self.url}{path}"
            headers["Link"] = (
                f'<{base}?{urlencode({"limit": limit, "max_id": page[-1].id})}>; rel="next", '
                f'<{base}?{urlencode({"limit": limit, "min_id": page[0].id})}>; rel="prev"'
            )
        return 200, headers, [self._status(p) for p in page]

    def search(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if self.search_needs_login:
            return 401, {}, {"error": "Search queries are only available to logged-in users"}
        found = self._having(query.get("q", ""))
        if "min_id" in query:
            found = [p for p in found if p.id > int(query["min_id"])]
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 20)), 40)
        statuses = [self._status(p) for p in found[offset : offset + limit]]
        return 200, {}, {"accounts": [], "statuses": statuses, "hashtags": []}

    # -- bluesky --

    def search_posts(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        found = self._having(query.get("q", ""))
        if "since" in query:
            since = datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            found = [p for p in found if p.at >= since]
        start, limit = int(query.get("cursor", 0)), int(query.get("limit", 25))
        page = found[start : start + limit]
        body: dict[str, Any] = {
            "posts": [
                {
                    "uri": f"at://did:plc:{p.author}/app.bsky.feed.post/3k{p.id}",
                    "cid": f"bafy{p.id}",
                    "author": {"did": f"did:plc:{p.author}", "handle": f"{p.author}.bsky.social"},
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "text": p.text,
                        "createdAt": p.at.isoformat().replace("+00:00", "Z"),
                        "langs": [p.lang],
                    },
                    "indexedAt": p.at.isoformat().replace("+00:00", "Z"),
                }
                for p in page
            ],
            "hitsTotal": len(found),
        }
        if start + limit < len(found):
            body["cursor"] = str(start + limit)
        return 200, {}, body

    # -- hacker news --

    def search_by_date(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        found = self._having(query.get("query", ""))
        numeric = query.get("numericFilters", "")
        if numeric.startswith("created_at_i>="):
            since = int(numeric.split(">=")[1])
            found = [p for p in found if p.at.timestamp() >= since]
        per, page = int(query.get("hitsPerPage", 20)), int(query.get("page", 0))
        pages = (len(found) + per - 1) // per
        hits = [
            {
                "objectID": str(p.id),
                "author": None if p.deleted else p.author,
                "created_at": p.at.isoformat().replace("+00:00", ".000Z"),
                "created_at_i": int(p.at.timestamp()),
                "title": None,
                "comment_text": "[deleted]" if p.deleted else p.text,
                "story_id": 1,
                "_tags": ["comment", f"author_{p.author}"],
            }
            for p in found[page * per : (page + 1) * per]
        ]
        return (
            200,
            {},
            {
                "hits": hits,
                "page": page,
                "nbPages": pages,
                "hitsPerPage": per,
                "nbHits": len(found),
            },
        )

    # -- feeds --

    def rss(self) -> str:
        items = "".join(
            f"<item><title>{p.text}</title><link>https://news.example.org/{p.id}</link>"
            f"<guid>https://news.example.org/{p.id}</guid><author>{p.author}</author>"
            f"<pubDate>{format_datetime(p.at)}</pubDate><description>more</description></item>"
            for p in self.posts
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>News</title><link>https://news.example.org</link>{items}</channel></rss>"
        )

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.requests.append(path)
        if self.limit_next.get(path, 0) > 0:
            self.limit_next[path] -= 1
            return 429, {"Retry-After": "0"}, {"error": "Too many requests"}
        if (query.get("q") or query.get("query")) in self.broken_queries:
            return 500, {}, {"error": "internal"}
        if path.startswith("/api/v1/timelines/tag/"):
            return self.tag_timeline(path, query)
        if path == "/api/v2/search":
            return self.search(query)
        if path == "/xrpc/app.bsky.feed.searchPosts":
            return self.search_posts(query)
        if path == "/api/v1/search_by_date":
            return self.search_by_date(query)
        if path == "/feed.xml":
            return 200, {"Content-Type": "application/rss+xml"}, self.feed or self.rss()
        if path == "/notxml":
            return 200, {"Content-Type": "text/html"}, "<html><body><p>Welcome!<br></body></html>"
        return 404, {}, {"error": "not found"}


@contextmanager
def serving(outside: Outside) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            status, headers, body = outside.answer(parts.path, query)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            headers.setdefault("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outside.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield outside.url
    finally:
        server.shutdown()
        server.server_close()
