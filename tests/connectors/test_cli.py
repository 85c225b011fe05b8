"""The commands' contracts (issue 14): tending connect, tending connectors [pause|resume|remove],
tending sync; run in process against a local forum answering as docs.discourse.org shows."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import CliResult
from tests.connectors.forum import Forum, serving

SECRET = "k-5e3c2a9f7b1d"


def a_forum() -> Forum:
    forum = Forum()
    forum.new_topic("Welcome", user=0, replies=2)
    forum.new_topic("Vet bills", user=1, replies=1)
    return forum


def test_connect_list_sync_pause_resume_remove(
    run_cli: Callable[..., CliResult], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = a_forum()
    forum.api_key = SECRET
    forum.join(3)
    monkeypatch.setenv("FORUM_KEY", SECRET)
    with serving(forum) as url:
        connected = run_cli(
            "--db",
            db_url,
            "connect",
            "discourse",
            url,
            "--community",
            "Cats",
            "api_key=env:FORUM_KEY",
            "api_username=system",
        )
        assert connected.exit_code == 0, connected.stderr
        assert connected.stdout.splitlines() == [
            f"Connector 1 recorded: discourse {url} for Cats, synced every 300 s by tending worker.",
            "It sees: 2 topics on the first page of /latest, the newest active at "
            f"{forum.topics[41]['bumped_at']}; members' join dates (admin key).",
            "Next: tending sync --connector 1",
        ]
        synced = run_cli("--db", db_url, "sync", "--json")
        assert synced.exit_code == 0, synced.stderr
        [result] = json.loads(synced.stdout)
        assert result["state"] == "ok" and result["added"]["activities"] == 5 + 1
        again = run_cli("--db", db_url, "sync", "--community", "Cats")
        assert again.stdout.startswith(
            "Connector 1 (discourse, Cats): 0 new activities, 0 new members, "
            "0 new threads; 2 requests"
        )  # /latest and the new users' page
        listed = json.loads(run_cli("--db", db_url, "connectors", "--format", "json").stdout)
        assert [(c["id"], c["state"], c["credentials"]) for c in listed] == [
            (1, "ok", {"api_key": "env:FORUM_KEY"})
        ]
        assert (
            listed[0]["cursor"]["max_post_id"] == forum.next_post_id and listed[0]["last_sync_at"]
        )
        assert "paused" in run_cli("--db", db_url, "connectors", "pause", "1").stdout
        assert run_cli("--db", db_url, "sync").stdout.startswith(
            "Nothing to sync"
        )  # paused: not synced
        assert run_cli("--db", db_url, "connectors", "resume", "1").exit_code == 0
        forum.api_key = "rotated"
        failing = run_cli("--db", db_url, "sync")
        table = run_cli("--db", db_url, "connectors").stdout
    assert failing.exit_code == 1
    assert "failing:" in failing.stdout and "refused access (HTTP 403)" in failing.stdout
    assert " failing " in table and "refused access (HTTP 403)" in table
    for text in (connected.stdout, synced.stdout, failing.stdout, failing.stderr, table):
        assert SECRET not in text
    removed = run_cli("--db", db_url, "connectors", "remove", "1")
    assert removed.exit_code == 0 and "what it synced stays" in removed.stdout
    assert json.loads(run_cli("--db", db_url, "connectors", "--format", "json").stdout) == []


def test_a_connect_that_cannot_see_the_platform_records_nothing(
    run_cli: Callable[..., CliResult], db_url: str
) -> None:
    with serving(Forum()) as url:
        pass
    failed = run_cli("--db", db_url, "connect", "discourse", url, "--community", "Cats")
    assert failed.exit_code == 1 and failed.stderr.startswith("Error: cannot reach 127.0.0.1")
    assert len(failed.stderr.strip().splitlines()) == 1
    assert json.loads(run_cli("--db", db_url, "connectors", "--format", "json").stdout) == []


def test_bad_calls_are_one_sentence(run_cli: Callable[..., CliResult], db_url: str) -> None:
    wrong_kind = run_cli("--db", db_url, "connect", "myspace", "x", "--community", "Cats")
    assert wrong_kind.exit_code == 2 and "kinds: discourse" in wrong_kind.stderr
    literal = run_cli(
        "--db",
        db_url,
        "connect",
        "discourse",
        "https://f.example.org",
        "--community",
        "Cats",
        f"api_key={SECRET}",
    )
    assert literal.exit_code == 2 and SECRET not in literal.stderr
    missing = run_cli("--db", db_url, "connectors", "pause", "9")
    assert missing.exit_code == 2 and "no connector 9" in missing.stderr


def test_a_negative_chat_id_is_a_target_not_an_option(
    run_cli: Callable[..., CliResult], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENDING_TEST_UNSET_TOKEN", raising=False)
    result = run_cli(
        "--db",
        db_url,
        "connect",
        "telegram",
        "-1001234567890",
        "--community",
        "Entraide",
        "token=env:TENDING_TEST_UNSET_TOKEN",
    )
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: token: the environment variable TENDING_TEST_UNSET_TOKEN is not set.\n"
    )
