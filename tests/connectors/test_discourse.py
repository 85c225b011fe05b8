"""The Discourse connector against a local forum answering as https://docs.discourse.org/ shows
(tests/connectors/forum.py): first sync, incremental syncs, the same ids as the importer, faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tending.actions.connectors import do_connect, do_sync, get_connectors
from tending.actions.imports import do_import
from tending.connectors.base import Backoff
from tending.errors import TendingError
from tests.connectors.forum import Forum, serving

FAST = Backoff(attempts=3, base_s=0.001, max_wait_s=0.01)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def a_forum() -> Forum:
    forum = Forum()
    forum.new_topic("Welcome, introduce yourself", user=0, replies=3)
    forum.new_topic(
        "Insulin doses for an old cat", user=1, replies=44
    )  # 45 posts: 20 + 2 requests of 20 + 5
    forum.new_topic("Pinned: the rules", user=0, pinned=True)
    return forum


def test_a_first_sync_reads_every_post_and_a_second_adds_nothing_in_one_request(
    engine: Engine,
) -> None:
    """/latest.json, /t/{id}.json (first 20 posts + stream) and /t/{id}/posts.json for the rest."""
    forum = a_forum()
    with serving(forum) as url:
        connected = do_connect(
            engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST
        )
        assert "3 topics on the first page of /latest" in connected.seen.summary
        forum.requests.clear()
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok and first.counts.activities_added == 4 + 45 + 1
        assert first.counts.threads_added == 3
        assert forum.requests.count("/t/41/posts.json") == 2
        forum.requests.clear()
        [again] = do_sync(engine, backoff=FAST)
    assert again.ok and again.records == 0 and again.counts.activities_added == 0
    assert forum.requests == ["/latest.json"]
    assert again.requests == 1
    [info] = get_connectors(engine)
    assert (
        info.state == "ok"
        and info.last_sync_at is not None
        and info.cursor["max_post_id"] == forum.next_post_id
    )


def test_a_new_reply_to_an_old_post_is_the_only_thing_fetched_and_is_linked_to_its_parent(
    engine: Engine,
) -> None:
    """A reply bumps its topic to the top of /latest; it is post 46, outside the first 20 of /t/{id}.json,
    so read through /t/{id}/posts.json; its parent (post 25) is in neither, so it is read through
    /posts/by_number/{topic}/{n}.json."""
    forum = a_forum()
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
        do_sync(engine, backoff=FAST)
        reply = forum.post(41, user=4, reply_to=25)
        forum.requests.clear()
        [result] = do_sync(engine, backoff=FAST)
    assert result.counts.activities_added == 1
    assert forum.requests == [
        "/latest.json",
        "/t/41.json",
        "/t/41/posts.json",
        "/posts/by_number/41/25.json",
    ]
    with engine.connect() as conn:
        parent = conn.execute(
            text(
                "SELECT p.source_id FROM activities a JOIN activities p ON p.id = a.parent_id "
                "WHERE a.source_id = :s"
            ),
            {"s": f"post:{reply}"},
        ).scalar_one()
    assert parent == f"post:{forum.topics[41]['posts'][24]['id']}"


def test_pages_are_followed_until_a_topic_older_than_the_cursor(engine: Engine) -> None:
    """/latest.json pages of 30 with more_topics_url; after the first sync, one old topic bumped."""
    forum = Forum()
    for number in range(70):
        forum.new_topic(f"Topic {number}", user=number % 5)
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Big", fields={}, backoff=FAST)
        forum.requests.clear()
        [first] = do_sync(engine, backoff=FAST)
        assert forum.requests.count("/latest.json") == 3 and first.counts.activities_added == 70
        forum.post(45, user=2)
        forum.requests.clear()
        [second] = do_sync(engine, backoff=FAST)
    assert second.counts.activities_added == 1
    assert forum.requests == ["/latest.json", "/t/45.json"]


def test_an_import_then_a_sync_of_the_same_forum_adds_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """The export is /t/{id}.json files whole (what the importer reads); the sync finds every post known."""
    forum = a_forum()
    for topic_id, topic in forum.topics.items():
        body = {k: v for k, v in topic.items() if k != "posts"}
        body["post_stream"] = {"posts": topic["posts"], "stream": [p["id"] for p in topic["posts"]]}
        (tmp_path / f"{topic_id}.json").write_text(json.dumps(body), encoding="utf-8")
    imported = do_import(engine, "discourse", tmp_path, community_name="Cats")
    assert imported.counts.activities_added == 50
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
        [synced] = do_sync(engine, backoff=FAST)
    assert synced.ok and synced.records > 0
    assert synced.counts.activities_added == 0 and synced.counts.members_added == 0
    assert synced.counts.threads_added == 0
    assert count(engine, "activities") == 50 and count(engine, "members") == 5


def test_a_429_is_waited_out_as_retry_after_says_and_5xx_are_retried(engine: Engine) -> None:
    """RFC 9110 Retry-After in seconds (Discourse's rate limiter answers 429 with it); 502 and 503 as a
    proxy in front of the forum answers while it restarts."""
    forum = a_forum()
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
        forum.fail_next("/latest.json", 429, retry_after="1")
        forum.fail_next("/t/41.json", 502)
        forum.fail_next("/t/41.json", 503)
        [result] = do_sync(engine, backoff=FAST)
    assert result.ok and result.counts.activities_added == 50
    assert forum.requests.count("/t/41.json") == 3


def test_a_failing_connector_is_marked_with_one_sentence_and_the_others_sync(
    engine: Engine,
) -> None:
    """A forum answering 500 to every try; another forum answering normally."""
    broken, fine = a_forum(), a_forum()
    with serving(broken) as broken_url, serving(fine) as fine_url:
        do_connect(
            engine, "discourse", broken_url, community_name="Broken", fields={}, backoff=FAST
        )
        do_connect(engine, "discourse", fine_url, community_name="Fine", fields={}, backoff=FAST)
        broken.fail_next("/latest.json", 500, times=3)
        results = do_sync(engine, backoff=FAST)
    assert [r.ok for r in results] == [False, True]
    assert results[0].reason == (
        f"{broken_url.split('//')[1]}/latest.json has a server error (HTTP 500, 3 tries); "
        "the next sync will try again."
    )
    assert results[1].counts.activities_added == 50
    states = {c.community: (c.state, c.reason) for c in get_connectors(engine)}
    assert states["Broken"] == ("failing", results[0].reason) and states["Fine"] == ("ok", None)


def test_an_expired_key_fails_the_sync_without_showing_the_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discourse answers 403 {"errors": [...]} to a wrong Api-Key (docs.discourse.org, Authentication)."""
    forum = a_forum()
    forum.api_key = "k-0123456789abcdef"
    forum.join(2)
    monkeypatch.setenv("FORUM_KEY", forum.api_key)
    with serving(forum) as url:
        connected = do_connect(
            engine,
            "discourse",
            url,
            community_name="Cats",
            fields={"api_key": "env:FORUM_KEY", "api_username": "system"},
            backoff=FAST,
        )
        assert "join dates (admin key)" in connected.seen.summary
        [first] = do_sync(engine, backoff=FAST)
        assert first.ok and first.counts.activities_added == 50 + 1  # one join
        forum.api_key = "k-rotated"
        forum.post(40, user=1)
        [after] = do_sync(engine, backoff=FAST)
    assert not after.ok and after.reason is not None
    assert "refused access (HTTP 403)" in after.reason and "0123456789" not in after.reason
    [info] = get_connectors(engine)
    assert info.credentials == {"api_key": "env:FORUM_KEY"} and "0123456789" not in json.dumps(
        info.as_dict()
    )


def test_a_secret_given_as_a_value_is_refused_and_not_repeated(engine: Engine) -> None:
    with pytest.raises(TendingError) as error:
        do_connect(
            engine,
            "discourse",
            "https://forum.example.org",
            community_name="Cats",
            fields={"api_key": "k-0123456789abcdef"},
        )
    assert "0123456789" not in str(error.value) and "env:VARIABLE or config:KEY" in str(error.value)
    assert count(engine, "connectors") == 0


def test_a_post_missing_a_field_fails_the_sync_naming_it(engine: Engine) -> None:
    """A post without created_at (a field the documentation marks as always present)."""
    forum = a_forum()
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
        del forum.topics[40]["posts"][1]["created_at"]
        results = do_sync(engine, backoff=FAST)
    [info] = get_connectors(engine)
    assert not results[0].ok and info.state == "failing"
    assert info.reason == "topic 40: field 'created_at': topic 40, post 2: missing created_at."


def test_an_unreachable_host_is_one_sentence(engine: Engine) -> None:
    with serving(a_forum()) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
    [result] = do_sync(engine, backoff=FAST)
    assert not result.ok and result.reason is not None
    assert result.reason.startswith(
        f"cannot reach {url.split('//')[1]}/latest.json (ConnectError, 3 tries)"
    )


def test_with_a_key_a_redirect_is_not_followed_so_the_key_stays_with_the_forum(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 301 with Location (RFC 9110 15.4.2) to another host: an Api-Key header would go along."""
    forum, elsewhere = a_forum(), a_forum()
    forum.api_key = "k-0123456789abcdef"
    monkeypatch.setenv("FORUM_KEY", forum.api_key)
    with serving(forum) as url, serving(elsewhere) as other:
        do_connect(
            engine,
            "discourse",
            url,
            community_name="Cats",
            fields={"api_key": "env:FORUM_KEY"},
            backoff=FAST,
        )
        forum.redirect_next("/latest.json", f"{other}/latest.json")
        [result] = do_sync(engine, backoff=FAST)
    assert not result.ok and result.reason == (
        f"{url.split('//')[1]}/latest.json redirects to {other.split('//')[1]}/latest.json; with credentials "
        "tending follows no redirect: connect to that address."
    )
    assert elsewhere.requests == []


def test_a_topic_read_again_brings_its_edits_and_its_deletions_once(engine: Engine) -> None:
    """A post edited (its cooked text changes) or deleted (deleted_at, as staff see it) in a topic that
    gets a new reply: /t/{id}.json gives the first 20 posts again."""
    forum = Forum()
    topic = forum.new_topic("Welcome, introduce yourself", user=0, replies=3)
    with serving(forum) as url:
        do_connect(engine, "discourse", url, community_name="Cats", fields={}, backoff=FAST)
        do_sync(engine, backoff=FAST)
        first, second = forum.topics[topic]["posts"][:2]
        first["cooked"] = "<p>Hello, and welcome!</p>"
        second["deleted_at"] = "2026-03-09T10:00:00.000Z"
        forum.post(topic, user=1)
        [changed] = do_sync(engine, backoff=FAST)
        forum.post(topic, user=2)
        [again] = do_sync(engine, backoff=FAST)
    assert changed.ok, changed.reason
    assert changed.counts.activities_added == 1
    assert changed.counts.activities_edited == 1 and changed.counts.activities_deleted == 1
    assert again.counts.activities_added == 1
    assert again.counts.activities_edited == 0 and again.counts.activities_deleted == 0
    with engine.connect() as conn:
        texts: dict[str, str | None] = dict(
            conn.execute(text("SELECT source_id, text FROM activities")).tuples().all()
        )
    assert texts[f"post:{first['id']}"] == "Hello, and welcome!"
    assert f"post:{second['id']}" not in texts
    assert count(engine, "activities") == 4 - 1 + 2
