"""The people every test story is told with, and the one builder that writes them through the Ingestor.

Each has stable traits, whatever the story:

- ada, Ada Lovelace: the regular; writes French.
- bruno: writes English.
- chloe, Chloé Dubois: the quiet one (stories date her last post long ago); has an e-mail address.
- dan, Dan Bot: a bot.
- eve: the newcomer (stories have her join last).
- fanny, Fanny Moreau: asked not to be contacted; `build` records that through do_set_do_not_contact.

A story gives them their dates (`joined`, `left`), relative to its own clock, and may change a field for
a reason it states (a platform's handle, a name an assertion spells). Anyone else (`m1`, `zoe`) is a
plain member named after the key. Records go in through the store's Ingestor, as an import writes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from tending.actions.members import do_set_do_not_contact
from tending.models import ActivityRecord, Community, ImportRecord, MemberRecord
from tending.store.communities import (
    do_create_community,
    do_update_community_settings,
    find_community,
)
from tending.store.ingest import BATCH_SIZE, Ingestor
from tending.store.schema import members


@dataclass(frozen=True)
class Person:
    key: str  # the external id on the story's platform
    name: str
    handle: str
    language: str | None = None
    email: str | None = None
    staff: bool = False
    bot: bool = False
    do_not_contact: bool = False


ADA = Person("ada", "Ada Lovelace", "ada", language="fr", email="ada@example.org")
BRUNO = Person("bruno", "Bruno", "bruno", language="en", email="bruno@example.org")
CHLOE = Person("chloe", "Chloé Dubois", "chloe", email="chloe@example.org")
DAN = Person("dan", "Dan Bot", "danbot", bot=True)
EVE = Person("eve", "Eve", "eve")
FANNY = Person("fanny", "Fanny Moreau", "fanny", language="fr", do_not_contact=True)
CAST = {p.key: p for p in (ADA, BRUNO, CHLOE, DAN, EVE, FANNY)}


def person_of(key: str) -> Person:
    """The cast member `key`, or a plain member named after the key."""
    return CAST.get(key) or Person(key, key.capitalize(), key)


def member(
    key: str,
    *,
    source: str = "forum",
    joined: datetime | None = None,
    left: datetime | None = None,
    **changes: Any,
) -> MemberRecord:
    """`key` as an export lists them; `changes` sets any other MemberRecord field."""
    p = person_of(key)
    record = MemberRecord(
        source=source,
        external_id=key,
        display_name=p.name,
        handle=p.handle,
        joined_at=joined,
        left_at=left,
        language=p.language,
        is_staff=p.staff,
        is_bot=p.bot,
        email=p.email,
    )
    return dataclasses.replace(record, **changes)


def act(
    source_id: str, who: str, kind: str, at: datetime, *, source: str = "forum", **fields: Any
) -> ActivityRecord:
    """One thing `who` did; `fields` sets any other ActivityRecord field (thread_external_id, text...)."""
    record = ActivityRecord(
        source=source, source_id=source_id, member_external_id=who, kind=kind, occurred_at=at
    )
    return dataclasses.replace(record, **fields)


@dataclass
class Story:
    community: Community
    ids: dict[str, int]  # external id -> member id

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


def member_ids(conn: Connection, community: Community) -> dict[str, int]:
    rows = conn.execute(
        select(members.c.external_id, members.c.id).where(members.c.community_id == community.id)
    )
    return {external_id: member_id for external_id, member_id in rows}


def build_on(
    conn: Connection,
    records: Iterable[ImportRecord],
    *,
    name: str = "Cats",
    platform: str = "forum",
    timezone: str = "Europe/Paris",
    language: str = "en",
    settings: Mapping[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Story:
    """Write `records` into the community `name` (created if new) in the open transaction `conn`, in
    batches of `batch_size` as an import does."""
    community = find_community(conn, name) or do_create_community(
        conn, name, platform=platform, timezone=timezone, language=language, actor="test"
    )
    if settings:
        community = do_update_community_settings(conn, community, dict(settings), actor="test")
    records = list(records)
    Ingestor(conn, community).add_all(records, batch_size=batch_size)
    ids = member_ids(conn, community)
    for record in records:
        if isinstance(record, MemberRecord) and person_of(record.external_id).do_not_contact:
            do_set_do_not_contact(conn, community, ids[record.external_id], True, actor="test")
    return Story(community, ids)


def build(
    engine: Engine,
    records: Iterable[ImportRecord],
    *,
    name: str = "Cats",
    platform: str = "forum",
    timezone: str = "Europe/Paris",
    language: str = "en",
    settings: Mapping[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Story:
    """`build_on` in a transaction of its own."""
    with engine.begin() as conn:
        return build_on(
            conn,
            records,
            name=name,
            platform=platform,
            timezone=timezone,
            language=language,
            settings=settings,
            batch_size=batch_size,
        )
