"""Comments on a blog through its feed: RSS 2.0 (https://www.rssboard.org/rss-specification, with the
Dublin Core creator and content:encoded WordPress adds to /comments/feed/) or Atom (RFC 4287, replies
per RFC 4685 thr:in-reply-to, pages per RFC 5005 rel="next").

Each item is a comment (kind comment) by its author (dc:creator, author or atom:author/name: a feed gives
no stable account id, so the name is the member's id), on the post it links to (its URL without the
#fragment: the thread), with source id comment:{guid or id or link}. Conditional GET (ETag,
Last-Modified): a feed that has not changed answers 304 and costs one request with nothing read.
Documents are bounded (MAX_BYTES) and a DOCTYPE is refused (no entity expansion).
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tending.connectors.base import ConnectorError, Field, Http, Seen, Step, host_path
from tending.importers.base import parse_iso, plain_text
from tending.models import COMMENT, ActivityRecord, ImportRecord, MemberRecord, ThreadRecord
from tending.texts import T_

KIND = "rss"
PLATFORM = "rss"
DESCRIPTION = T_("A comment feed (RSS 2.0 or Atom), by its URL")
FIELDS = (
    Field("username", T_("For a feed behind HTTP basic authentication.")),
    Field("password", T_("Its password (by reference)."), secret=True),
)
MAX_BYTES = 5 << 20
MAX_PAGES = 20
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
THR = "{http://purl.org/syndication/thread/1.0}"


def normalise_target(target: str) -> str:
    url = target.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectorError(
            f"'{host_path(url)}' is not a feed URL (expected https://blog.example.org/comments/feed/)."
        )
    return url


def headers(credentials: dict[str, str]) -> dict[str, str]:
    found = {
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
    }
    if credentials.get("username"):
        pair = f"{credentials['username']}:{credentials.get('password', '')}".encode()
        found["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return found


def check(target: str, credentials: dict[str, str], *, http: Http) -> Seen:
    title, items, _ = _feed(http.get(target, max_bytes=MAX_BYTES).content, target)
    newest = max((item.occurred_at for item in items), default=None)
    summary = f"the feed '{title or host_path(target)}' with {len(items)} comments"
    if newest is not None:
        summary += f", the newest at {newest.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return Seen(
        summary=summary + "; comment authors by name only (a feed has no account ids).",
        details={"title": title, "comments": len(items)},
    )


def fetch(
    target: str, credentials: dict[str, str], cursor: dict[str, Any], *, http: Http
) -> Iterator[Step]:
    conditional = {}
    if cursor.get("etag"):
        conditional["If-None-Match"] = cursor["etag"]
    if cursor.get("last_modified"):
        conditional["If-Modified-Since"] = cursor["last_modified"]
    response = http.get(target, headers=conditional, ok=(200, 304), max_bytes=MAX_BYTES)
    if response.status_code == 304:
        return
    newest = parse_iso(cursor["newest"]) if cursor.get("newest") else None
    _, items, next_url = _feed(response.content, target)
    fresh = [item for item in items if newest is None or item.occurred_at >= newest]
    pages = 1
    while next_url and pages < MAX_PAGES and len(fresh) == len(items) and items:
        _, items, next_url = _feed(http.get(next_url, max_bytes=MAX_BYTES).content, next_url)
        fresh.extend(item for item in items if newest is None or item.occurred_at >= newest)
        pages += 1
    stamp = max([item.occurred_at for item in fresh] + ([newest] if newest else []), default=None)
    new_cursor = {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
        "newest": stamp.isoformat().replace("+00:00", "Z") if stamp else None,
    }
    yield _records(fresh), new_cursor


def _records(items: list[ActivityRecord]) -> list[ImportRecord]:
    records: list[ImportRecord] = []
    members: set[str] = set()
    threads: set[str] = set()
    for item in sorted(items, key=lambda i: i.occurred_at):
        if item.member_external_id not in members:
            members.add(item.member_external_id)
            records.append(
                MemberRecord(
                    source=PLATFORM,
                    external_id=item.member_external_id,
                    display_name=item.member_name,
                    handle=item.member_name,
                )
            )
        if item.thread_external_id and item.thread_external_id not in threads:
            threads.add(item.thread_external_id)
            records.append(ThreadRecord(source=PLATFORM, external_id=item.thread_external_id))
        records.append(item)
    return records


# -- parsing -----------------------------------------------------------------------------------------


def parse_document(body: bytes, url: str) -> ET.Element:
    """The feed element of an RSS 2.0 or Atom document: its Atom <feed>, or its RSS <channel>."""
    if b"<!DOCTYPE" in body[:4096].upper() or b"<!ENTITY" in body.upper():
        raise ConnectorError(f"{host_path(url)}: a feed with a DOCTYPE or entities is refused.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise ConnectorError(
            f"{host_path(url)} is not a valid feed (XML error at line {error.position[0]})."
        ) from None
    if root.tag == f"{ATOM}feed":
        return root
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ConnectorError(f"{host_path(url)} is neither an RSS 2.0 nor an Atom feed.")
    return channel


def entries(feed: ET.Element) -> list[tuple[ET.Element, ActivityRecord]]:
    """Each dated item or entry of a feed element, with what it says as a comment record."""
    if feed.tag == f"{ATOM}feed":
        return [(e, c) for e in feed.iter(f"{ATOM}entry") if (c := _atom(e))]
    return [(i, c) for i in feed.iter("item") if (c := _rss(i))]


def entry_title(element: ET.Element) -> str | None:
    return _text(element.find(f"{ATOM}title")) or _text(element.find("title"))


def next_page(feed: ET.Element) -> str | None:
    return _next(feed)


def _feed(body: bytes, url: str) -> tuple[str | None, list[ActivityRecord], str | None]:
    """(title, comments, next page URL) of an RSS 2.0 or Atom document."""
    feed = parse_document(body, url)
    return entry_title(feed), [c for _, c in entries(feed)], _next(feed)


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _next(parent: ET.Element) -> str | None:
    for link in parent.findall(f"{ATOM}link"):
        if link.get("rel") == "next" and link.get("href"):
            return link.get("href")
    return None


def _thread_of(link: str | None) -> str | None:
    if not link:
        return None
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _comment(
    key: str | None,
    author: str | None,
    when: datetime | None,
    link: str | None,
    body: str | None,
    parent: str | None,
    thread: str | None,
) -> ActivityRecord | None:
    """An item without a date is left out: tending cannot place it in time."""
    if when is None:
        return None
    name = author or "anonymous"
    key = key or link or hashlib.sha256(f"{name}\0{when.isoformat()}\0{body}".encode()).hexdigest()
    return ActivityRecord(
        source=PLATFORM,
        source_id=f"comment:{key}",
        member_external_id=f"name:{name}",
        kind=COMMENT,
        occurred_at=when,
        thread_external_id=thread or _thread_of(link),
        parent_source_id=f"comment:{parent}" if parent else None,
        text=plain_text(body),
        url=link,
        member_name=name,
    )


def _rss(item: ET.Element) -> ActivityRecord | None:
    when = None
    if (date := _text(item.find("pubDate")) or _text(item.find(f"{DC}date"))) is not None:
        when = _date(date)
    reply = item.find(f"{THR}in-reply-to")
    return _comment(
        _text(item.find("guid")),
        _text(item.find(f"{DC}creator")) or _text(item.find("author")),
        when,
        _text(item.find("link")),
        _text(item.find(f"{CONTENT}encoded")) or _text(item.find("description")),
        reply.get("ref") if reply is not None else None,
        None,
    )


def _atom(entry: ET.Element) -> ActivityRecord | None:
    date = _text(entry.find(f"{ATOM}published")) or _text(entry.find(f"{ATOM}updated"))
    link = next(
        (
            x.get("href")
            for x in entry.findall(f"{ATOM}link")
            if x.get("rel", "alternate") == "alternate"
        ),
        None,
    )
    author = entry.find(f"{ATOM}author")
    reply = entry.find(f"{THR}in-reply-to")
    parent_ref = reply.get("ref") if reply is not None else None
    thread = reply.get("href") if reply is not None else None
    return _comment(
        _text(entry.find(f"{ATOM}id")),
        _text(author.find(f"{ATOM}name")) if author is not None else None,
        _date(date) if date else None,
        link,
        _text(entry.find(f"{ATOM}content")) or _text(entry.find(f"{ATOM}summary")),
        parent_ref,
        _thread_of(thread),
    )


def _date(text: str) -> datetime | None:
    try:
        return parse_iso(text)
    except ValueError:
        pass
    try:
        value = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
