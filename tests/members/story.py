"""Small hand-built communities where every answer is known. Times are chosen around T, a Sunday noon UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from tending.models import ActivityRecord, Community, MemberRecord, ThreadRecord
from tending.store.communities import (
    do_create_community,
    do_update_community_settings,
    find_community,
)
from tending.store.ingest import Ingestor
from tending.store.schema import members

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
    return MemberRecord(
        source=source,
        external_id=who,
        display_name=name or who.capitalize(),
        handle=handle or who,
        joined_at=joined,
        left_at=left,
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
    return ActivityRecord(
        source=source,
        source_id=source_id,
        member_external_id=who,
        kind=kind,
        occurred_at=at,
        thread_external_id=thread,
    )


def thread(tid: str, source: str = "forum") -> ThreadRecord:
    return ThreadRecord(source=source, external_id=tid, title=f"Thread {tid}")


def ingest(
    engine: Engine,
    records: list[Any],
    *,
    name: str = "Cats",
    timezone: str = "Europe/Paris",
    settings: dict[str, Any] | None = None,
) -> Community:
    with engine.begin() as conn:
        community = find_community(conn, name) or do_create_community(
            conn, name, platform="forum", timezone=timezone, actor="test"
        )
        if settings:
            community = do_update_community_settings(conn, community, settings, actor="test")
        Ingestor(conn, community).add_all(records)
    return community


def member_ids(engine: Engine, community: Community) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(members.c.external_id, members.c.id).where(
                members.c.community_id == community.id
            )
        )
        return {external_id: member_id for external_id, member_id in rows}


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
