"""Dashboard accounts: adding, changing and removing users, logging in and out.

Every change to an account is written to web_user_events (who did what to which account, when): accounts
are global, so the per-community audit log is not the place for them. Passwords are hashed with argon2id
(argon2-cffi's defaults, RFC 9106); they are never logged nor stored in clear.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from tending.errors import UsageError
from tending.store import web_users as store
from tending.store.api_tokens import delete_user_tokens
from tending.store.web_users import LANGUAGES as LANGUAGES
from tending.store.web_users import ROLES as ROLES
from tending.store.web_users import WebSession as WebSession
from tending.store.web_users import WebUser as WebUser
from tending.store.web_users import get_user as get_user  # reads re-exported for the shells
from tending.store.web_users import get_user_events as get_user_events
from tending.store.web_users import get_users as get_users

SESSION_LIFETIME = timedelta(days=14)
# Rate limits on failed logins (OWASP Authentication Cheat Sheet, "Login Throttling"): an account is
# locked for the window after ACCOUNT_FAILURES failures, an address after IP_FAILURES (it may be a NAT).
LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
IP_FAILURES = 20
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    """Verifying against this when the account does not exist keeps the timing the same (no account probing)."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash("not a real password, only for constant-time answers")
    return _dummy_hashes[key]


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"--role: '{role}' is not a role (choose admin, moderator or viewer).")
    return role


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UsageError(f"--language: '{language}' is not offered (choose en or fr).")
    return language


def check_email(email: str) -> str:
    cleaned = store.normalise_email(email)
    local, _, domain = cleaned.partition("@")
    if not local or not domain or " " in cleaned or len(cleaned) > 320:
        raise UsageError(f"EMAIL: '{email}' is not an e-mail address.")
    return cleaned


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"password: at least {MIN_PASSWORD_LENGTH} characters, please.")
    return password


def do_add_user(
    conn: Connection,
    email: str,
    *,
    password: str,
    role: str,
    language: str = "en",
    actor: str,
    now: datetime,
) -> WebUser:
    email = check_email(email)
    check_role(role)
    check_language(language)
    check_password(password)
    if store.find_user(conn, email) is not None:
        raise UsageError(f"EMAIL: a user '{email}' already exists.")
    user = store.insert_user(
        conn, email, password_hash=_hasher.hash(password), role=role, language=language, at=now
    )
    store.record_user_event(
        conn, actor=actor, action="user.added", email=email, at=now, details={"role": role}
    )
    return user


def _existing(conn: Connection, email: str) -> WebUser:
    user = store.find_user(conn, email)
    if user is None:
        raise UsageError(f"EMAIL: no user '{email}'.")
    return user


def _keep_an_admin(conn: Connection, user: WebUser, new_role: str | None) -> None:
    if user.role == "admin" and new_role != "admin" and store.count_admins(conn) <= 1:
        raise UsageError(f"EMAIL: '{user.email}' is the last admin; add another admin first.")


def do_set_role(conn: Connection, email: str, *, role: str, actor: str, now: datetime) -> WebUser:
    check_role(role)
    user = _existing(conn, email)
    if user.role == role:
        return user
    _keep_an_admin(conn, user, role)
    store.update_user(conn, user.id, role=role)
    store.record_user_event(
        conn,
        actor=actor,
        action="user.role_changed",
        email=user.email,
        at=now,
        details={"from": user.role, "to": role},
    )
    return _existing(conn, email)


def do_set_language(conn: Connection, user: WebUser, *, language: str, now: datetime) -> None:
    check_language(language)
    if user.language != language:
        store.update_user(conn, user.id, language=language)
        store.record_user_event(
            conn,
            actor=user.email,
            action="user.language_changed",
            email=user.email,
            at=now,
            details={"to": language},
        )


def do_set_password(
    conn: Connection, email: str, *, password: str, actor: str, now: datetime
) -> None:
    user = _existing(conn, email)
    check_password(password)
    store.update_user(conn, user.id, password_hash=_hasher.hash(password))
    store.record_user_event(
        conn, actor=actor, action="user.password_changed", email=user.email, at=now
    )


def do_remove_user(conn: Connection, email: str, *, actor: str, now: datetime) -> None:
    user = _existing(conn, email)
    _keep_an_admin(conn, user, None)
    delete_user_tokens(conn, user.id)
    store.delete_user(conn, user.id)
    store.record_user_event(conn, actor=actor, action="user.removed", email=user.email, at=now)


# -- logging in -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A session token when the login succeeded; otherwise why not ("invalid" or "throttled")."""

    token: str | None = None
    user: WebUser | None = None
    failure: str | None = None


def is_login_throttled(conn: Connection, email: str, *, ip: str, now: datetime) -> bool:
    since = now - LOGIN_WINDOW
    return (
        store.count_failed_logins(conn, since=since, email=email) >= ACCOUNT_FAILURES
        or store.count_failed_logins(conn, since=since, ip=ip) >= IP_FAILURES
    )


def _password_matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def do_login(conn: Connection, email: str, password: str, *, ip: str, now: datetime) -> LoginResult:
    """Check the password and open a session. A throttled account or address is refused before checking."""
    email = store.normalise_email(email)[:320]
    if is_login_throttled(conn, email, ip=ip, now=now):
        store.record_login_attempt(conn, email=email, ip=ip, succeeded=False, at=now)
        return LoginResult(failure="throttled")
    user = store.find_user(conn, email)
    stored = store.get_password_hash(conn, user.id) if user else None
    matches = _password_matches(
        stored, password
    )  # always verified (a dummy hash for no account): same timing
    if user is None or not matches:
        store.record_login_attempt(conn, email=email, ip=ip, succeeded=False, at=now)
        return LoginResult(failure="invalid")
    store.record_login_attempt(conn, email=email, ip=ip, succeeded=True, at=now)
    if stored and _hasher.check_needs_rehash(stored):
        store.update_user(conn, user.id, password_hash=_hasher.hash(password))
    return LoginResult(token=open_session(conn, user, now=now), user=user)


def open_session(conn: Connection, user: WebUser, *, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    store.delete_expired_sessions(conn, now=now)
    store.insert_session(
        conn,
        user.id,
        token=token,
        csrf_token=secrets.token_urlsafe(32),
        at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    return token


def do_logout(conn: Connection, token: str) -> None:
    store.delete_session(conn, token)


def get_session(conn: Connection, token: str, *, now: datetime) -> WebSession | None:
    return store.get_session(conn, token, now=now)


def ensure_demo_admin(conn: Connection, *, now: datetime) -> WebUser:
    """The demo's admin account, with a random password nobody knows (the demo logs in by token)."""
    user = store.find_user(conn, DEMO_ADMIN_EMAIL)
    if user is not None:
        return user
    return do_add_user(
        conn,
        DEMO_ADMIN_EMAIL,
        password=secrets.token_urlsafe(24),
        role="admin",
        actor="demo",
        now=now,
    )


DEMO_ADMIN_EMAIL = "demo-admin@localhost"
