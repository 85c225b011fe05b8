"""Shared story for the delivery tests: the Cats community, its members, and approved messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from tending.actions.delivery import DeliveryCounts, deliver_due, make_router
from tending.actions.outbox import do_draft_message
from tending.models import MemberRecord
from tending.store.outbox import OutboxMessage, get_message
from tests.cast import member
from tests.onboarding.story import T0, Story, ingest

NOW = T0 + timedelta(hours=1)


def people(engine: Engine, *, platform: str = "forum", **extra: Any) -> Story:
    """ada, bruno and chloe of tests/cast.py on `platform` (`extra` maps a key to their id there), with
    the handles and the short names the messages address; chloe writes French and has no e-mail."""

    def on(key: str, **changes: Any) -> MemberRecord:
        return member(key, source=platform, joined=T0, external_id=extra.get(key, key), **changes)

    records = [
        on("ada", display_name="Ada", handle="ada_l"),
        on("bruno", handle="bruno_m"),
        on("chloe", display_name="Chloé", handle="chloe_d", email=None, language="fr"),
    ]
    story = ingest(engine, records, platform=platform)
    names = {extra.get(n, n): n for n in ("ada", "bruno", "chloe")}
    story.ids = {names[k]: v for k, v in story.ids.items()}
    return story


def approved(
    engine: Engine,
    story: Story,
    *,
    channel: str,
    who: list[str],
    body: str = "Welcome!",
    subject: str | None = "Welcome",
    key: str | None = None,
) -> int:
    with engine.begin() as conn:
        message_id = do_draft_message(
            conn,
            story.community,
            member_ids=[story[w] for w in who],
            rule="welcome",
            channel=channel,
            body=body,
            subject=subject,
            due_at=T0,
            key=key or f"welcome:{channel}:{'+'.join(who)}",
            approved=True,
        )
    assert message_id is not None
    return message_id


def deliver(
    engine: Engine, story: Story, delivery: dict[str, Any], *, now: Any = NOW
) -> DeliveryCounts:
    router = make_router(engine, story.community, delivery)
    try:
        return deliver_due(engine, story.community, now=now, router=router)
    finally:
        router.close()


def message(engine: Engine, story: Story, message_id: int) -> OutboxMessage:
    with engine.connect() as conn:
        found = get_message(conn, story.community.id, message_id)
    assert found is not None
    return found
