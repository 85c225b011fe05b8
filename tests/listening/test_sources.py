"""Listening queries run against a local server that answers as each platform's documentation shows:
pagination, rate limits, a deleted post; and the faults (a feed that is not XML, a source that is down)
in one sentence each, with nothing lost."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from tending.actions.listening import (
    do_add_query,
    do_listen,
    get_listen_queries,
    get_mentions,
)
from tending.connectors.base import Backoff
from tending.store.communities import do_create_community
from tending.store.listening import mentions
from tests.listening.platforms import Outside, serving

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)


@pytest.fixture
def outside() -> Iterator[Outside]:
    world = Outside()
    with serving(world):
        yield world


@pytest.fixture
def brand(engine: Engine) -> str:
    with engine.begin() as conn:
        do_create_community(conn, "Brand", platform="discourse")
    return "Brand"


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(mentions)).scalar_one())


def test_hacker_news_pages_and_one_mention_whatever_the_query(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("Tending is a lovely tool for moderators")
    outside.say("tending jobs: offre d'emploi chez Tending")
    first = do_add_query(
        engine, community_name=brand, keywords=["tending"], source="hackernews", url=outside.url
    )
    do_add_query(
        engine,
        community_name=brand,
        keywords=["tending", "-emploi"],
        source="hackernews",
        url=outside.url,
    )
    results = do_listen(engine, backoff=FAST)
    assert [r.ok for r in results] == [True, True]
    assert [r.added for r in results] == [2, 0] and results[1].again == 2
    page = get_mentions(engine, community_name=brand)
    assert page.total == 2 == count(engine)
    by_text = {m.text: m for m in page.items}
    lovely = by_text["Tending is a lovely tool for moderators"]
    assert lovely.keywords == ["tending"] and lovely.state == "new"
    assert lovely.url == f"https://news.ycombinator.com/item?id={outside.posts[0].id}"
    assert lovely.author == "ada" and lovely.sentiment in ("neutral", "positive")
    # 250 new comments: three pages of 100 from the cursor on, each stored once
    for n in range(250):
        outside.say(f"tending comment number {n}", author=f"user{n}")
    results = do_listen(engine, query_id=first.id, backoff=FAST)
    assert results[0].added == 250 and results[0].requests == 3
    newest = int(outside.posts[-1].at.timestamp())
    assert get_listen_queries(engine)[0].cursor == {"since": {"tending": newest}}
    again = do_listen(engine, backoff=FAST)
    assert sum(r.added for r in again) == 0 and count(engine) == 252


def test_a_deleted_post_loses_its_text_and_keeps_its_row(
    engine: Engine, brand: str, outside: Outside
) -> None:
    said = outside.say("tending ate my homework, terrible service, nobody answers")
    do_add_query(
        engine, community_name=brand, keywords=["tending"], source="hackernews", url=outside.url
    )
    do_listen(engine, backoff=FAST)
    said.deleted = True
    result = do_listen(engine, backoff=FAST)[0]
    assert result.ok and result.erased == 1 and result.added == 0
    (mention,) = get_mentions(engine, community_name=brand).items
    assert mention.text == "" and mention.deleted


def test_mastodon_follows_link_pages_and_carries_on_without_search(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.search_needs_login = True
    outside.say("Trying #MonProduit today")
    do_add_query(
        engine, community_name=brand, keywords=["mon produit"], source="mastodon", url=outside.url
    )
    (result,) = do_listen(engine, backoff=FAST)
    assert result.ok and result.added == 1
    (query,) = get_listen_queries(engine)
    assert query.cursor["search_refused"] is True
    for n in range(45):  # two pages of 40 newer than the cursor, through rel="prev"
        outside.say(f"#monproduit day {n}")
    (result,) = do_listen(engine, backoff=FAST)
    assert result.ok and result.added == 45
    (mention,) = get_mentions(engine, community_name=brand, limit=1).items
    assert mention.author == "@ada@127.0.0.1:" + outside.url.rsplit(":", 1)[1]
    assert mention.url and mention.url.startswith("https://mastodon.example/@ada/")


def test_mastodon_search_and_hashtag_give_one_mention(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("I love tending, #tending")
    do_add_query(
        engine, community_name=brand, keywords=["tending"], source="mastodon", url=outside.url
    )
    (result,) = do_listen(engine, backoff=FAST)
    assert result.heard == 2 and result.added == 1 and count(engine) == 1


def test_bluesky_waits_out_a_rate_limit_and_pages_by_cursor(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("Réseau tending au top", lang="fr")
    do_add_query(
        engine, community_name=brand, keywords=["tending"], source="bluesky", url=outside.url
    )
    outside.limit_next["/xrpc/app.bsky.feed.searchPosts"] = 2
    (result,) = do_listen(engine, backoff=FAST)
    assert result.ok and result.added == 1 and result.requests == 3
    (mention,) = get_mentions(engine, community_name=brand).items
    assert mention.lang == "fr" and mention.author == "@ada.bsky.social"
    assert mention.url == f"https://bsky.app/profile/ada.bsky.social/post/3k{outside.posts[0].id}"
    for n in range(130):
        outside.say(f"tending again {n}")
    (result,) = do_listen(engine, backoff=FAST)
    assert result.added == 130 and result.requests == 2  # since= the cursor, two pages of 100


def test_a_rate_limit_that_outlasts_the_retries_fails_in_one_sentence(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("tending")
    do_add_query(
        engine, community_name=brand, keywords=["tending"], source="bluesky", url=outside.url
    )
    outside.limit_next["/xrpc/app.bsky.feed.searchPosts"] = 10
    (result,) = do_listen(engine, backoff=FAST)
    assert not result.ok and result.reason == (
        f"{outside.url.split('//')[1]}/xrpc/app.bsky.feed.searchPosts still limits the rate after "
        "3 tries (HTTP 429); the next sync will try again."
    )
    outside.limit_next.clear()
    (result,) = do_listen(engine, backoff=FAST)
    assert result.ok and result.added == 1


def test_rss_items_by_title_and_a_feed_that_is_not_xml(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("Tending: the open-source workbench reviewed")
    outside.say("Unrelated news")
    good = do_add_query(
        engine,
        community_name=brand,
        keywords=["tending"],
        source="rss",
        url=f"{outside.url}/feed.xml",
    )
    bad = do_add_query(
        engine,
        community_name=brand,
        keywords=["tending"],
        source="rss",
        url=f"{outside.url}/notxml",
    )
    results = {r.query_id: r for r in do_listen(engine, backoff=FAST)}
    assert results[good.id].ok and results[good.id].added == 1
    assert not results[bad.id].ok
    assert (
        results[bad.id].reason
        == f"{outside.url.split('//')[1]}/notxml is not a valid feed (XML error at line 1)."
    )
    states = {q.id: (q.state, q.cursor) for q in get_listen_queries(engine)}
    assert states[bad.id] == ("failing", {}) and states[good.id][0] == "ok"
    (mention,) = get_mentions(engine, community_name=brand).items
    assert mention.text.startswith("Tending: the open-source workbench reviewed")


def test_a_source_that_is_down_fails_alone_and_loses_nothing(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("tending rocks")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = do_add_query(
        engine,
        community_name=brand,
        keywords=["tending"],
        source="hackernews",
        url=f"http://127.0.0.1:{port}",
    )
    do_add_query(
        engine, community_name=brand, keywords=["tending"], source="hackernews", url=outside.url
    )
    results = {r.query_id: r for r in do_listen(engine, backoff=FAST)}
    assert results[down.id].reason == (
        f"cannot reach 127.0.0.1:{port}/api/v1/search_by_date (ConnectError, 3 tries)."
    )
    assert sum(r.added for r in results.values()) == 1 and count(engine) == 1


def test_a_run_that_fails_half_way_keeps_its_whole_steps(
    engine: Engine, brand: str, outside: Outside
) -> None:
    outside.say("tending is fine")
    outside.say("a brand new day")
    query = do_add_query(
        engine,
        community_name=brand,
        keywords=["tending", "brand"],
        source="hackernews",
        url=outside.url,
    )
    outside.broken_queries.add("brand")
    (result,) = do_listen(engine, backoff=FAST)
    assert not result.ok and result.added == 1 and result.steps == 1
    (stored,) = get_listen_queries(engine)
    assert set(stored.cursor["since"]) == {
        "tending"
    }  # the first keyword's step, cursor and mention
    outside.broken_queries.clear()
    (result,) = do_listen(engine, query_id=query.id, backoff=FAST)
    assert result.ok and result.added == 1 and result.again == 1 and count(engine) == 2


def test_the_worker_runs_what_is_due_and_sync_skips_what_is_paused(
    engine: Engine, brand: str, outside: Outside
) -> None:
    from tending.actions.listening import do_set_query_state
    from tending.timeutil import utcnow

    outside.say("tending")
    first = do_add_query(
        engine,
        community_name=brand,
        keywords=["tending"],
        source="hackernews",
        url=outside.url,
        interval_s=600,
    )
    now = utcnow()
    assert [r.query_id for r in do_listen(engine, due_only=True, now=now, backoff=FAST)] == [
        first.id
    ]
    assert do_listen(engine, due_only=True, now=now + timedelta(minutes=9), backoff=FAST) == []
    assert len(do_listen(engine, due_only=True, now=now + timedelta(minutes=10), backoff=FAST)) == 1
    do_set_query_state(engine, first.id, "paused")
    assert do_listen(engine, backoff=FAST) == []
    assert do_listen(engine, due_only=True, now=now + timedelta(days=1), backoff=FAST) == []
    (named,) = do_listen(engine, query_id=first.id, backoff=FAST)  # named, it runs even paused
    assert named.ok and get_listen_queries(engine)[0].state == "paused"
