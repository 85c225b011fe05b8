"""What the routes share: the state, the caller (by token), the community in the path, pages, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from tending.actions.api_tokens import get_token_user
from tending.actions.communities import get_community
from tending.actions.web_users import ROLES, WebUser
from tending.errors import UsageError
from tending.models import Community
from tending.timeutil import ensure_utc, get_zone, isoformat_utc, parse_instant

MAX_ID = 2**63 - 1  # ids are 64-bit: a longer number names nothing, and must not reach the database
MAX_LIMIT = 500


@dataclass
class ApiState:
    engine: Engine
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    def now(self) -> datetime:
        return ensure_utc(self.clock())


class ApiError(Exception):
    """Answered as {"error": message} with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


@contextmanager
def reading(request: Request) -> Iterator[Connection]:
    with get_state(request).engine.connect() as conn:
        yield conn


@contextmanager
def writing(request: Request) -> Iterator[Connection]:
    with get_state(request).engine.begin() as conn:
        yield conn


bearer = HTTPBearer(auto_error=False, description="An API token: tending users token add EMAIL")


def caller(role: str) -> Any:
    """A dependency: the user of the request's API token, if their role is at least `role`."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> WebUser:
        if credentials is None or not credentials.credentials.strip():
            raise ApiError(
                401,
                "Send an API token as 'Authorization: Bearer TOKEN' "
                "(make one with: tending users token add EMAIL).",
            )
        state = get_state(request)
        with state.engine.begin() as conn:
            user = get_token_user(conn, credentials.credentials.strip(), now=state.now())
        if user is None:
            raise ApiError(401, "This API token is unknown or was revoked.")
        if ROLES.index(user.role) < ROLES.index(role):
            raise ApiError(403, f"This needs the {role} role; the token's user is {user.role}.")
        return user

    return Depends(dependency)


def actor(user: WebUser) -> str:
    """Who the audit log names for a change made through the API (the dashboard writes web:<email>)."""
    return f"api:{user.email}"


CommunityId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The community's id (GET /communities).")
]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many items.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Skip this many items first.")]
AsOf = Annotated[
    str | None,
    Query(
        description="An ISO 8601 instant or date (a bare date is midnight in the "
        "community's time zone), up to now. Default: now."
    ),
]


def community_of(request: Request, community_id: int) -> Community:
    with reading(request) as conn:
        return get_community(conn, community_id)


def resolve_as_of(request: Request, community: Community, text: str | None) -> datetime:
    now = get_state(request).now()
    if text is None or not text.strip():
        return now
    try:
        moment = parse_instant(text, default_tz=get_zone(community.timezone), field="as_of")
    except (OverflowError, ValueError):
        raise UsageError(f"as_of: '{text}' is not an instant tending can represent.") from None
    if moment > now:
        raise UsageError(f"as_of: {text.strip()} is in the future; give an instant up to now.")
    return moment


def page(items: list[Any], *, total: int, limit: int, offset: int, **extra: Any) -> dict[str, Any]:
    """The envelope of every list: the items, how many there are in all (N of M), and the page asked for."""
    return {"items": items, "total": total, "limit": limit, "offset": offset, **extra}


def plain(value: Any) -> Any:
    """JSON values: dataclasses as objects, instants in UTC with a Z (as the CLI's JSON gives them)."""
    if isinstance(value, datetime):
        return isoformat_utc(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
