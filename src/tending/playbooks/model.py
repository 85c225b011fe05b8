"""What the engine reads and returns: member snapshots, parsed rules, occurrences, and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tending.models import (
    MemberSnapshot as MemberSnapshot,
)  # read by the store, so defined below it
from tending.models import Window as Window
from tending.timeutil import isoformat_utc

DEFAULT_MAX_DELAY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    trigger: str
    trigger_params: dict[str, Any]
    conditions: tuple[tuple[str, Any], ...]
    actions: tuple[ActionSpec, ...]
    max_delay: timedelta = DEFAULT_MAX_DELAY
    holdout: float = 0.0
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    rules: tuple[Rule, ...]
    links: tuple[dict[str, str], ...] = ()
    source: str = ""

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One moment a rule comes due: for one member, or for a batch (a weekly post naming many)."""

    label: str
    due_at: datetime
    member_ids: tuple[int, ...]
    batch: bool = False
    context: dict[str, Any] = field(default_factory=dict)


CREATE = "create"
SKIP = "skip"


@dataclass(frozen=True, slots=True)
class PlanItem:
    rule: str
    action: str
    key: str
    due_at: datetime
    member_ids: tuple[int, ...]
    channel: str | None = None
    status: str = CREATE  # create, or skip (recorded as skipped: too_late, holdout)
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    now: datetime
    items: list[PlanItem]
    members: dict[int, MemberSnapshot]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "rule": i.rule,
                "action": i.action,
                "channel": i.channel,
                "due_at": isoformat_utc(i.due_at),
                "members": [self.members[m].external_id for m in i.member_ids],
                "status": i.status,
                "reason": i.reason,
                "key": i.key,
            }
            for i in self.items
        ]


@dataclass(frozen=True, slots=True)
class TriggerContext:
    members: tuple[MemberSnapshot, ...]
    start: datetime  # occurrences due in [start, end] are considered
    end: datetime
    zone: Any  # the community's time zone (ZoneInfo)
