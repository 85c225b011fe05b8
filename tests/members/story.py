"""Small hand-built communities where every answer is known, built with tests/cast.py. Times are chosen
around T, a Sunday noon UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tending.models import ActivityRecord, Community, ImportRecord, MemberRecord, ThreadRecord
from tests.cast import act as cast_act
from tests.cast import build, member
from tests.cast import member_ids as cast_member_ids

T = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def person(
    who: str,
    *,
    joined: datetime | None = None,
    left: datetime | None = None,
    bot: bool = False,
    email: str | None = None,
    handle: str | None = None,
    source: str = "forum",
    name: str | None = None,
) -> MemberRecord:
    """`who` named after the key, with no language or e-mail unless given: these stories spell the names
    and count the languages they expect."""
    return member(
        who,
        source=source,
        joined=joined,
        left=left,
        display_name=name or who.capitalize(),
        handle=handle or who,
        language=None,
        is_staff=False,
        is_bot=bot,
        email=email,
    )


def act(
    source_id: str,
    who: str,
    kind: str,
    at: datetime,
    *,
    thread: str | None = None,
    source: str = "forum",
) -> ActivityRecord:
    return cast_act(source_id, who, kind, at, source=source, thread_external_id=thread)


def thread(tid: str, source: str = "forum") -> ThreadRecord:
    return ThreadRecord(source=source, external_id=tid, title=f"Thread {tid}")


def ingest(
    engine: Engine,
    records: Iterable[ImportRecord],
    *,
    name: str = "Cats",
    timezone: str = "Europe/Paris",
    settings: dict[str, Any] | None = None,
) -> Community:
    return build(engine, records, name=name, timezone=timezone, settings=settings).community


def member_ids(engine: Engine, community: Community) -> dict[str, int]:
    with engine.connect() as conn:
        return cast_member_ids(conn, community)


def posts_every(
    who: str,
    *,
    start: datetime,
    gap: timedelta,
    count: int,
    prefix: str | None = None,
    kind: str = "reply",
) -> list[ActivityRecord]:
    return [act(f"{prefix or who}-{i}", who, kind, start + gap * i) for i in range(count)]
