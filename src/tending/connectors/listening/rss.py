"""Any RSS 2.0 or Atom feed (blogs, news sites, Google Alerts feeds), parsed by the RSS connector
(tending.connectors.rss: bounded, no DOCTYPE, conditional GET with ETag and Last-Modified).

A feed has no search: every item since the newest seen is read and tending's matcher decides what is a
mention, on the item's title and text. An item is stored by its guid (or Atom id, or link).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tending.connectors import rss
from tending.connectors.base import ConnectorError, Http, host_path
from tending.connectors.listening.common import base_url, iso, text_of
from tending.importers.base import parse_iso
from tending.models import HeardPost

SOURCE = "rss"
DESCRIPTION = "An RSS 2.0 or Atom feed, by its URL (--url is required)"
DEFAULT_URL = None

Step = tuple[list[HeardPost], dict[str, Any]]


def normalise_url(url: str | None) -> str:
    if not url:
        raise ConnectorError("--url: an rss query needs the feed's address (--url https://...).")
    base_url(url, url, "https://news.example.org/feed.xml")  # checks the scheme and host
    return url.strip()


def fetch(url: str, keywords: list[str], cursor: dict[str, Any], *, http: Http) -> Iterator[Step]:
    conditional = {}
    if cursor.get("etag"):
        conditional["If-None-Match"] = cursor["etag"]
    if cursor.get("last_modified"):
        conditional["If-Modified-Since"] = cursor["last_modified"]
    response = http.get(
        url, headers={**rss.headers({}), **conditional}, ok=(200, 304), max_bytes=rss.MAX_BYTES
    )
    if response.status_code == 304:
        return
    newest = parse_iso(cursor["newest"]) if cursor.get("newest") else None
    posts = [p for p in _posts(response.content, url) if newest is None or p.published_at >= newest]
    stamp = max([p.published_at for p in posts] + ([newest] if newest else []), default=None)
    yield (
        posts,
        {
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
            "newest": iso(stamp) if stamp else None,
        },
    )


def _posts(body: bytes, url: str) -> list[HeardPost]:
    feed = rss.parse_document(body, url)
    posts = []
    for element, record in rss.entries(feed):
        title = text_of(rss.entry_title(element))
        key = record.source_id.removeprefix("comment:")
        if not key:
            raise ConnectorError(f"{host_path(url)}: an item has no guid, id or link.")
        posts.append(
            HeardPost(
                source=SOURCE,
                external_id=key,
                published_at=record.occurred_at,
                text="\n".join(t for t in (title, text_of(record.text)) if t),
                url=record.url,
                author=record.member_name if record.member_name != "anonymous" else None,
            )
        )
    return posts
