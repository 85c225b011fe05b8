"""What is heard outside reaches the team: an alert when negative mentions rise (the community alerts'
robust baseline, raised once, delivered as a staff note), and the health report's "outside" section."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from tending.actions.alerts import do_raise_alerts
from tending.actions.listening import do_act_on_mention, do_add_query, get_mentions
from tending.models import Community, HeardPost
from tending.store import outbox as outbox_store
from tending.store.communities import do_create_community
from tending.store.health import get_health_report
from tending.store.listening import Scored, insert_mentions
from tests.conftest import CliResult

T = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)


def brand(engine: Engine) -> Community:
    with engine.begin() as conn:
        community = do_create_community(conn, "Brand", platform="discourse")
    do_add_query(
        engine,
        community_name="Brand",
        keywords=["brand"],
        source="hackernews",
        url="http://127.0.0.1:9",
        now=T - timedelta(days=30),
    )
    return community


def heard(engine: Engine, community: Community, *said: tuple[datetime, str, str]) -> None:
    """(published at, sentiment, source) of each mention."""
    with engine.begin() as conn:
        insert_mentions(
            conn,
            community.id,
            [
                Scored(
                    post=HeardPost(
                        source=source,
                        external_id=f"{source}:{at.isoformat()}:{n}",
                        published_at=at,
                        text="about brand",
                    ),
                    lang="en",
                    sentiment=sentiment,
                    score_sentiment=-0.8 if sentiment == "negative" else 0.2,
                    score_complaint=0.0,
                    score_toxicity=0.0,
                    keywords=["brand"],
                    query_ids=[1],
                )
                for n, (at, sentiment, source) in enumerate(said)
            ],
            heard_at=T,
        )


def quiet_weeks(days: int = 21) -> list[tuple[datetime, str, str]]:
    """One negative and two neutral mentions a day."""
    return [
        (T - timedelta(days=d, hours=h), sentiment, "mastodon")
        for d in range(1, days + 1)
        for h, sentiment in ((2, "negative"), (4, "neutral"), (6, "neutral"))
    ]


def test_a_rise_of_negative_mentions_is_raised_once_with_the_mentions_behind_it(
    engine: Engine,
) -> None:
    community = brand(engine)
    heard(engine, community, *quiet_weeks())
    with engine.begin() as conn:
        calm = do_raise_alerts(conn, community, as_of=T, score=False)
    assert [a["kind"] for a in calm["raised"]] == []
    heard(
        engine,
        community,
        *[(T - timedelta(minutes=10 * n + 5), "negative", "bluesky") for n in range(7)],
    )
    with engine.begin() as conn:
        raised = do_raise_alerts(conn, community, as_of=T, score=False, deliver=True)
        again = do_raise_alerts(
            conn, community, as_of=T + timedelta(minutes=5), score=False, deliver=True
        )
        notes = conn.execute(
            select(outbox_store.outbox).where(outbox_store.outbox.c.rule == "health-alert")
        ).all()
    (alert,) = raised["raised"]
    assert alert["kind"] == "negative_mentions" and alert["figures"]["value"] == 7.0
    assert alert["figures"]["baseline"] == 1.0
    today = {
        m.id
        for m in get_mentions(
            engine, community_name="Brand", since=T - timedelta(days=1), sentiment="negative"
        ).items
    }
    assert set(alert["figures"]["mentions"]) == today and len(today) == 7
    assert (
        alert["summary"] == "Negative mentions outside: 7 in the last 24 hours against a usual 1."
    )
    assert raised["drafted"] == 1 and again["raised"] == [] and again["duplicates"] == 1
    (note,) = notes
    assert note.channel == "staff" and "Mentions: " in note.body


def test_a_community_listening_for_days_only_raises_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        community = do_create_community(conn, "Brand", platform="discourse")
    do_add_query(
        engine,
        community_name="Brand",
        keywords=["brand"],
        source="hackernews",
        url="http://127.0.0.1:9",
        now=T - timedelta(days=3),
    )
    heard(engine, community, *[(T - timedelta(minutes=n + 1), "negative", "rss") for n in range(9)])
    with engine.begin() as conn:
        assert do_raise_alerts(conn, community, as_of=T, score=False)["raised"] == []


def test_the_health_report_says_what_is_heard_outside(
    engine: Engine, run_cli: Callable[..., CliResult]
) -> None:
    community = brand(engine)
    # the window before: 4 mentions, 1 negative (25 %)
    heard(
        engine,
        community,
        *[
            (T - timedelta(days=10, hours=h), s, "rss")
            for h, s in ((1, "negative"), (2, "neutral"), (3, "neutral"), (4, "positive"))
        ],
    )
    # the window (7 days): 5 mentions, 3 negative (60 %)
    heard(
        engine,
        community,
        (T - timedelta(days=1), "negative", "mastodon"),
        (T - timedelta(days=2), "negative", "mastodon"),
        (T - timedelta(days=3), "negative", "bluesky"),
        (T - timedelta(days=4), "neutral", "hackernews"),
        (T - timedelta(days=5), "positive", "mastodon"),
    )
    items = {
        m.published_at: m for m in get_mentions(engine, community_name="Brand", limit=100).items
    }
    do_act_on_mention(
        engine,
        items[T - timedelta(days=1)].id,
        "answered",
        now=T - timedelta(days=1) + timedelta(hours=2),
    )
    do_act_on_mention(
        engine,
        items[T - timedelta(days=2)].id,
        "answered",
        now=T - timedelta(days=2) + timedelta(hours=6),
    )
    do_act_on_mention(
        engine,
        items[T - timedelta(days=3)].id,
        "routed",
        now=T - timedelta(days=3) + timedelta(hours=1),
    )
    do_act_on_mention(
        engine, items[T - timedelta(days=4)].id, "answered", now=T + timedelta(days=1)
    )  # after as_of
    with engine.connect() as conn:
        outside = get_health_report(conn, community, as_of=T, window_days=7)["outside"]
    assert outside == {
        "mentions": 5,
        "by_source": {"bluesky": 1, "hackernews": 1, "mastodon": 3},
        "negative": 3,
        "negative_share": 0.6,
        "negative_share_previous": 0.25,
        "negative_share_trend": pytest.approx(0.35),
        "weekly": [{"week_end": "2026-03-20T18:00:00Z", "mentions": 5, "negative_share": 0.6}],
        "answered_share": 0.4,
        "negative_answered": 2,
        "median_hours_to_answer_negative": 4.0,
    }
    table = run_cli(
        "--db",
        engine.url.render_as_string(hide_password=False),
        "health",
        "--as-of",
        "2026-03-20T18:00:00Z",
        "--window-days",
        "7",
    )
    assert table.exit_code == 0, table.stderr
    assert (
        "  Outside: 5 mentions (bluesky 1, hackernews 1, mastodon 3); negative 60.0% "
        "(+35.0 points on the window before); answered 40.0%; median time to answer a negative "
        "one 4.0 h\n"
    ) in table.stdout
