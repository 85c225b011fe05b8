"""The rss connector against a local blog serving comment feeds: RSS 2.0 as WordPress serves
/comments/feed/ (https://www.rssboard.org/rss-specification, dc:creator, content:encoded; conditional GET
per RFC 9110 ETag/If-None-Match and 304) and Atom (RFC 4287, thr:in-reply-to of RFC 4685, rel="next"
pages of RFC 5005)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.connectors.base import Backoff
from tending.errors import TendingError

FAST = Backoff(attempts=2, base_s=0.001, max_wait_s=0.01)


def wordpress_item(number: int, author: str, day: int) -> str:
    return f"""<item>
  <title>Comment on Feeding an old cat by {author}</title>
  <link>https://blog.example.org/2026/01/feeding-an-old-cat/#comment-{number}</link>
  <dc:creator><![CDATA[{author}]]></dc:creator>
  <pubDate>Mon, {day:02d} Feb 2026 10:00:00 +0000</pubDate>
  <guid isPermaLink="false">https://blog.example.org/?p=7#comment-{number}</guid>
  <description><![CDATA[Thanks for the tips, number {number}]]></description>
  <content:encoded><![CDATA[<p>Thanks for the tips, number {number}</p>]]></content:encoded>
</item>"""


def wordpress_feed(items: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Comments for Cat owners' blog</title>
  <link>https://blog.example.org</link>
  <description>Comments</description>
  {"".join(items)}
</channel></rss>"""


class Blog:
    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.etag = '"v1"'
        self.requests: list[tuple[str, int]] = []


@contextmanager
def serving(blog: Blog) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = blog.pages.get(self.path) or blog.pages.get(self.path.split("?")[0])
            if body is None:
                status, data = 404, b"not found"
            elif self.headers.get("If-None-Match") == blog.etag:
                status, data = 304, b""
            else:
                status, data = 200, body.encode()
            blog.requests.append((self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
            self.send_header("ETag", blog.etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def activities(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT a.source_id, a.kind, t.external_id FROM activities a JOIN threads t ON t.id = a.thread_id "
                    "ORDER BY a.occurred_at"
                )
            )
        ]


def test_a_wordpress_comment_feed_syncs_and_an_unchanged_feed_is_one_304(engine: Engine) -> None:
    blog = Blog()
    blog.pages["/comments/feed/"] = wordpress_feed(
        [wordpress_item(2, "Bruno", 3), wordpress_item(1, "Ada", 2)]
    )
    with serving(blog) as url:
        connected = do_connect(
            engine, "rss", f"{url}/comments/feed/", community_name="Blog", fields={}, backoff=FAST
        )
        assert connected.seen.summary.startswith(
            "the feed 'Comments for Cat owners' blog' with 2 comments"
        )
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok and first.counts.activities_added == 2 and first.counts.members_added == 2
        blog.requests.clear()
        [same] = do_sync(engine, backoff=FAST)
        assert same.records == 0 and blog.requests == [("/comments/feed/", 304)]
        blog.etag = '"v2"'
        blog.pages["/comments/feed/"] = wordpress_feed(
            [
                wordpress_item(3, "Chloé", 4),
                wordpress_item(2, "Bruno", 3),
                wordpress_item(1, "Ada", 2),
            ]
        )
        [newer] = do_sync(engine, backoff=FAST)
    assert newer.counts.activities_added == 1 and newer.counts.members_added == 1
    assert activities(engine) == [
        (
            f"comment:https://blog.example.org/?p=7#comment-{n}",
            "comment",
            "https://blog.example.org/2026/01/feeding-an-old-cat/",
        )
        for n in (1, 2, 3)
    ]
    [info] = get_connectors(engine)
    assert info.cursor == {"etag": '"v2"', "last_modified": None, "newest": "2026-02-04T10:00:00Z"}


def test_an_atom_feed_is_read_page_after_page_with_replies_linked(engine: Engine) -> None:
    blog = Blog()

    def entry(number: int, parent: int | None) -> str:
        reply = (
            f'<thr:in-reply-to ref="tag:blog.example.org,2026:comment-{parent}" '
            f'href="https://blog.example.org/post-7/#comment-{parent}"/>'
            if parent
            else '<thr:in-reply-to ref="tag:blog.example.org,2026:post-7" href="https://blog.example.org/post-7/"/>'
        )
        return (
            f"<entry><id>tag:blog.example.org,2026:comment-{number}</id><author><name>Ada</name></author>"
            f"<published>2026-02-0{number}T10:00:00Z</published><content>Reply {number}</content>"
            f'<link rel="alternate" href="https://blog.example.org/post-7/#comment-{number}"/>{reply}</entry>'
        )

    def feed(entries: str, next_page: str | None) -> str:
        link = f'<link rel="next" href="{next_page}"/>' if next_page else ""
        return (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:thr="http://purl.org/syndication/thread/1.0"><title>Comments</title>{link}{entries}</feed>'
        )

    with serving(blog) as url:
        blog.pages["/feed"] = feed(entry(3, 1) + entry(2, None), f"{url}/feed?page=2")
        blog.pages["/feed?page=2"] = feed(entry(1, None), None)
        do_connect(engine, "rss", f"{url}/feed", community_name="Blog", fields={}, backoff=FAST)
        [result] = do_sync(engine, backoff=FAST)
    assert result.ok and result.counts.activities_added == 3
    with engine.connect() as conn:
        parent = conn.execute(
            text(
                "SELECT p.source_id FROM activities a JOIN activities p ON p.id = a.parent_id "
                "WHERE a.source_id LIKE '%comment-3'"
            )
        ).scalar_one()
    assert parent == "comment:tag:blog.example.org,2026:comment-1"


def test_a_feed_with_entities_or_broken_xml_fails_with_one_sentence(engine: Engine) -> None:
    blog = Blog()
    blog.pages["/bomb"] = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><rss><channel/></rss>'
    )
    with serving(blog) as url:
        try:
            do_connect(engine, "rss", f"{url}/bomb", community_name="Blog", fields={}, backoff=FAST)
        except TendingError as error:
            assert (
                str(error)
                == f"{url.split('//')[1]}/bomb: a feed with a DOCTYPE or entities is refused."
            )
        else:
            raise AssertionError("a feed declaring entities was accepted")
        blog.pages["/ok"] = wordpress_feed([wordpress_item(1, "Ada", 2)])
        do_connect(
            engine, "rss", f"{url}/ok?token=s3cret", community_name="Blog", fields={}, backoff=FAST
        )
        blog.pages["/ok"] = wordpress_feed([wordpress_item(1, "Ada", 2)])[:-30]
        [result] = do_sync(engine, backoff=FAST)
    assert not result.ok and result.reason is not None
    assert result.reason.startswith(
        f"{url.split('//')[1]}/ok is not a valid feed (XML error at line"
    )
    assert "s3cret" not in result.reason
