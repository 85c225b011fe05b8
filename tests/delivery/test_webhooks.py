"""Webhooks out, end to end: a receiver on 127.0.0.1 that checks the signature, fed by `tending run`."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from tending.models import MemberRecord
from tending.store import open_store
from tending.store.alerts import insert_alert
from tending.store.communities import get_community_by_id
from tending.store.ingest import Ingestor
from tending.store.moderation import bulk_add_items
from tending.store.schema import audit_events
from tending.store.webhooks import webhook_deliveries
from tests.conftest import CliResult
from tests.web.conftest import NOW, seed


@dataclass
class Receiver:
    """Answers `status` (a list consumed one per request, then 204) and keeps what it verified."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Tending-Signature-256", "")):
                state.bad_signatures += 1
                self.send_response(401)
            else:
                status = state.statuses.pop(0) if state.statuses else 204
                if status < 300:
                    state.received.append(
                        {
                            "event": self.headers["X-Tending-Event"],
                            "delivery": self.headers["X-Tending-Delivery"],
                            "body": json.loads(body),
                        }
                    )
                self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def _news(db_url: str, cid: int) -> None:
    """After the webhook exists: a spam finding in the queue, an alert, and fay joins."""
    engine = open_store(db_url)
    with engine.begin() as conn:
        insert_alert(
            conn,
            cid,
            kind="volume",
            dedupe_key="volume:2026-03-02",
            day=20514,
            as_of=NOW,
            created_at=NOW,
            severity="warning",
            summary="Contributions spiked today",
            details={"threads": [], "messages": [], "figures": {}},
        )
        bulk_add_items(
            conn,
            cid,
            [
                {
                    "signal": "spam",
                    "subject_key": "activity:9",
                    "score": 0.97,
                    "evidence": {"text": "Cheap pills"},
                    "occurred_at": NOW,
                }
            ],
            now=NOW,
        )
        Ingestor(conn, get_community_by_id(conn, cid)).add_all(
            [
                MemberRecord(
                    source="forum",
                    external_id="fay",
                    display_name="Fay Secret-Name",
                    handle="fay",
                    joined_at=NOW,
                )
            ]
        )
    engine.dispose()


def _deliveries(db_url: str) -> list[tuple[str, str, int]]:
    engine = open_store(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                webhook_deliveries.c.key, webhook_deliveries.c.status, webhook_deliveries.c.attempts
            ).order_by(webhook_deliveries.c.id)
        ).all()
    engine.dispose()
    return [(r.key, r.status, r.attempts) for r in rows]


def test_new_events_reach_the_receiver_once_signed(
    db_url: str, run_cli: Callable[..., CliResult], receiver: Receiver
) -> None:
    engine = open_store(db_url)
    cid = seed(engine)
    engine.dispose()
    added = run_cli(
        "--db",
        db_url,
        "webhooks",
        "add",
        receiver.url,
        "--community",
        "Cats",
        "--event",
        "member.joined",
        "--event",
        "moderation.item",
        "--event",
        "alert.raised",
    )
    assert added.exit_code == 0, added.stderr
    receiver.secret = added.stdout.strip()
    assert len(receiver.secret) == 64
    _news(db_url, cid)

    now = (NOW + timedelta(minutes=1)).isoformat()
    ran = run_cli("--db", db_url, "run", "--now", now, "--community", "Cats", "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    assert json.loads(ran.stdout)[0]["webhooks"] == {
        "sent": 3,
        "retrying": 0,
        "failed": 0,
        "recovered": 0,
    }
    assert receiver.bad_signatures == 0
    assert [
        (
            r["event"],
            r["body"]["data"].get("signal"),
            r["body"]["data"].get("severity"),
            r["body"]["data"].get("platform"),
        )
        for r in receiver.received
    ] == [
        ("moderation.item", "spam", None, None),
        ("alert.raised", None, "warning", None),
        ("member.joined", None, None, "forum"),
    ]
    assert all(r["delivery"].startswith("1:") for r in receiver.received)
    everything = json.dumps([r["body"] for r in receiver.received])
    assert (
        "Fay" not in everything and "Cheap pills" not in everything
    )  # ids and kinds, never names or text

    again = run_cli("--db", db_url, "run", "--now", now, "--community", "Cats", "--format", "json")
    assert json.loads(again.stdout)[0]["webhooks"]["sent"] == 0
    assert len(receiver.received) == 3
    assert [status for _key, status, _n in _deliveries(db_url)] == ["sent", "sent", "sent"]

    listed = json.loads(
        run_cli(
            "--db", db_url, "webhooks", "list", "--community", "Cats", "--format", "json"
        ).stdout
    )
    assert listed[0]["deliveries"]["sent"] == 3 and receiver.secret not in json.dumps(listed)


def test_a_failing_receiver_is_retried_after_the_backoff_then_given_up(
    db_url: str, run_cli: Callable[..., CliResult], receiver: Receiver
) -> None:
    engine = open_store(db_url)
    cid = seed(engine)
    engine.dispose()
    receiver.secret = run_cli(
        "--db",
        db_url,
        "webhooks",
        "add",
        receiver.url,
        "--community",
        "Cats",
        "--event",
        "member.joined",
    ).stdout.strip()
    _news(db_url, cid)
    receiver.statuses = [503]

    def tick(minutes: int) -> dict[str, int]:
        ran = run_cli(
            "--db",
            db_url,
            "run",
            "--now",
            (NOW + timedelta(minutes=minutes)).isoformat(),
            "--community",
            "Cats",
            "--format",
            "json",
        )
        return dict(json.loads(ran.stdout)[0]["webhooks"])

    assert tick(1)["retrying"] == 1
    assert tick(1)["sent"] == 0  # not due again before the backoff
    assert tick(3) == {"sent": 1, "retrying": 0, "failed": 0, "recovered": 0}
    assert [(k.split(":")[0], s, n) for k, s, n in _deliveries(db_url)] == [
        ("member.joined", "sent", 2)
    ]

    engine = open_store(db_url)
    with engine.begin() as conn:
        Ingestor(conn, get_community_by_id(conn, cid)).add_all(
            [MemberRecord(source="forum", external_id="gus", handle="gus", joined_at=NOW)]
        )
    engine.dispose()
    receiver.statuses = [410]  # refused for good: no retry
    assert tick(5) == {"sent": 0, "retrying": 0, "failed": 1, "recovered": 0}


def test_webhook_mistakes_and_the_audit(db_url: str, run_cli: Callable[..., CliResult]) -> None:
    engine = open_store(db_url)
    seed(engine)
    plain_http = run_cli(
        "--db", db_url, "webhooks", "add", "http://hooks.example.org/x", "--event", "alert.raised"
    )
    assert plain_http.exit_code == 2 and "use https" in plain_http.stderr
    assert (
        run_cli("--db", db_url, "webhooks", "add", "ftp://x", "--event", "alert.raised").exit_code
        == 2
    )
    assert (
        run_cli(
            "--db",
            db_url,
            "webhooks",
            "add",
            "https://h.example.org/x?token=s3cret",
            "--event",
            "alert.raised",
        ).exit_code
        == 0
    )
    missing = run_cli("--db", db_url, "webhooks", "remove", "9")
    assert missing.exit_code == 2 and "no webhook 9" in missing.stderr
    assert run_cli("--db", db_url, "webhooks", "remove", "1").stdout == "Webhook 1 removed.\n"
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.details)
            .where(audit_events.c.action.like("webhook.%"))
            .order_by(audit_events.c.id)
        ).all()
    engine.dispose()
    assert [r.action for r in rows] == ["webhook.added", "webhook.removed"]
    assert "s3cret" not in json.dumps([r.details for r in rows])
