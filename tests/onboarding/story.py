"""A small community to tell onboarding stories with: ada, bruno, chloe and friends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from tending.models import ActivityRecord, Community, MemberRecord
from tending.store.communities import do_create_community, find_community
from tending.store.ingest import Ingestor
from tending.store.schema import members

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class Story:
    community: Community
    ids: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def ingest(
    engine: Engine,
    records: list,
    *,
    name: str = "Cats",
    timezone: str = "Europe/Paris",
    language: str = "en",
    platform: str = "forum",
) -> Story:
    with engine.begin() as conn:
        community = find_community(conn, name) or do_create_community(
            conn, name, platform=platform, timezone=timezone, language=language
        )
        Ingestor(conn, community).add_all(records)
        return Story(community, member_ids(conn, community))


def member_ids(conn: Connection, community: Community) -> dict[str, int]:
    return {
        external_id: member_id
        for external_id, member_id in conn.execute(
            select(members.c.external_id, members.c.id).where(
                members.c.community_id == community.id
            )
        )
    }


def person(
    name: str, *, joined: datetime | None = None, language: str | None = None, **extra: object
) -> MemberRecord:
    return MemberRecord(
        source="forum",
        external_id=name,
        display_name=name.capitalize(),
        joined_at=joined,
        language=language,
        email=f"{name}@example.org",
        **extra,  # type: ignore[arg-type]
    )


def act(source_id: str, who: str, kind: str, at: datetime) -> ActivityRecord:
    return ActivityRecord(
        source="forum", source_id=source_id, member_external_id=who, kind=kind, occurred_at=at
    )
