"""Helpers the page modules share: the community in the path, parsing query values, redirects."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from sqlalchemy.exc import NoResultFound
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from tending.actions.communities import get_community_by_id
from tending.models import Community
from tending.timeutil import end_of_local_day as end_of_local_day  # where the views found them
from tending.timeutil import local_midnight as local_midnight
from tending.web.auth import get_state


def community_or_404(request: Request, community_id: int) -> Community:
    with get_state(request).engine.connect() as conn:
        try:
            return get_community_by_id(conn, community_id)
        except NoResultFound:
            raise HTTPException(404) from None


def parse_date(text: str | None) -> date | None:
    """A date from the address, within years 1900 to 2999 (9999-12-31 overflowed the end of its day)."""
    if not text:
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2999 else None


def parse_int(text: str | None, *, low: int, high: int) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def see_other(path: str, **query: str) -> RedirectResponse:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return RedirectResponse(f"{path}?{suffix}" if suffix else path, status_code=303)
