"""What the engine reads and returns: member snapshots, parsed rules, occurrences, and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tending.timeutil import isoformat_utc

DEFAULT_MAX_DELAY = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    """One member as the rules see them: identity, dates, rollups, tags, last contact. Read by the store."""

    id: int
    external_id: str
    display_name: str | None
    handle: str | None
    platform: str
    language: str | None
    joined_at: datetime | None
    left_at: datetime | None
    is_staff: bool = False
    is_bot: bool = False
    do_not_contact: bool = False
    merged: bool = False
    tags: frozenset[str] = frozenset()
    first_activity_at: datetime | None = None
    last_activity_at: datetime | None = None
    first_contribution_at: datetime | None = None
    last_contribution_at: datetime | None = None
    contributions: int = 0
    last_contacted_at: datetime | None = None
    # instants the member came back after at least N days away, by N (only for rules that need it)
    returns: dict[int, tuple[datetime, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.display_name or self.handle or self.external_id

    def has_left(self, now: datetime) -> bool:
        return self.left_at is not None and self.left_at <= now

    def contactable(self, now: datetime) -> bool:
        """Whether any rule may concern this member at all: do-not-contact is always honoured, members
        who left get nothing, bots and merged duplicates are not people to write to."""
        return not (self.do_not_contact or self.is_bot or self.merged or self.has_left(now))


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
        return [{"rule": i.rule, "action": i.action, "channel": i.channel, "due_at": isoformat_utc(i.due_at),
                 "members": [self.members[m].external_id for m in i.member_ids], "status": i.status,
                 "reason": i.reason, "key": i.key} for i in self.items]


@dataclass(frozen=True, slots=True)
class Window:
    """Members the store must load for a rule: those whose `field` lies in [lo, hi].

    field is a member date (joined_at, last_activity_at, first_contribution_at), or "returns:N" for
    members who came back after N days away within [lo, hi].
    """

    field: str
    lo: datetime
    hi: datetime


@dataclass(frozen=True, slots=True)
class TriggerContext:
    members: tuple[MemberSnapshot, ...]
    start: datetime  # occurrences due in [start, end] are considered
    end: datetime
    zone: Any  # the community's time zone (ZoneInfo)
