"""Login timing does not say which accounts exist: an unknown e-mail costs a password verification too
(against a dummy hash), so both answers take the same CPU time (issue 15, defect 6; 0.18 s for a known
e-mail and 0.005 s for an unknown one before the fix)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tending.actions.web_users import do_add_user, do_login

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ATTEMPTS = 3


def _cpu_of_failed_logins(engine: Engine, email: str, start: int) -> float:
    used = 0.0
    for attempt in range(ATTEMPTS):
        with engine.begin() as conn:
            started = time.process_time()
            result = do_login(
                conn,
                email,
                "wrong password",
                ip=f"192.0.2.{start + attempt}",
                now=NOW + timedelta(hours=start + attempt),
            )
            used += time.process_time() - started
        assert result.failure == "invalid"
    return used


def test_a_known_and_an_unknown_email_cost_the_same(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        do_add_user(
            conn,
            "ada@example.org",
            password="a long enough password",
            role="admin",
            language="en",
            actor="test",
            now=NOW,
        )
    _cpu_of_failed_logins(
        sqlite_engine, "nobody@example.org", 100
    )  # the dummy hash is made once, first
    known = _cpu_of_failed_logins(sqlite_engine, "ada@example.org", 0)
    unknown = _cpu_of_failed_logins(sqlite_engine, "nobody@example.org", 10)
    print(f"\nCPU of {ATTEMPTS} failed logins: known e-mail {known:.3f} s, unknown {unknown:.3f} s")
    assert 0.5 < unknown / known < 2, (known, unknown)
