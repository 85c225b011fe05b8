"""API tokens: one row per token a dashboard user made for scripts (the JSON API at /api/v1).

A token is 256 random bits (secrets.token_urlsafe(32)) behind a short public prefix. Only its SHA-256 is
stored: for a secret of that entropy a plain hash cannot be reversed or guessed, so a salt or a slow hash
(argon2, as for passwords) would add nothing but time on every request, and the hash stays an indexed,
unique lookup. A copy of the database therefore lets nobody call the API. Like the accounts, tokens are
global (no community_id): a token carries its user's role, for every community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from tending.store.schema import Key, Timestamp, metadata
from tending.store.web_users import WebUser, hash_token, web_users

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Key, primary_key=True),
    Column("user_id", Key, ForeignKey("web_users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_used_at", Timestamp),
    Column("revoked_at", Timestamp),
    Index(None, "user_id"),
)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as `tending users token list` shows it: never the secret, only its first characters."""

    id: int
    email: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        email=row.email,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _listing() -> Any:
    return select(api_tokens, web_users.c.email).join(
        web_users, web_users.c.id == api_tokens.c.user_id
    )


def insert_token(
    conn: Connection, user_id: int, *, token: str, prefix: str, at: datetime
) -> ApiToken:
    result = conn.execute(
        insert(api_tokens).values(
            user_id=user_id, token_hash=hash_token(token), prefix=prefix, created_at=at
        )
    )
    found = get_token(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]
    assert found is not None
    return found


def get_token(conn: Connection, token_id: int) -> ApiToken | None:
    row = conn.execute(_listing().where(api_tokens.c.id == token_id)).first()
    return _token(row) if row else None


def get_tokens(conn: Connection) -> list[ApiToken]:
    return [_token(row) for row in conn.execute(_listing().order_by(api_tokens.c.id))]


def find_user_by_token(conn: Connection, token: str) -> tuple[int, WebUser, datetime | None] | None:
    """(token id, its user, when it was last used) for a live (unrevoked) token, else None."""
    query = (
        select(api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at, web_users)
        .join(web_users, web_users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked_at.is_(None))
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    user = WebUser(
        id=row.id, email=row.email, role=row.role, language=row.language, created_at=row.created_at
    )
    return int(row.token_id), user, row.last_used_at


def touch_token(conn: Connection, token_id: int, *, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def revoke_token(conn: Connection, token_id: int, *, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))


def delete_user_tokens(conn: Connection, user_id: int) -> None:
    conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
