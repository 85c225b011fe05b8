"""tending listen and tending mentions, in process, against the local platforms."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from tending.store.communities import do_create_community
from tests.conftest import CliResult
from tests.listening.platforms import Outside, serving


@pytest.fixture
def outside() -> Iterator[Outside]:
    world = Outside()
    with serving(world):
        yield world


def test_the_listening_story_from_add_to_act(
    engine: Engine, outside: Outside, run_cli: Callable[..., CliResult]
) -> None:
    with engine.begin() as conn:
        do_create_community(conn, "Brand", platform="discourse")
    db = str(engine.url.render_as_string(hide_password=False))
    outside.say("Tending lost my order and support never answers, I want a refund now!")
    outside.say("tending is hiring: offre d'emploi")
    outside.say("A calm note about tending")
    added = run_cli(
        "--db",
        db,
        "listen",
        "add",
        "--community",
        "Brand",
        "--keyword",
        "tending",
        "--keyword",
        "-emploi",
        "--source",
        "hackernews",
        "--url",
        outside.url,
    )
    assert added.exit_code == 0, added.stderr
    assert added.stdout.startswith("Listening query 1 recorded: hackernews ")
    listed = json.loads(run_cli("--db", db, "listen", "list", "--format", "json").stdout)
    assert listed[0]["keywords"] == ["tending", "-emploi"] and listed[0]["state"] == "ok"

    synced = run_cli("--db", db, "sync")
    assert synced.exit_code == 0, synced.stderr
    assert "Listening query 1 (hackernews, Brand): 2 new mentions, 0 heard again" in synced.stdout

    page = json.loads(
        run_cli("--db", db, "mentions", "--community", "Brand", "--format", "json").stdout
    )
    assert page["total"] == 2
    first = page["items"][0]
    assert set(first) == {
        "id",
        "source",
        "url",
        "author",
        "published_at",
        "text",
        "keywords",
        "lang",
        "sentiment",
        "scores",
        "state",
    }
    assert set(first["scores"]) == {"sentiment", "complaint", "toxicity"}
    assert first["text"] == "A calm note about tending"  # newest first
    angry = page["items"][1]
    assert angry["sentiment"] == "negative" and angry["scores"]["complaint"] >= 0.5
    negative = json.loads(
        run_cli("--db", db, "mentions", "--sentiment", "negative", "--format", "json").stdout
    )
    assert [m["id"] for m in negative["items"]] == [angry["id"]]
    since = json.loads(
        run_cli(
            "--db", db, "mentions", "--since", "2026-03-02T09:02:30Z", "--format", "json"
        ).stdout
    )
    assert since["total"] == 1

    acted = run_cli(
        "--db", db, "mentions", "act", str(angry["id"]), "answered", "--note", "replied"
    )
    assert (
        acted.exit_code == 0
        and acted.stdout == f"Mention {angry['id']} (hackernews) marked answered.\n"
    )
    table = run_cli("--db", db, "mentions", "--state", "answered").stdout
    assert "answered" in table and table.strip().endswith("1-1 of 1 mentions.")

    paused = run_cli("--db", db, "listen", "pause", "1")
    assert paused.stdout == "Listening query 1 (hackernews, Brand) paused.\n"
    removed = run_cli("--db", db, "listen", "remove", "1")
    assert removed.exit_code == 0
    assert json.loads(run_cli("--db", db, "mentions", "--format", "json").stdout)["total"] == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--keyword", ""], "Error: --keyword: give at least one word or phrase to listen for"),
        (["--keyword", "-emploi"], "Error: --keyword: exclusions (-word) alone match nothing"),
        (
            ["--keyword", "tending", "--source", "rss"],
            "Error: --url: an rss query needs the feed's address",
        ),
    ],
)
def test_a_query_that_cannot_listen_is_refused_in_one_sentence(
    engine: Engine, run_cli: Callable[..., CliResult], args: list[str], says: str
) -> None:
    with engine.begin() as conn:
        do_create_community(conn, "Brand", platform="discourse")
    db = str(engine.url.render_as_string(hide_password=False))
    source = [] if "--source" in args else ["--source", "hackernews"]
    result = run_cli("--db", db, "listen", "add", "--community", "Brand", *args, *source)
    assert result.exit_code == 2 and result.stderr.startswith(says)
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(run_cli("--db", db, "listen", "list", "--format", "json").stdout) == []


def test_acting_on_a_mention_that_does_not_exist(
    engine: Engine, run_cli: Callable[..., CliResult]
) -> None:
    with engine.begin() as conn:
        do_create_community(conn, "Brand", platform="discourse")
    db = str(engine.url.render_as_string(hide_password=False))
    result = run_cli("--db", db, "mentions", "act", "99", "ignored")
    assert (
        result.exit_code == 2 and result.stderr == "Error: no mention 99 (see tending mentions).\n"
    )


def test_the_worker_pass_listens_too(
    engine: Engine, outside: Outside, capsys: pytest.CaptureFixture[str]
) -> None:
    from tending.actions.listening import do_add_query
    from tending.cli.context import AppContext
    from tending.cli.onboarding import sync_and_listen

    with engine.begin() as conn:
        do_create_community(conn, "Brand", platform="discourse")
    outside.say("tending, heard by the worker")
    do_add_query(
        engine, community_name="Brand", keywords=["tending"], source="hackernews", url=outside.url
    )
    app = AppContext(db_option=engine.url.render_as_string(hide_password=False))
    try:
        sync_and_listen(app, None)
        sync_and_listen(app, None)  # not due again before its interval: quiet
    finally:
        app.close()
    out = capsys.readouterr().out
    assert out.count("Listening query 1 (hackernews, Brand): 1 new mentions") == 1
    assert len(out.strip().splitlines()) == 1
