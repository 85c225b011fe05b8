"""Helpers the page modules share: the community in the path, parsing query values, redirects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.exc import NoResultFound
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from tending.models import Community
from tending.store.communities import get_community_by_id
from tending.web.auth import get_state


def community_or_404(request: Request, community_id: int) -> Community:
    with get_state(request).engine.connect() as conn:
        try:
            return get_community_by_id(conn, community_id)
        except NoResultFound:
            raise HTTPException(404) from None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day starts (a day starting in a DST gap starts at the gap's end)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    return local_midnight(day + timedelta(days=1), zone)


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
