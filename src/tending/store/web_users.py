"""Dashboard accounts: users, their sessions, login attempts, and the log of account changes.

These tables are deliberately *global* (no community_id): a person who runs two communities has one login,
and a role that applies to every community of this deployment. They are small reference tables about the
staff, not community data, so sharding by community keeps one copy of them beside each shard
(docs/web.md, "Accounts").

Session tokens and one-time login tokens are stored as SHA-256 hashes: a copy of the database does not let
anyone log in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from tending.models import LANGUAGES as LANGUAGES  # defined with the other records
from tending.models import ROLES as ROLES
from tending.store.schema import Key, Timestamp, metadata

web_users = Table(
    "web_users",
    metadata,
    Column("id", Key, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("language", String(8), nullable=False, default="en"),
    Column("created_at", Timestamp, nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Key, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Key, ForeignKey("web_users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Index(None, "user_id"),
)

web_login_attempts = Table(
    "web_login_attempts",
    metadata,
    Column("id", Key, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("occurred_at", Timestamp, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index(None, "email", "occurred_at"),
    Index(None, "ip", "occurred_at"),
)

web_user_events = Table(
    "web_user_events",
    metadata,
    Column("id", Key, primary_key=True),
    Column("occurred_at", Timestamp, nullable=False),
    Column("actor", String(320), nullable=False),
    Column("action", String(100), nullable=False),
    Column("email", String(320), nullable=False),
    Column("details", JSON),
)


@dataclass(frozen=True, slots=True)
class WebUser:
    id: int
    email: str
    role: str
    language: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebSession:
    id: int
    user: WebUser
    csrf_token: str
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _user(row: Any) -> WebUser:
    return WebUser(
        id=row.id, email=row.email, role=row.role, language=row.language, created_at=row.created_at
    )


# -- users --------------------------------------------------------------------------------------------


def get_users(conn: Connection) -> list[WebUser]:
    return [_user(row) for row in conn.execute(select(web_users).order_by(web_users.c.email))]


def get_user(conn: Connection, user_id: int) -> WebUser | None:
    row = conn.execute(select(web_users).where(web_users.c.id == user_id)).first()
    return _user(row) if row else None


def find_user(conn: Connection, email: str) -> WebUser | None:
    row = conn.execute(select(web_users).where(web_users.c.email == normalise_email(email))).first()
    return _user(row) if row else None


def get_password_hash(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(web_users.c.password_hash).where(web_users.c.id == user_id)).scalar()


def count_admins(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(web_users).where(web_users.c.role == "admin")
        ).scalar_one()
    )


def insert_user(
    conn: Connection, email: str, *, password_hash: str, role: str, language: str, at: datetime
) -> WebUser:
    result = conn.execute(
        insert(web_users).values(
            email=normalise_email(email),
            password_hash=password_hash,
            role=role,
            language=language,
            created_at=at,
        )
    )
    user = get_user(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]
    assert user is not None
    return user


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(web_users).where(web_users.c.id == user_id).values(**values))


def delete_user(conn: Connection, user_id: int) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
    conn.execute(delete(web_users).where(web_users.c.id == user_id))


def record_user_event(
    conn: Connection,
    *,
    actor: str,
    action: str,
    email: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(web_user_events).values(
            occurred_at=at, actor=actor, action=action, email=email, details=details or {}
        )
    )


def get_user_events(conn: Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    query = select(web_user_events).order_by(web_user_events.c.id.desc()).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


# -- sessions -----------------------------------------------------------------------------------------


def insert_session(
    conn: Connection,
    user_id: int,
    *,
    token: str,
    csrf_token: str,
    at: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        insert(web_sessions).values(
            token_hash=hash_token(token),
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=at,
            expires_at=expires_at,
        )
    )


def get_session(conn: Connection, token: str, *, now: datetime) -> WebSession | None:
    query = (
        select(
            web_sessions.c.id,
            web_sessions.c.csrf_token,
            web_sessions.c.expires_at,
            web_users.c.id.label("user_id"),
            web_users.c.email,
            web_users.c.role,
            web_users.c.language,
            web_users.c.created_at,
        )
        .join(web_users, web_users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.token_hash == hash_token(token), web_sessions.c.expires_at > now)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    user = WebUser(
        id=row.user_id,
        email=row.email,
        role=row.role,
        language=row.language,
        created_at=row.created_at,
    )
    return WebSession(id=row.id, user=user, csrf_token=row.csrf_token, expires_at=row.expires_at)


def delete_session(conn: Connection, token: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == hash_token(token)))


def delete_expired_sessions(conn: Connection, *, now: datetime) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))


# -- login attempts -----------------------------------------------------------------------------------


def record_login_attempt(
    conn: Connection, *, email: str, ip: str, succeeded: bool, at: datetime
) -> None:
    conn.execute(
        insert(web_login_attempts).values(
            email=normalise_email(email), ip=ip, occurred_at=at, succeeded=succeeded
        )
    )


def count_failed_logins(
    conn: Connection, *, since: datetime, email: str | None = None, ip: str | None = None
) -> int:
    """Failed attempts since `since`, for an account (counting only those after its last success) or for an
    address (all of them: a success on one's own account must not reset the count for guessing others')."""
    attempts = web_login_attempts.c
    if email is not None:
        value = normalise_email(email)
        last_success = conn.execute(
            select(func.max(attempts.occurred_at)).where(
                attempts.email == value, attempts.succeeded.is_(True)
            )
        ).scalar()
        if last_success is not None and last_success > since:
            since = last_success
        where = [attempts.email == value, attempts.occurred_at > since]
    else:
        where = [attempts.ip == (ip or ""), attempts.occurred_at > since]
    query = (
        select(func.count())
        .select_from(web_login_attempts)
        .where(*where, attempts.succeeded.is_(False))
    )
    return int(conn.execute(query).scalar_one())
