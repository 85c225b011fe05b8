"""Mastodon: an instance's public REST API (https://docs.joinmastodon.org/methods/timelines/ and
https://docs.joinmastodon.org/methods/search/).

For each keyword, the hashtag timeline GET /api/v1/timelines/tag/:hashtag (a phrase as one tag:
"mon produit" -> #monproduit; public, no login) and the full-text search GET /api/v2/search?type=statuses
(many instances answer it only to a logged-in account: a 401 or 403 there is noted in the cursor and
the hashtags are still read). Statuses are ordered by id; a run asks for what is newer than the newest
id seen (min_id) and follows the Link header's rel="prev" to newer pages; the search pages by offset. A
status is stored by its `uri`, the same on every instance, so a post seen through two instances, a tag
and a search is one mention. A boost counts as the post it boosts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from tending.connectors.base import ConnectorError, Http, host_path, json_of
from tending.connectors.listening.common import MAX_PAGES, base_url, instant, text_of
from tending.lib.listening import words
from tending.models import HeardPost

SOURCE = "mastodon"
DESCRIPTION = "A Mastodon instance's hashtag timelines and search (--url https://mastodon.social)"
DEFAULT_URL = "https://mastodon.social"
PAGE = 40  # the most a timeline or a search gives at once
LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')

Step = tuple[list[HeardPost], dict[str, Any]]


def normalise_url(url: str | None) -> str:
    return base_url(url, DEFAULT_URL, "https://mastodon.social")


def fetch(url: str, keywords: list[str], cursor: dict[str, Any], *, http: Http) -> Iterator[Step]:
    tags = dict(cursor.get("tags") or {})
    searched = dict(cursor.get("search") or {})
    refused = bool(cursor.get("search_refused"))
    for keyword in keywords:
        tag = "".join(words(keyword))
        posts, tags[tag] = _timeline(url, tag, tags.get(tag), http)
        if not refused:
            found, newest, refused = _search(url, keyword, searched.get(keyword), http)
            posts += found
            if newest is not None:
                searched[keyword] = newest
        yield posts, {"tags": dict(tags), "search": dict(searched), "search_refused": refused}


def _timeline(
    url: str, tag: str, newest: str | None, http: Http
) -> tuple[list[HeardPost], str | None]:
    """What the tag's timeline holds newer than `newest` (the newest page on a first run)."""
    address: str | None = f"{url}/api/v1/timelines/tag/{quote(tag)}"
    params: dict[str, Any] | None = {"limit": PAGE, **({"min_id": newest} if newest else {})}
    posts: list[HeardPost] = []
    later = newest is not None
    for _ in range(MAX_PAGES):
        assert address is not None
        response = http.get(address, params=params)
        statuses = _statuses(json_of(response, f"the #{tag} timeline"), address)
        posts += [p for s in statuses if (p := _post(s, url))]
        newest = _newest([str(s.get("id", "")) for s in statuses], newest)
        links = dict((rel, link) for link, rel in LINK_RE.findall(response.headers.get("Link", "")))
        if not statuses or newest is None or "prev" not in links or not later:
            break  # a first run reads the newest page only; later runs follow rel="prev" to newer ones
        address, params = links["prev"], None
    return posts, newest


def _search(
    url: str, keyword: str, newest: str | None, http: Http
) -> tuple[list[HeardPost], str | None, bool]:
    """(posts, newest id, refused): the search refused to an anonymous client is not a failure."""
    posts: list[HeardPost] = []
    seen = newest
    for page in range(MAX_PAGES):
        params: dict[str, Any] = {
            "q": keyword,
            "type": "statuses",
            "limit": PAGE,
            "offset": page * PAGE,
        }
        if newest:
            params["min_id"] = newest
        response = http.get(f"{url}/api/v2/search", params=params, ok=(200, 401, 403))
        if response.status_code != 200:
            return posts, seen, True
        body = json_of(response, "the search")
        statuses = _statuses(body.get("statuses") if isinstance(body, dict) else None, url)
        posts += [p for s in statuses if (p := _post(s, url))]
        seen = _newest([str(s.get("id", "")) for s in statuses], seen)
        if len(statuses) < PAGE or not newest:
            break
    return posts, seen, False


def _statuses(body: Any, address: str) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise ConnectorError(f"{host_path(address)} did not answer a list of statuses.")
    return [s for s in body if isinstance(s, dict)]


def _newest(ids: list[str], newest: str | None) -> str | None:
    numbers = [int(i) for i in ids if i.isdigit()]
    if newest and newest.isdigit():
        numbers.append(int(newest))
    return str(max(numbers)) if numbers else newest


def _post(status: dict[str, Any], instance: str) -> HeardPost | None:
    """A status as a post heard; one without a date or an id is left out."""
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    when = instant(status.get("created_at"))
    key = status.get("uri") or status.get("url")
    if when is None or not isinstance(key, str) or not key:
        return None
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    acct = str(account.get("acct") or "") if account else ""
    if acct and "@" not in acct:
        acct = f"{acct}@{urlsplit(instance).netloc}"
    spoiler = text_of(status.get("spoiler_text"))
    body = text_of(status.get("content"))
    language = status.get("language")
    return HeardPost(
        source=SOURCE,
        external_id=key,
        published_at=when,
        text=f"{spoiler}\n{body}".strip(),
        url=status.get("url") or key,
        author=f"@{acct}" if acct else None,
        lang=language if isinstance(language, str) else None,
    )
