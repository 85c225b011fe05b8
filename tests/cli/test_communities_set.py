"""`tending communities set` (issue: a volunteer admin's first week): a community created in English by
the import recipe can be switched to French and Paris time afterwards, renamed, and given its own "start
here" link, which the welcome then offers in place of the built-in placeholder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tending.actions.communities import find_community
from tending.store import open_store
from tending.store.audit import get_events
from tests.conftest import CliResult


def test_language_zone_name_and_start_link_change_and_are_audited(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    db = str(tmp_path / "t.db")
    assert run_cli("--db", db, "communities", "add", "Chats").exit_code == 0
    done = run_cli(
        "--db",
        db,
        "communities",
        "set",
        "Chats",
        "--language",
        "fr",
        "--timezone",
        "Europe/Paris",
        "--name",
        "Chats diabétiques",
        "--start-url",
        "https://example.net/groupe/regles",
    )
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == (
        "Community 1: Chats diabétiques (other, Europe/Paris, fr); "
        "start here: https://example.net/groupe/regles."
    )
    listed = json.loads(run_cli("--db", db, "communities", "list", "--format", "json").stdout)
    assert [(c["name"], c["timezone"], c["language"]) for c in listed] == [
        ("Chats diabétiques", "Europe/Paris", "fr")
    ]
    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as conn:
        community = find_community(conn, "Chats diabétiques")
        assert community is not None
        assert community.settings["onboarding_links"] == [
            {"title": "Commencer ici", "url": "https://example.net/groupe/regles"}
        ]
        actions = [e["action"] for e in get_events(conn, community.id)]
    engine.dispose()
    assert actions.count("community.updated") == 1 and "community.settings_changed" in actions


def test_mistakes_are_one_sentence_and_change_nothing(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    db = str(tmp_path / "t.db")
    run_cli("--db", db, "communities", "add", "Chats")
    run_cli("--db", db, "communities", "add", "Chiens")
    for args, sentence in [
        (["--language", "de"], "--language: 'de' is not one of en, fr."),
        (["--name", "Chiens"], "--name: a community named 'Chiens' already exists."),
        (["--start-url", "groupe/regles"], "--start-url: 'groupe/regles' is not a web address"),
        ([], "nothing to change"),
    ]:
        result = run_cli("--db", db, "communities", "set", "Chats", *args)
        assert result.exit_code == 2 and sentence in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    listed = json.loads(run_cli("--db", db, "communities", "list", "--format", "json").stdout)
    assert [(c["name"], c["language"]) for c in listed] == [("Chats", "en"), ("Chiens", "en")]
