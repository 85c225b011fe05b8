"""Bluesky: the AppView's public post search, app.bsky.feed.searchPosts
(https://docs.bsky.app/docs/api/app-bsky-feed-search-posts), at https://public.api.bsky.app by default.

For each keyword: GET /xrpc/app.bsky.feed.searchPosts?q=...&sort=latest&limit=100, with `since` the newest
post seen (inclusive, so the boundary post comes again and is stored once), following `cursor` while the
answer gives one; a first run reads the newest page only. A post is stored by its at:// URI; its link is
https://bsky.app/profile/<handle>/post/<record key>.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tending.connectors.base import ConnectorError, Http, host_path, json_of
from tending.connectors.listening.common import MAX_PAGES, base_url, instant, iso
from tending.models import HeardPost

SOURCE = "bluesky"
DESCRIPTION = "Bluesky's public post search (--url https://public.api.bsky.app)"
DEFAULT_URL = "https://public.api.bsky.app"
PAGE = 100

Step = tuple[list[HeardPost], dict[str, Any]]


def normalise_url(url: str | None) -> str:
    return base_url(url, DEFAULT_URL, "https://public.api.bsky.app")


def fetch(url: str, keywords: list[str], cursor: dict[str, Any], *, http: Http) -> Iterator[Step]:
    since = dict(cursor.get("since") or {})
    for keyword in keywords:
        posts = _search(url, keyword, since.get(keyword), http)
        newest = max((p.published_at for p in posts), default=None)
        if newest is not None and (keyword not in since or iso(newest) > since[keyword]):
            since[keyword] = iso(newest)
        yield posts, {"since": dict(since)}


def _search(url: str, keyword: str, since: str | None, http: Http) -> list[HeardPost]:
    address = f"{url}/xrpc/app.bsky.feed.searchPosts"
    params: dict[str, Any] = {"q": keyword, "sort": "latest", "limit": PAGE}
    if since:
        params["since"] = since
    posts: list[HeardPost] = []
    for _ in range(MAX_PAGES):
        body = json_of(http.get(address, params=params), "the post search")
        if not isinstance(body, dict) or not isinstance(body.get("posts"), list):
            raise ConnectorError(f"{host_path(address)} did not answer a list of posts.")
        posts += [p for view in body["posts"] if isinstance(view, dict) and (p := _post(view))]
        following = body.get("cursor")
        if not since or not body["posts"] or not isinstance(following, str) or not following:
            break
        params["cursor"] = following
    return posts


def _post(view: dict[str, Any]) -> HeardPost | None:
    record = view.get("record") if isinstance(view.get("record"), dict) else None
    uri = view.get("uri")
    if record is None or not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    when = instant(record.get("createdAt")) or instant(view.get("indexedAt"))
    if when is None:
        return None
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    handle = str(author.get("handle") or "") if author else ""
    langs = record.get("langs")
    key = uri.rsplit("/", 1)[-1]
    profile = handle or uri.split("/")[2]
    return HeardPost(
        source=SOURCE,
        external_id=uri,
        published_at=when,
        text=str(record.get("text") or ""),
        url=f"https://bsky.app/profile/{profile}/post/{key}",
        author=f"@{handle}" if handle else None,
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
    )
