"""Evaluating a playbook: pure. Member snapshots, the keys already in the outbox and an instant in; a plan
out. Nothing here reads the database or the clock.

For each rule: the members concerned (contactable, every condition holding at `now`), the trigger's
occurrences due in the rule's window, then each action's plan items. An item whose key is already in the
outbox is left out (it was created, or recorded as skipped, before); one due longer ago than the rule's
max delay is planned as skipped (too_late); a member in the rule's holdout is planned as skipped (holdout).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from tending.playbooks.model import (
    SKIP,
    MemberSnapshot,
    Occurrence,
    Plan,
    PlanItem,
    Playbook,
    Rule,
    TriggerContext,
    Window,
)
from tending.playbooks.parse import ACTIONS, CONDITIONS, TRIGGERS

# Re-evaluate a little before the last run, so data imported late (within the max delay) is still seen.
OVERLAP = timedelta(days=1)


def rule_start(
    rule: Rule, *, since: datetime, last_run_at: datetime | None, now: datetime
) -> datetime:
    """The oldest due instant a run considers for `rule`: the playbook's start, or — once it has run —
    the last run minus the rule's max delay (so occurrences that came due during downtime are still seen,
    created or recorded as skipped, and the work per run stays bounded)."""
    if last_run_at is None:
        return since
    return max(since, min(last_run_at, now) - rule.max_delay - OVERLAP)


def windows(
    playbook: Playbook, *, since: datetime, last_run_at: datetime | None, now: datetime
) -> list[Window]:
    """Which members the store must load to evaluate `playbook` at `now`."""
    found: list[Window] = []
    for rule in playbook.rules:
        start = rule_start(rule, since=since, last_run_at=last_run_at, now=now)
        found.extend(
            TRIGGERS.entries[rule.trigger].extra["windows"](rule.trigger_params, start, now)
        )
    return found


def in_holdout(rule_name: str, member_id: int, fraction: float) -> bool:
    """Deterministic: the same member is held out of the same rule on every run and every machine."""
    if fraction <= 0:
        return False
    digest = hashlib.sha256(f"{rule_name}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def eligible(
    rule: Rule, members: Iterable[MemberSnapshot], now: datetime
) -> tuple[MemberSnapshot, ...]:
    return tuple(
        m
        for m in members
        if m.contactable(now)
        and all(CONDITIONS.entries[name].function(value, m, now) for name, value in rule.conditions)
    )


def occurrences(
    rule: Rule, members: Sequence[MemberSnapshot], *, start: datetime, now: datetime, zone: Any
) -> list[Occurrence]:
    ctx = TriggerContext(members=tuple(members), start=start, end=now, zone=zone)
    return TRIGGERS.entries[rule.trigger].function(rule.trigger_params, ctx)


def _items(rule: Rule, occurrence: Occurrence, now: datetime) -> list[PlanItem]:
    items: list[PlanItem] = []
    late = now - occurrence.due_at > rule.max_delay
    held = not occurrence.batch and in_holdout(rule.name, occurrence.member_ids[0], rule.holdout)
    for action in rule.actions:
        entry = ACTIONS.entries[action.name]
        for item in entry.function(action.params, rule, occurrence):
            if late:
                item = replace(item, status=SKIP, reason="too_late")
            elif held and entry.extra.get("holdout_applies"):
                item = replace(item, status=SKIP, reason="holdout")
            elif held:
                continue  # a held-out member gets nothing at all from the rule, only the record
            items.append(item)
    return items


def evaluate(
    playbook: Playbook,
    *,
    members: Sequence[MemberSnapshot],
    now: datetime,
    since: datetime,
    last_run_at: datetime | None = None,
    existing_keys: set[str] | frozenset[str] = frozenset(),
    zone: Any,
) -> Plan:
    """What applying `playbook` at `now` would do, given what the outbox already holds."""
    items: list[PlanItem] = []
    for rule in playbook.rules:
        start = rule_start(rule, since=since, last_run_at=last_run_at, now=now)
        concerned = eligible(rule, members, now)
        for occurrence in occurrences(rule, concerned, start=start, now=now, zone=zone):
            if occurrence.batch and _batch_done(rule, occurrence, existing_keys):
                continue
            items.extend(i for i in _items(rule, occurrence, now) if i.key not in existing_keys)
    items.sort(key=lambda i: (i.due_at, i.rule, i.key))
    involved = {m for item in items for m in item.member_ids}
    return Plan(now=now, items=items, members={m.id: m for m in members if m.id in involved})


def _batch_done(rule: Rule, occurrence: Occurrence, existing: set[str] | frozenset[str]) -> bool:
    """A weekly post is composed once: if any part of that week exists, late joiners do not reshuffle it."""
    week = occurrence.label.split(":")[0]
    return any(key.startswith(f"{rule.name}:{week}:") for key in existing)
