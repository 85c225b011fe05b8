"""Where each member stands: contributions, inactivity, and lifecycle states. Pure: records and an
instant in, values out (no SQL, no clock).

Definitions (docs/members.md gives the references and the reasons):
- A contribution is a post, a reply or a comment; reactions count only when the community's
  `count_reactions` setting is on.
- Inactive for N days as of T: joined at or before T - N days, not left at T, not a bot, and no
  contribution in the half-open window (T - N days, T]. A contribution at exactly T - N days is outside
  the window; one a microsecond later is inside.
- "T - N days" is the same wall-clock time N calendar days earlier in the community's time zone, so a
  daylight-saving change inside the window never shifts a day (in UTC it is exactly N x 24 hours).
- States as of T, the first that applies: left, newcomer (joined less than `newcomer_days` ago), lurker
  (never contributed), inactive (as above, for the community's N), quiet (a regular whose own rhythm
  dropped), active. Bots have the state `bot` and appear in no list.
- An inactive member either went quiet (contributed, then fell silent: a contribution by T - N days, none
  since) or never contributed (no contribution at all by T): `inactive_kind`. The inactive list gives the
  first before the second, and says how many of each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tending.errors import UsageError
from tending.lib.settings import get_setting
from tending.models import CONTRIBUTION_KINDS, REACTION

NEWCOMER = "newcomer"
LURKER = "lurker"
ACTIVE = "active"
QUIET = "quiet"
INACTIVE = "inactive"
LEFT = "left"
BOT = "bot"
STATES = (NEWCOMER, LURKER, ACTIVE, QUIET, INACTIVE, LEFT)
WENT_QUIET = "went_quiet"
NEVER_CONTRIBUTED = "never_contributed"
INACTIVE_KINDS = (WENT_QUIET, NEVER_CONTRIBUTED)


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    """Thresholds, read from the community's settings (communities.settings) under these names."""

    inactive_days: int = 60
    newcomer_days: int = 30
    quiet_gap_factor: float = 3.0  # silent for more than this many times their usual gap...
    quiet_min_days: int = 14  # ...and at least this many days
    quiet_min_contributions: int = (
        3  # a "regular" has made at least this many contributions (two gaps)
    )
    count_reactions: bool = False
    zone: tzinfo = UTC  # the community's time zone (not a setting: communities.timezone)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], zone: tzinfo = UTC) -> LifecycleSettings:
        return cls(**read_settings(cls, settings), zone=zone)


def read_settings(cls: Any, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the dataclass `cls` found in `settings`, each read through the settings registry
    (tending.lib.settings.get_setting): one clear sentence when wrong."""
    return {
        spec.name: get_setting(settings, spec.name)
        for spec in fields(cls)
        if spec.name in settings and spec.name != "zone"
    }


def days_before(moment: datetime, days: float, zone: tzinfo = UTC) -> datetime:
    """The same wall-clock time `days` calendar days earlier in `zone`, as a UTC instant."""
    # aware datetime arithmetic in Python is wall-clock arithmetic in the datetime's own zone
    return (moment.astimezone(zone) - timedelta(days=days)).astimezone(UTC)


def contribution_kinds(settings: LifecycleSettings) -> frozenset[str]:
    return CONTRIBUTION_KINDS | {REACTION} if settings.count_reactions else CONTRIBUTION_KINDS


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the definitions need about one member, as of one instant T.

    joined_at is the effective join date (the platform's, else the first activity, else when tending first
    saw the member); the contribution fields count only contributions at or before T.
    """

    member_id: int
    joined_at: datetime | None
    left_at: datetime | None
    is_bot: bool
    contributions: int
    first_contribution_at: datetime | None
    last_contribution_at: datetime | None
    do_not_contact: bool = False


def is_member_at(facts: MemberFacts, as_of: datetime) -> bool:
    return facts.joined_at is not None and facts.joined_at <= as_of


def has_left(facts: MemberFacts, as_of: datetime) -> bool:
    return facts.left_at is not None and facts.left_at <= as_of


def is_inactive(facts: MemberFacts, *, as_of: datetime, days: int, zone: tzinfo = UTC) -> bool:
    """No contribution in (as_of - days, as_of], among those who had joined by as_of - days."""
    cutoff = days_before(as_of, days, zone)
    return (
        not facts.is_bot
        and facts.joined_at is not None
        and facts.joined_at <= cutoff
        and not has_left(facts, as_of)
        and (facts.last_contribution_at is None or facts.last_contribution_at <= cutoff)
    )


def inactive_kind(facts: MemberFacts) -> str:
    """Why an inactive member is in the inactive list: they went quiet, or never contributed (as of the
    instant the facts were read at)."""
    return NEVER_CONTRIBUTED if facts.last_contribution_at is None else WENT_QUIET


def usual_gap(facts: MemberFacts) -> timedelta | None:
    """The member's mean interval between contributions: (last - first) / (count - 1)."""
    if (
        facts.contributions < 2
        or facts.first_contribution_at is None
        or facts.last_contribution_at is None
    ):
        return None
    return (facts.last_contribution_at - facts.first_contribution_at) / (facts.contributions - 1)


def silence(facts: MemberFacts, as_of: datetime) -> timedelta | None:
    """Time since the last contribution (None when there never was one)."""
    return None if facts.last_contribution_at is None else as_of - facts.last_contribution_at


def is_quiet(facts: MemberFacts, *, as_of: datetime, settings: LifecycleSettings) -> bool:
    """A regular whose rhythm dropped: silent for more than factor x their usual gap, and min_days or more."""
    gap, silent = usual_gap(facts), silence(facts, as_of)
    if facts.contributions < settings.quiet_min_contributions or gap is None or silent is None:
        return False
    assert facts.last_contribution_at is not None
    return silent > gap * settings.quiet_gap_factor and facts.last_contribution_at <= days_before(
        as_of, settings.quiet_min_days, settings.zone
    )


def state_of(facts: MemberFacts, *, as_of: datetime, settings: LifecycleSettings) -> str | None:
    """The member's state as of `as_of`, or None when they had not joined yet."""
    if facts.is_bot:
        return BOT
    if not is_member_at(facts, as_of):
        return None
    if has_left(facts, as_of):
        return LEFT
    assert facts.joined_at is not None
    if facts.joined_at > days_before(as_of, settings.newcomer_days, settings.zone):
        return NEWCOMER
    if facts.contributions == 0:
        return LURKER
    if is_inactive(facts, as_of=as_of, days=settings.inactive_days, zone=settings.zone):
        return INACTIVE
    if is_quiet(facts, as_of=as_of, settings=settings):
        return QUIET
    return ACTIVE


def check_state(name: str) -> str:
    if name not in STATES:
        raise UsageError(f"--state: '{name}' is not a state (choose from {', '.join(STATES)}).")
    return name
