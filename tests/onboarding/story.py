"""A small community to tell onboarding stories with: ada, bruno, chloe and friends, from tests/cast.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from tending.models import ImportRecord, MemberRecord
from tests.cast import Story, act, build, member, member_ids

__all__ = ["T0", "Story", "act", "ingest", "member_ids", "person"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def ingest(
    engine: Engine,
    records: Iterable[ImportRecord],
    *,
    name: str = "Cats",
    timezone: str = "Europe/Paris",
    language: str = "en",
    platform: str = "forum",
) -> Story:
    return build(
        engine, records, name=name, timezone=timezone, language=language, platform=platform
    )


def person(
    name: str, *, joined: datetime | None = None, language: str | None = None, **extra: Any
) -> MemberRecord:
    """`name` with an e-mail address, named after the key and with no language unless given: these
    stories choose each welcome's language and spell the names they expect in its text."""
    return member(
        name,
        joined=joined,
        display_name=name.capitalize(),
        handle=None,
        language=language,
        email=f"{name}@example.org",
        **extra,
    )
