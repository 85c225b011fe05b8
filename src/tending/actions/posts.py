"""Do-not-contact on public posts: a post that names members (the weekly welcome) is checked again at send
time. A member marked do-not-contact, who left, was merged away or erased is not named: the post is rendered
again without them from the template and context kept at drafting (store/outbox_renders.py), or held when
nobody is left to name, or when the post cannot be rendered again (a hand-written post goes back to drafted
for a human). See docs/privacy.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tending.models import Community
from tending.store import outbox as store
from tending.store import outbox_renders
from tending.store.audit import record_event
from tending.store.onboarding import get_addressees
from tending.store.outbox import DRAFTED, POST, SENDING, OutboxMessage

NOBODY_LEFT = "nobody_left_to_name"


def save_post_render(
    conn: Connection,
    community: Community,
    outbox_id: int,
    *,
    template: str,
    language: str,
    context: dict[str, Any],
) -> None:
    """Keep how a post was rendered, without the people it names (they are read again at send time)."""
    kept = {k: v for k, v in context.items() if k not in ("members", "member", "total")}
    outbox_renders.save_render(
        conn, community.id, outbox_id, template=template, language=language, context=kept
    )


def _templates(community: Community) -> Any:
    from tending.config import data_home
    from tending.lib.settings import get_setting
    from tending.playbooks.render import Templates

    texts = get_setting(community.settings, "onboarding_texts")
    return Templates(data_home() / "templates").with_texts(texts)


def do_recheck_post(
    conn: Connection,
    community: Community,
    message: OutboxMessage,
    *,
    now: datetime,
    templates: Any = None,
) -> OutboxMessage | None:
    """The post as it may go out now (re-rendered without the members who may not be named), or None when it
    was held (skipped, or back to drafted for a human). Call with the row claimed (`sending`)."""
    if message.channel != POST or not message.member_ids:
        return message
    people = get_addressees(conn, community.id, message.member_ids, transport=POST, now=now)
    excluded = [m for m in message.member_ids if m not in people or not people[m].contactable]
    if not excluded:
        return message
    remaining = [m for m in message.member_ids if m not in excluded]
    audit = {"outbox_id": message.id, "left_out": len(excluded), "remaining": len(remaining)}
    if not remaining:
        store.update_message(
            conn,
            community.id,
            message.id,
            expect=(SENDING,),
            status="skipped",
            skip_reason=NOBODY_LEFT,
            updated_at=now,
        )
        record_event(
            conn,
            community.id,
            actor="worker",
            action="outbox.skipped",
            at=now,
            details={**audit, "reason": NOBODY_LEFT},
        )
        return None
    render = outbox_renders.get_render(conn, community.id, message.id)
    if render is None:
        store.update_message(
            conn,
            community.id,
            message.id,
            expect=(SENDING,),
            status=DRAFTED,
            claim_token=None,
            last_error="this post names members who may no longer be named (do-not-contact or "
            "left): edit it, then approve it again",
            updated_at=now,
        )
        record_event(
            conn, community.id, actor="worker", action="outbox.held", at=now, details=audit
        )
        return None
    template, language, context = render
    named = outbox_renders.get_people(conn, community.id, remaining)
    context = {
        **context,
        "members": named,
        "member": named[0] if len(named) == 1 else None,
        "total": len(named),
    }
    subject, body = (templates or _templates(community)).render(template, language, context)
    store.update_message(conn, community.id, message.id, body=body, subject=subject, updated_at=now)
    outbox_renders.remove_recipients(conn, community.id, message.id, excluded)
    record_event(
        conn, community.id, actor="worker", action="outbox.rerendered", at=now, details=audit
    )
    return store.get_message(conn, community.id, message.id)
