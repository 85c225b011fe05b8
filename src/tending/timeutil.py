"""Time is UTC and timezone-aware inside; local time only at the edges.

The store keeps instants as integer microseconds since the Unix epoch (UTC): exact, compact, cheap to
index and to bucket into days with the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tending.errors import UsageError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch. Naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: tending only stores timezone-aware instants")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS_PER_SECOND + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def ensure_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: tending only handles timezone-aware instants")
    return moment.astimezone(UTC)


def parse_instant(text: str, *, default_tz: tzinfo = UTC, field: str = "--as-of") -> datetime:
    """Parse an ISO 8601 date or date-time given by a user; a bare date means its midnight in default_tz."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=default_tz).astimezone(UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{field}: '{text}' is not an ISO 8601 date or date-time "
            "(for example 2026-03-01 or 2026-03-01T18:30:00+01:00)."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(UTC)


def get_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"'{name}' is not a known time zone (use an IANA name such as Europe/Paris)."
        ) from None


@overload
def isoformat_utc(moment: datetime) -> str: ...
@overload
def isoformat_utc(moment: None) -> None: ...
@overload
def isoformat_utc(moment: datetime | None) -> str | None: ...


def isoformat_utc(moment: datetime | None) -> str | None:
    """The JSON form of an instant: ISO 8601 in UTC with a Z."""
    if moment is None:
        return None
    return ensure_utc(moment).isoformat().replace("+00:00", "Z")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day starts (a day starting in a DST gap starts at the gap's end)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    return local_midnight(day + timedelta(days=1), zone)
