"""E-mail end to end against a real SMTP server (aiosmtpd) on 127.0.0.1: plain with authentication,
STARTTLS and implicit TLS with a certificate the test makes, refusals and outages."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, select

from tending.store.schema import activities, members

from .common import NOW, approved, deliver, message, people
from .servers import free_port


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def check_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"bot",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(**options: Any) -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=check_password,
        auth_require_tls=False,
        **options,
    )
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def smtp(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "private": "email",
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "bot",
            "password": "s3cret",
            "sender": "Cats team <team@cats.example>",
            **extra,
        },
    }


def test_an_email_reaches_the_member_and_her_timeline(engine: Engine) -> None:
    story = people(engine)
    ada_id = approved(
        engine, story, channel="email", who=["ada"], subject="Bienvenue, Ada !", body="Bonjour Ada"
    )
    with smtp_server() as (sink, port):
        counts = deliver(engine, story, smtp(port))
    assert counts.sent == 1
    ((rcpt, email),) = sink.received
    assert rcpt == ["ada@example.org"]
    assert (
        email["To"] == "Ada <ada@example.org>" and email["From"] == "Cats team <team@cats.example>"
    )
    assert str(email["Subject"]) == "Bienvenue, Ada !"
    assert (
        email["Message-ID"]
        == f"<tending-{story.community.id}-{ada_id}-{story['ada']}@cats.example>"
    )
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode().strip() == "Bonjour Ada"
    sent = message(engine, story, ada_id)
    assert (sent.status, sent.sent_at) == ("sent", NOW)
    with engine.connect() as conn:
        kinds = list(
            conn.execute(
                select(activities.c.kind).where(activities.c.member_id == story["ada"])
            ).scalars()
        )
    assert kinds == ["message_sent"]


def test_starttls_and_implicit_tls(engine: Engine, certificate: tuple[Path, Path]) -> None:
    story = people(engine)
    first = approved(engine, story, channel="email", who=["ada"])
    with smtp_server(tls_context=server_context(certificate), require_starttls=True) as (
        sink,
        port,
    ):
        deliver(engine, story, smtp(port, security="starttls", ca_file=str(certificate[0])))
    assert len(sink.received) == 1 and message(engine, story, first).status == "sent"
    second = approved(engine, story, channel="email", who=["bruno"])
    with smtp_server(ssl_context=server_context(certificate)) as (sink, port):
        deliver(engine, story, smtp(port, security="ssl", ca_file=str(certificate[0])))
    assert [r for r, _ in sink.received] == [["bruno@example.org"]]
    assert message(engine, story, second).status == "sent"


def test_a_refused_password_fails_at_once_without_showing_it(engine: Engine) -> None:
    story = people(engine)
    ada_id = approved(engine, story, channel="email", who=["ada"])
    with smtp_server() as (sink, port):
        counts = deliver(engine, story, smtp(port, password="wrong-password"))
    after = message(engine, story, ada_id)
    assert counts.failed == 1 and sink.received == []
    assert (after.status, after.last_error) == ("failed", "smtp: authentication refused (535)")


def test_an_outage_is_retried_then_delivered(engine: Engine) -> None:
    story = people(engine)
    ada_id = approved(engine, story, channel="email", who=["ada"])
    port = free_port()  # nothing listens there yet
    counts = deliver(engine, story, smtp(port))
    after = message(engine, story, ada_id)
    assert counts.retrying == 1 and after.status == "approved"
    assert after.last_error == f"smtp: ConnectionRefusedError talking to 127.0.0.1:{port}"
    assert after.next_attempt_at is not None
    sink = Sink()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=check_password, auth_require_tls=False
    )
    controller.start()  # the server is back
    try:
        assert deliver(engine, story, smtp(port), now=NOW).sent == 0  # not before its backoff
        assert deliver(engine, story, smtp(port), now=after.next_attempt_at).sent == 1
    finally:
        controller.stop()
    assert len(sink.received) == 1 and message(engine, story, ada_id).attempts == 2


def test_do_not_contact_after_approval_and_a_member_without_address(engine: Engine) -> None:
    story = people(engine)
    ada_id = approved(engine, story, channel="email", who=["ada"])
    chloe_id = approved(engine, story, channel="email", who=["chloe"])  # no e-mail address
    with engine.begin() as conn:
        conn.execute(
            members.update().where(members.c.id == story["ada"]).values(do_not_contact=True)
        )
    with smtp_server() as (sink, port):
        counts = deliver(engine, story, smtp(port))
    assert sink.received == []
    assert (counts.skipped, counts.failed) == (1, 1)
    ada, chloe = message(engine, story, ada_id), message(engine, story, chloe_id)
    assert (ada.status, ada.skip_reason) == ("skipped", "do_not_contact_or_left")
    assert (chloe.status, chloe.last_error) == (
        "failed",
        f"smtp: no e-mail address for member {story['chloe']}",
    )
