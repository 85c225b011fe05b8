"""Hacker News through its public Algolia search API (https://hn.algolia.com/api):
GET /api/v1/search_by_date?query=...&tags=(story,comment), newest first, `hitsPerPage` hits a page,
`page` from 0 to `nbPages` - 1.

For each keyword, the hits created at or after the newest seen (numericFilters=created_at_i>=N: the
boundary hit comes again and is stored once), every page up to MAX_PAGES; a first run reads the newest
page only. A hit is stored by its objectID, linked to https://news.ycombinator.com/item?id=<objectID>.
A deleted or flagged item ("[deleted]", "[flagged]", or neither author nor text) is a deleted post.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tending.connectors.base import ConnectorError, Http, host_path, json_of
from tending.connectors.listening.common import MAX_PAGES, base_url, instant, text_of
from tending.models import HeardPost

SOURCE = "hackernews"
DESCRIPTION = "Hacker News stories and comments, through the Algolia search API"
DEFAULT_URL = "https://hn.algolia.com"
PAGE = 100
GONE = ("[deleted]", "[flagged]", "[dead]")

Step = tuple[list[HeardPost], dict[str, Any]]


def normalise_url(url: str | None) -> str:
    return base_url(url, DEFAULT_URL, "https://hn.algolia.com")


def fetch(url: str, keywords: list[str], cursor: dict[str, Any], *, http: Http) -> Iterator[Step]:
    since = {k: int(v) for k, v in (cursor.get("since") or {}).items()}
    for keyword in keywords:
        posts, newest = _search(url, keyword, since.get(keyword), http)
        if newest is not None:
            since[keyword] = max(newest, since.get(keyword, newest))
        yield posts, {"since": dict(since)}


def _search(
    url: str, keyword: str, since: int | None, http: Http
) -> tuple[list[HeardPost], int | None]:
    address = f"{url}/api/v1/search_by_date"
    posts: list[HeardPost] = []
    newest: int | None = None
    page, pages = 0, 1
    while page < min(pages, MAX_PAGES):
        params: dict[str, Any] = {
            "query": keyword,
            "tags": "(story,comment)",
            "hitsPerPage": PAGE,
            "page": page,
        }
        if since is not None:
            params["numericFilters"] = f"created_at_i>={since}"
        body = json_of(http.get(address, params=params), "the search")
        if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
            raise ConnectorError(f"{host_path(address)} did not answer a list of hits.")
        for hit in body["hits"]:
            if isinstance(hit, dict) and (post := _post(hit)):
                posts.append(post)
                stamp = int(post.published_at.timestamp())
                newest = stamp if newest is None else max(newest, stamp)
        pages = int(body.get("nbPages") or 0) if since is not None else 1
        page += 1
    return posts, newest


def _post(hit: dict[str, Any]) -> HeardPost | None:
    key = hit.get("objectID")
    when = instant(hit.get("created_at_i")) or instant(hit.get("created_at"))
    if not isinstance(key, str) or not key or when is None:
        return None
    parts = [text_of(hit.get(name)) for name in ("title", "story_text", "comment_text")]
    text = "\n".join(p for p in parts if p)
    author = hit.get("author") if isinstance(hit.get("author"), str) else None
    deleted = text.strip() in GONE or (not text.strip() and not author)
    return HeardPost(
        source=SOURCE,
        external_id=key,
        published_at=when,
        text="" if deleted else text,
        url=f"https://news.ycombinator.com/item?id={key}",
        author=author or None,
        deleted=deleted,
    )
