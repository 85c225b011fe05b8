"""Conditions: a rule acts on a member only when every condition holds, evaluated at the run's instant.

Member states and segments here are a minimal local computation (see docs/onboarding.md); they follow the
names of tending.lib.lifecycle so the two can be unified.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tending.playbooks.model import MemberSnapshot
from tending.playbooks.registry import CONDITIONS, Field

NEWCOMER_DAYS = 30
INACTIVE_DAYS = 60
STATES = ("newcomer", "lurker", "active", "inactive", "left")
SEGMENTS = ("staff", "contributors", "lurkers")


def member_state(member: MemberSnapshot, now: datetime) -> str:
    """left; newcomer (joined less than 30 days ago); lurker (never contributed); inactive (no
    contribution in the last 60 days); else active."""
    if member.has_left(now):
        return "left"
    if member.joined_at is not None and now - member.joined_at < timedelta(days=NEWCOMER_DAYS):
        return "newcomer"
    if member.contributions == 0:
        return "lurker"
    if member.last_contribution_at is None or member.last_contribution_at <= now - timedelta(days=INACTIVE_DAYS):
        return "inactive"
    return "active"


def member_segment(member: MemberSnapshot) -> str:
    if member.is_staff:
        return "staff"
    return "contributors" if member.contributions > 0 else "lurkers"


def _one_of(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def base_language(language: str | None) -> str | None:
    return language.split("-")[0].split("_")[0].lower() if language else None


@CONDITIONS.register("state", Field("value", (str, list), required=True, choices=STATES))
def state(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """The member's state is one of these (newcomer, lurker, active, inactive, left)."""
    return member_state(member, now) in _one_of(value)


@CONDITIONS.register("segment", Field("value", (str, list), required=True, choices=SEGMENTS))
def segment(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """The member's segment is one of these (staff, contributors, lurkers)."""
    return member_segment(member) in _one_of(value)


@CONDITIONS.register("language", Field("value", (str, list), required=True))
def language(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """The member's language (its base: fr-CA counts as fr) is one of these."""
    return base_language(member.language) in {base_language(v) for v in _one_of(value)}


@CONDITIONS.register("platform", Field("value", (str, list), required=True))
def platform(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """The member came from one of these platforms."""
    return member.platform in _one_of(value)


@CONDITIONS.register("tags", Field("value", (str, list), required=True))
def tags(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """The member has every one of these tags; a tag written "!name" must be absent."""
    for tag in _one_of(value):
        if (tag.startswith("!") and tag[1:] in member.tags) or (not tag.startswith("!") and tag not in member.tags):
            return False
    return True


@CONDITIONS.register("has_contributed", Field("value", bool, required=True))
def has_contributed(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """Whether the member has made at least one post, reply or comment."""
    return (member.contributions > 0) == value


@CONDITIONS.register("not_contacted_within", Field("value", int, required=True))
def not_contacted_within(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """No private message or e-mail was sent to the member in the last N days."""
    return member.last_contacted_at is None or member.last_contacted_at <= now - timedelta(days=value)
