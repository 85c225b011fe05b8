"""The onboarding commands, end to end: enable, plan, run, review the outbox, approve, and an e-mail
arrives at a real SMTP server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from tests.conftest import CliResult
from tests.delivery.servers import free_port

from .story import T0, ingest, person

Run = Callable[..., CliResult]


class Sink:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    sink, port = Sink(), free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[delivery]\nprivate = "email"\n[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nsender = "team@cats.example"\n'
    )
    monkeypatch.setenv("TENDING_CONFIG", str(config))
    monkeypatch.setenv("TENDING_HOME", str(tmp_path / "home"))
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink
    controller.stop()


START_URL = "https://chats-diabetiques.fr/commencer"  # the built-in placeholder link is refused


def cli_json(run_cli: Run, *args: str) -> Any:
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_welcome_goes_from_plan_to_inbox(
    engine: Engine, db_url: str, run_cli: Run, smtp_sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(
        engine,
        [
            person("ada", joined=T0 - timedelta(days=400)),
            person("bruno", joined=T0 + timedelta(hours=2), language="fr"),
        ],
    )
    db = ("--db", db_url)
    assert run_cli(*db, "communities", "set", "Cats", "--start-url", START_URL).exit_code == 0
    assert run_cli(*db, "onboarding", "enable", "--since", "2026-03-02T09:00:00Z").exit_code == 0
    plan = cli_json(run_cli, *db, "onboarding", "plan", "--now", "2026-03-02T12:00:00Z")
    assert [{k: i[k] for k in ("rule", "channel", "due_at", "members")} for i in plan] == [
        {
            "rule": "welcome",
            "channel": "private",
            "due_at": "2026-03-02T11:00:00Z",
            "members": ["bruno"],
        }
    ]
    assert run_cli(*db, "run", "--now", "2026-03-02T12:00:00Z").exit_code == 0
    listed = run_cli(*db, "outbox", "list").stdout.splitlines()
    assert listed[0].split() == ["id", "due", "(UTC)", "status", "rule", "channel", "members"]
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    header = run_cli(*db, "outbox", "list").stdout.splitlines()[0]
    assert header.split() == ["id", "prévu", "(UTC)", "statut", "règle", "canal", "membres"]
    monkeypatch.delenv("TENDING_LANGUAGE")
    (row,) = cli_json(run_cli, *db, "outbox", "list")
    assert {k: row[k] for k in ("rule", "channel", "members", "due_at", "status")} == {
        "rule": "welcome",
        "channel": "private",
        "members": ["bruno"],
        "due_at": "2026-03-02T11:00:00Z",
        "status": "drafted",
    }
    shown = cli_json(run_cli, *db, "outbox", "show", str(row["id"]))
    assert (
        shown["subject"] == "Bienvenue sur Cats, Bruno\u202f!" and "Bonjour Bruno" in shown["body"]
    )
    assert (
        run_cli(
            *db, "outbox", "edit", str(row["id"]), "--body", "Bonjour Bruno, bienvenue !"
        ).exit_code
        == 0
    )
    assert run_cli(*db, "outbox", "approve", str(row["id"])).exit_code == 0
    result = run_cli(*db, "run", "--now", "2026-03-02T12:01:00Z")
    assert result.exit_code == 0 and "1 sent" in result.stdout
    ((rcpt, email),) = smtp_sink.received
    assert (
        rcpt == ["bruno@example.org"]
        and email.get_payload(decode=True).decode().strip() == "Bonjour Bruno, bienvenue !"
    )
    (after,) = cli_json(run_cli, *db, "outbox", "list")
    assert (after["status"], after["sent_at"]) == ("sent", "2026-03-02T12:01:00Z")


def test_send_now_and_mistakes_get_one_clear_line(
    engine: Engine, db_url: str, run_cli: Run, smtp_sink: Sink, tmp_path: Path
) -> None:
    ingest(engine, [person("ada", joined=T0 + timedelta(hours=1))])
    db = ("--db", db_url)
    assert run_cli(*db, "communities", "set", "Cats", "--start-url", START_URL).exit_code == 0
    run_cli(*db, "onboarding", "enable", "--since", "2026-03-02")
    run_cli(*db, "run", "--now", "2026-03-02T12:00:00Z")
    (row,) = cli_json(run_cli, *db, "outbox", "list")
    refused = run_cli(*db, "outbox", "send", str(row["id"]))
    assert refused.exit_code == 2 and "only an approved message can be sent" in refused.stderr
    assert run_cli(*db, "outbox", "send", str(row["id"]), "--approve").exit_code == 0
    assert len(smtp_sink.received) == 1
    again = run_cli(*db, "outbox", "approve", str(row["id"]))
    assert (again.exit_code, again.stderr.strip()) == (
        2,
        f"Error: message {row['id']} is sent: it cannot be approved.",
    )
    missing = run_cli(*db, "outbox", "skip", "999")
    assert missing.exit_code == 2 and "has no message 999" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - name: hello\n    trigger: on_join\n    actions: [{draft_message: welcome}]\n"
    )
    failed = run_cli(*db, "onboarding", "enable", "--playbook", str(bad))
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.startswith(
        f"Error: {bad}, line 2: field 'trigger': unknown trigger 'on_join'"
    )


def test_rules_and_report(engine: Engine, db_url: str, run_cli: Run, smtp_sink: Sink) -> None:
    ingest(engine, [person("ada", joined=T0)])
    db = ("--db", db_url)
    rules = cli_json(run_cli, *db, "onboarding", "rules")
    assert [r["name"] for r in rules] == [
        "welcome",
        "weekly_welcome",
        "two_months",
        "anniversary",
        "newcomer_checkin",
    ]
    registry = cli_json(run_cli, *db, "onboarding", "rules", "--registry")
    assert {e["name"] for e in registry["triggers"]} == {
        "member_joined",
        "weekly",
        "days_after_join",
        "anniversary",
        "inactive_for",
        "first_contribution",
        "returned_after",
    }
    assert run_cli(*db, "communities", "set", "Cats", "--start-url", START_URL).exit_code == 0
    run_cli(*db, "onboarding", "enable")
    assert cli_json(run_cli, *db, "onboarding", "report") == []


def test_the_rules_read_in_plain_words_in_the_readers_language(
    engine: Engine, db_url: str, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue "a volunteer admin's first week": rules showed in config syntax (`weekly day=sunday`)."""
    ingest(engine, [person("ada", joined=T0)])
    english = run_cli("--db", db_url, "onboarding", "rules")
    assert english.exit_code == 0, english.stderr
    assert (
        "weekly_welcome     every Sunday at 18:00, up to 100 people per post  ->  draft_message"
        in (english.stdout)
    )
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    french = run_cli("--db", db_url, "onboarding", "rules").stdout
    assert (
        "two_months         60 jours après l’arrivée, à 10:00, si personne ne lui a écrit" in french
    )
    assert "day=" not in french and "not_contacted_within" not in french


def test_outbox_list_as_csv_writes_what_is_listed_with_its_texts(
    engine: Engine, db_url: str, run_cli: Run
) -> None:
    ingest(
        engine,
        [
            person("bruno", joined=T0 + timedelta(hours=2), language="fr"),
            person("chloe", joined=T0 + timedelta(hours=3), language="fr"),
        ],
    )
    db = ("--db", db_url)
    assert run_cli(*db, "communities", "set", "Cats", "--start-url", START_URL).exit_code == 0
    run_cli(*db, "onboarding", "enable", "--since", "2026-03-02T09:00:00Z")
    assert run_cli(*db, "run", "--now", "2026-03-02T12:00:00Z").exit_code == 0
    listed = cli_json(run_cli, *db, "outbox", "list", "--status", "drafted")
    result = run_cli(*db, "outbox", "list", "--status", "drafted", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "id",
        "rule",
        "channel",
        "status",
        "due_at",
        "members",
        "language",
        "needs_check",
        "attempts",
        "last_error",
        "skip_reason",
        "sent_at",
        "subject",
        "body",
    ]
    assert [(r["id"], r["members"], r["due_at"]) for r in rows] == [
        (str(m["id"]), " ".join(m["members"]), m["due_at"]) for m in listed
    ]
    assert [r["members"] for r in rows] == ["bruno", "chloe"]
    assert (
        rows[0]["subject"] == "Bienvenue sur Cats, Bruno\u202f!"
        and "Bonjour Bruno" in rows[0]["body"]
    )
    one = run_cli(*db, "outbox", "list", "--format", "csv", "--limit", "1")
    assert len(list(csv.DictReader(io.StringIO(one.stdout)))) == 1
    assert one.stderr == "Showing 1 of 2 messages (the latest due, from --offset 0).\n"


def test_an_approval_is_reopened_by_its_id_or_as_the_last_decision(
    engine: Engine, db_url: str, run_cli: Run, smtp_sink: Sink
) -> None:
    ingest(engine, [person("ada", joined=T0 + timedelta(hours=1))])
    db = ("--db", db_url)
    assert run_cli(*db, "communities", "set", "Cats", "--start-url", START_URL).exit_code == 0
    run_cli(*db, "onboarding", "enable", "--since", "2026-03-02")
    run_cli(*db, "run", "--now", "2026-03-02T12:00:00Z")
    (row,) = cli_json(run_cli, *db, "outbox", "list")
    message = str(row["id"])
    assert run_cli(*db, "outbox", "approve", message).exit_code == 0
    reopened = run_cli(*db, "outbox", "reopen", message)
    assert (reopened.exit_code, reopened.stdout.strip()) == (
        0,
        f"Reopened 1 message: drafted again ({message}).",
    )
    assert cli_json(run_cli, *db, "outbox", "show", message)["status"] == "drafted"
    assert run_cli(*db, "outbox", "skip", message).exit_code == 0
    last = run_cli(*db, "outbox", "reopen", "--last")
    assert (last.exit_code, last.stdout.strip()) == (
        0,
        f"Reopened 1 message: drafted again ({message}).",
    )
    nothing = run_cli(*db, "outbox", "reopen", "--last")
    assert (nothing.exit_code, nothing.stderr.strip()) == (
        2,
        "Error: there is no approval or skip of yours from the last hour to undo.",
    )
    assert run_cli(*db, "outbox", "send", message, "--approve").exit_code == 0
    sent = run_cli(*db, "outbox", "reopen", message)
    assert (sent.exit_code, sent.stderr.strip()) == (
        2,
        f"Error: message {message} is sent: it cannot be reopened.",
    )
    both = run_cli(*db, "outbox", "reopen", message, "--last")
    assert both.exit_code == 2 and "name the messages to reopen, or --last" in both.stderr
