"""The two operations that send: one tick (evaluate each community's playbook, then deliver what is
approved and due) and "send now" (one approved message, before it is due). `tending run`, `tending
worker`, `tending outbox send` and the web's Send now button all call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tending.actions.delivery import DeliveryCounts, deliver_due, deliver_one, make_router
from tending.actions.onboarding import do_run_playbook
from tending.actions.outbox import claim_one, do_approve
from tending.actions.playbook_apply import ApplyCounts
from tending.actions.rights import RetentionResult, do_nightly_retention
from tending.actions.webhooks import (
    WebhookCounts,
    do_enqueue_webhook_events,
    do_send_webhooks,
    get_webhooks,
)
from tending.models import Community
from tending.playbooks.render import Templates
from tending.store.outbox import DRAFTED, OutboxMessage, get_enabled_playbook, get_message
from tending.timeutil import isoformat_utc, utcnow


@dataclass
class TickSummary:
    """What one tick did in one community; `drafted` is None when no playbook is enabled there."""

    community: str
    now: datetime
    drafted: ApplyCounts | None
    delivered: DeliveryCounts
    webhooks: WebhookCounts | None = None  # None: the community has no webhook
    retention: RetentionResult | None = None  # None: not the nightly pass, or no retention set

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"community": self.community, "now": isoformat_utc(self.now)}
        if self.drafted is not None:
            data["drafted"] = self.drafted.as_dict()
        data["delivered"] = self.delivered.as_dict()
        if self.webhooks is not None:
            data["webhooks"] = self.webhooks.as_dict()
        if self.retention is not None:
            data["retention"] = {
                "texts": self.retention.texts,
                "message_bodies": self.retention.message_bodies,
            }
        return data


def do_tick(
    engine: Engine,
    communities: list[Community],
    *,
    now: datetime | None,
    delivery_settings: dict[str, object],
    templates_dir: Path | None,
) -> list[TickSummary]:
    """Evaluate each community's playbook, then deliver what is approved and due. One summary each."""
    summaries = []
    for community in communities:
        moment = now or utcnow()
        drafted = None
        with engine.begin() as conn:
            if get_enabled_playbook(conn, community.id) is not None:
                drafted = do_run_playbook(
                    conn, community, now=moment, templates=Templates(templates_dir)
                ).counts
        router = make_router(engine, community, delivery_settings)
        try:
            delivered = deliver_due(engine, community, now=moment, router=router)
        finally:
            router.close()
        summaries.append(
            TickSummary(
                community=community.name,
                now=moment,
                drafted=drafted,
                delivered=delivered,
                webhooks=_webhooks(engine, community, moment),
                retention=_nightly_retention(engine, community, moment),
            )
        )
    return summaries


def _nightly_retention(
    engine: Engine, community: Community, moment: datetime
) -> RetentionResult | None:
    """Once a day per community, remove the message texts older than retention.text_days (docs/privacy.md)."""
    done = do_nightly_retention(engine, community, now=moment)
    return done if done is not None and done.days is not None else None


def _webhooks(engine: Engine, community: Community, moment: datetime) -> WebhookCounts | None:
    """Turn the community's new events into webhook deliveries and send what is due (None: no webhook)."""
    with engine.begin() as conn:
        if not get_webhooks(conn, community):
            return None
        do_enqueue_webhook_events(conn, community, now=moment)
    return do_send_webhooks(engine, community, now=moment)


def do_send_now(
    engine: Engine,
    community: Community,
    message_id: int,
    *,
    now: datetime,
    delivery_settings: dict[str, object],
    actor: str,
    approve_first: bool = False,
) -> OutboxMessage:
    """Claim one approved message (approving a draft first if asked), deliver it through the configured
    transports and return it as recorded: sent, or retrying/failed with its error. A message that is not
    approved raises UsageError and nothing changes."""
    with engine.begin() as conn:
        found = get_message(conn, community.id, message_id)
        if found is not None and found.status == DRAFTED and approve_first:
            do_approve(conn, community, message_id, actor=actor)
        message = claim_one(conn, community, message_id, now=now)
    router = make_router(engine, community, delivery_settings)
    try:
        deliver_one(engine, community, message, now=now, router=router, counts=DeliveryCounts())
    finally:
        router.close()
    with engine.connect() as conn:
        after = get_message(conn, community.id, message_id)
    assert after is not None  # claimed above, and a message is never deleted
    return after
