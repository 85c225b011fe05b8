"""API tokens: made for an existing dashboard user, shown once, listed without their secret, revoked.

A token acts with its user's role as it is at each request (a user made viewer loses what their tokens
could do at once; a removed user's tokens go with them). Every change is a web_user_events row, as for the
accounts. Why a plain SHA-256 at rest is enough: see tending.store.api_tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tending.errors import UsageError
from tending.store import api_tokens as store
from tending.store.api_tokens import ApiToken
from tending.store.web_users import WebUser, find_user, record_user_event

TOKEN_PREFIX = "tnd_"
SHOWN_PREFIX = (
    8  # "tnd_" and 4 random characters: enough to tell tokens apart, far too few to guess one
)
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute per token


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # the only time it exists in clear


def do_add_token(conn: Connection, email: str, *, actor: str, now: datetime) -> NewToken:
    user = find_user(conn, email)
    if user is None:
        raise UsageError(
            f"EMAIL: no user '{email}' (add them first: tending users add EMAIL --role ROLE)."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = store.insert_token(conn, user.id, token=secret, prefix=secret[:SHOWN_PREFIX], at=now)
    record_user_event(
        conn,
        actor=actor,
        action="token.added",
        email=user.email,
        at=now,
        details={"token_id": token.id},
    )
    return NewToken(token, secret)


def get_tokens(conn: Connection) -> list[ApiToken]:
    return store.get_tokens(conn)


def do_revoke_token(conn: Connection, token_id: int, *, actor: str, now: datetime) -> ApiToken:
    token = store.get_token(conn, token_id)
    if token is None:
        raise UsageError(f"ID: no API token {token_id} (see tending users token list).")
    if token.revoked_at is None:
        store.revoke_token(conn, token_id, at=now)
        record_user_event(
            conn,
            actor=actor,
            action="token.revoked",
            email=token.email,
            at=now,
            details={"token_id": token_id},
        )
    found = store.get_token(conn, token_id)
    assert found is not None
    return found


def get_token_user(conn: Connection, secret: str, *, now: datetime) -> WebUser | None:
    """The user a live token acts for (None for an unknown or revoked one), noting when it was used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    found = store.find_user_by_token(conn, secret)
    if found is None:
        return None
    token_id, user, last_used = found
    if last_used is None or now - last_used >= TOUCH_EVERY:
        store.touch_token(conn, token_id, at=now)
    return user
