"""The CLI's tables in French (issue: a volunteer admin's first week): headers and a failed import's error
were English for a French reader. The CLI speaks the reader's language (TENDING_LANGUAGE, else the
locale), as its errors do, not the community's: one terminal may tend several communities, and whoever
reads it is the person at the keyboard. What programs read (--format json, csv) stays English."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


def test_a_french_admin_reads_the_tables_headers_and_a_failed_import_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "t.db")
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;1;Ana;post;2026-10-05T18:30:00+02:00\n"
        "facebook;2;Bea;joined;2026-10-01T10:00:00+02:00\n",
        encoding="utf-8",
    )
    assert run_cli("--db", db, "import", "csv", str(export), "--community", "Chats").exit_code == 0
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\nfacebook;2;Léa;joined;25/10/2026\n",
        encoding="utf-8",
    )
    refused = run_cli(
        "--db", db, "import", "csv", str(export), "--community", "Chats", "--month-first"
    )
    assert refused.exit_code == 1
    english = run_cli("--db", db, "members", "--community", "Chats").stdout.splitlines()
    assert english[1].split()[:4] == ["id", "name", "platform", "joined"]
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    members = run_cli("--db", db, "members", "--community", "Chats").stdout.splitlines()
    assert members[1].split() == [
        "id", "nom", "plateforme", "arrivée", "dernière", "contribution", "contributions", "état"
    ]  # fmt: skip
    assert members[2].split()[:3] == ["1", "Ana", "facebook"]
    assert members[0].startswith("2 membres listés au ")
    page = run_cli("--db", db, "members", "--community", "Chats", "--limit", "1", "--offset", "1")
    assert page.stdout.splitlines()[-1] == "2-2 sur 2 membres"
    inactive = run_cli(
        "--db", db, "members", "--community", "Chats", "--inactive-days", "1",
        "--as-of", "2026-12-01T00:00:00Z",
    )  # fmt: skip
    assert inactive.exit_code == 0, inactive.stderr
    lines = inactive.stdout.splitlines()
    assert lines[0].startswith("2 membres inactifs depuis 1 jour au 2026-12-01 (UTC)")
    assert lines[1].split()[-2:] == ["pourquoi", "inactif"]
    assert lines[2].split()[-2:] == ["devenu", "silencieux"] and lines[3].endswith(
        "jamais contribué"
    )
    assert lines[4].startswith(
        "Parmi eux, devenus silencieux (une contribution, puis plus rien)\u00a0: 1"
    )
    listed = run_cli("--db", db, "communities", "list").stdout.splitlines()
    assert listed[1].split() == ["id", "nom", "plateforme", "fuseau", "horaire", "langue"]
    log = run_cli("--db", db, "imports", "--community", "Chats").stdout.splitlines()
    assert log[1].split()[:5] == ["id", "début", "(UTC)", "type", "statut"]
    assert log[1].split()[-4:] == ["durée", "fichier", "chemin", "résultat"]
    failed = next(line for line in log if " échoué " in line)
    assert failed.endswith(
        "échec\u00a0: "
        f"{export}, ligne 2\u00a0: champ «\u00a0occurred_at\u00a0»\u00a0: «\u00a025/10/2026\u00a0» ne se lit "
        "que le jour en premier\u202f; dites comment le fichier écrit les dates (--day-first)."
    )


def test_a_french_admin_reads_the_daily_summaries_with_their_plurals(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the daily commands say under their tables was English, with "message(s)" for a count: it now
    reads in French, with the singular for 1 and the plural for 2 (and French spacing before ':')."""
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    db = ("--db", str(tmp_path / "t.db"))
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;1;Ana;joined;2026-10-05T18:30:00+02:00\n"
        "facebook;2;Bea;joined;2026-10-06T10:00:00+02:00\n",
        encoding="utf-8",
    )
    assert run_cli(*db, "import", "csv", str(export), "--community", "Chats").exit_code == 0
    start = ("--start-url", "https://chats-diabetiques.fr/commencer")
    assert run_cli(*db, "communities", "set", "Chats", *start).exit_code == 0
    assert run_cli(*db, "onboarding", "enable", "--since", "2026-10-01").exit_code == 0
    assert run_cli(*db, "run", "--now", "2026-10-07T12:00:00Z").exit_code == 0
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")

    def said(*args: str) -> list[str]:
        result = run_cli(*db, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout.splitlines()

    assert said("communities", "list")[0] == "1 communauté."
    assert said("imports", "--community", "Chats")[0] == (
        "1 import dans «\u00a0Chats\u00a0», le plus récent d’abord."
    )
    assert [line.split()[-2:] for line in said("outbox", "list")[1:]] == [["1", "membre"]] * 2
    assert said("outbox", "approve", "1", "2", "--dry-run") == [
        "Approuverait 2 messages (2 welcome) pour 2 membres. Rien n’a été changé (--dry-run).",
        "Messages\u00a0: 1 2",
    ]
    assert said("outbox", "approve", "1", "2") == ["2 messages approuvés."]
    assert said("outbox", "reopen", "1") == ["1 message rouvert, de nouveau en brouillon (1)."]
    assert said("outbox", "skip", "1") == ["1 message écarté."]
    assert said("outbox", "list", "--limit", "1")[-1] == (
        "Affichage de 1 sur 2 messages (les plus récents à échéance, à partir de --offset 0)."
    )
    assert said("moderate", "queue") == ["La file est vide."]
    assert said("moderate", "log") == [
        "Aucun événement de modération.",
        "0 événement. Heures en UTC.",
    ]
    assert said("alerts", "list") == ["Aucune alerte levée pour l’instant (0 en tout)."]
    assert said("checkins", "--as-of", "2026-10-07")[0] == (
        "0 personne à qui prendre des nouvelles au 2026-10-07 (UTC)."
    )
    assert run_cli(*db, "import", "csv", str(export), "--community", "Chiens").exit_code == 0
    assert said("communities", "list")[0] == "2 communautés."
    monkeypatch.setenv("TENDING_LANGUAGE", "en")
    assert said("communities", "list")[0] == "2 communities."
    assert said("outbox", "skip", "2", "--community", "Chats") == ["Skipped 1 message."]


def test_a_french_admin_reads_the_confirmation_of_a_community_change_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`communities set` confirmed its change in English on a French CLI."""
    db = ("--db", str(tmp_path / "t.db"))
    assert run_cli(*db, "communities", "add", "Chats").exit_code == 0
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    changed = run_cli(*db, "communities", "set", "Chats", "--timezone", "Europe/Paris")
    assert changed.exit_code == 0, changed.stderr
    assert changed.stdout.splitlines() == ["Communauté 1\u00a0: Chats (other, Europe/Paris, en)."]
    start = ("--start-url", "https://chats-diabetiques.fr/commencer")
    linked = run_cli(*db, "communities", "set", "Chats", "--language", "fr", *start)
    assert linked.stdout.splitlines() == [
        "Communauté 1\u00a0: Chats (other, Europe/Paris, fr)\u202f; "
        "commencer ici\u00a0: https://chats-diabetiques.fr/commencer."
    ]
    monkeypatch.setenv("TENDING_LANGUAGE", "en")
    again = run_cli(*db, "communities", "set", "Chats", "--timezone", "UTC")
    assert again.stdout.splitlines() == [
        "Community 1: Chats (other, UTC, fr); start here: https://chats-diabetiques.fr/commencer."
    ]


def _two_welcomes_enabled(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """Chats with two members who joined, onboarding enabled: the next tick drafts two welcomes."""
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    db = ("--db", str(tmp_path / "t.db"))
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;1;Ana;joined;2026-10-05T18:30:00+02:00\n"
        "facebook;2;Bea;joined;2026-10-06T10:00:00+02:00\n",
        encoding="utf-8",
    )
    assert run_cli(*db, "import", "csv", str(export), "--community", "Chats").exit_code == 0
    start = ("--start-url", "https://chats-diabetiques.fr/commencer")
    assert run_cli(*db, "communities", "set", "Chats", *start).exit_code == 0
    assert run_cli(*db, "onboarding", "enable", "--since", "2026-10-01").exit_code == 0
    return db


def test_a_french_admin_reads_what_a_tick_did_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary `tending run` (and the worker) prints for each tick was English on a French CLI."""
    db = _two_welcomes_enabled(run_cli, tmp_path, monkeypatch)
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    ran = run_cli(*db, "run", "--now", "2026-10-07T12:00:00Z")
    assert ran.exit_code == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "2026-10-07T12:00:00Z  Chats\u00a0: 2 nouveaux messages, 0 noté comme écarté\u202f; rien à envoyer"
    ]
    monkeypatch.setenv("TENDING_LANGUAGE", "en")
    again = run_cli(*db, "run", "--now", "2026-10-07T12:01:00Z")
    assert again.stdout.splitlines() == [
        "2026-10-07T12:01:00Z  Chats: 0 new, 0 recorded as skipped; nothing to send"
    ]


def test_a_french_admin_reads_the_result_of_each_import_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import log's result column ("+2 activities, +2 members, 0 unchanged") was English, and said
    "activities" for one: it now takes the reader's language and the singular for 1."""
    db = ("--db", str(tmp_path / "t.db"))
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;1;Ana;post;2026-10-05T18:30:00+02:00\n"
        "facebook;2;Bea;post;2026-10-06T10:00:00+02:00\n",
        encoding="utf-8",
    )
    for _ in range(2):
        assert run_cli(*db, "import", "csv", str(export), "--community", "Chats").exit_code == 0
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    log = run_cli(*db, "imports", "--community", "Chats").stdout.splitlines()
    assert log[2].endswith("  +0 activité, +0 membre, 2 inchangées")  # the most recent first
    assert log[3].endswith("  +2 activités, +2 membres, 0 inchangée")
    monkeypatch.setenv("TENDING_LANGUAGE", "en")
    log = run_cli(*db, "imports", "--community", "Chats").stdout.splitlines()
    assert log[2].endswith("  +0 activities, +0 members, 2 unchanged")


def test_a_french_admin_reads_the_outbox_statuses_in_french_and_programs_read_them_in_english(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`outbox list` showed "drafted", "approved" on a French CLI: the table now says the status in
    French (its column as wide as the longest); JSON and CSV keep the stored English values."""
    db = _two_welcomes_enabled(run_cli, tmp_path, monkeypatch)
    assert run_cli(*db, "run", "--now", "2026-10-07T12:00:00Z").exit_code == 0
    assert run_cli(*db, "outbox", "approve", "1").exit_code == 0
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    table = run_cli(*db, "outbox", "list").stdout.splitlines()
    assert [line.split()[2] for line in table[1:3]] == ["approuvé", "brouillon"]
    assert table[0].index("règle") == table[1].index("welcome") == table[2].index("welcome")
    listed = json.loads(run_cli(*db, "outbox", "list", "--format", "json").stdout)
    assert sorted(row["status"] for row in listed) == ["approved", "drafted"]
    exported = run_cli(*db, "outbox", "list", "--format", "csv").stdout
    assert ",approved," in exported and ",drafted," in exported
    monkeypatch.setenv("TENDING_LANGUAGE", "en")
    english = run_cli(*db, "outbox", "list").stdout.splitlines()
    assert [line.split()[2] for line in english[1:3]] == ["approved", "drafted"]
    assert english[0].index("rule") == english[1].index("welcome")
