"""Conditions: a rule acts on a member only when every condition holds, evaluated at the run's instant.

A member's state is the members capability's (tending.lib.lifecycle, docs/members.md): the run computes it
with the community's settings and time zone (tending.actions.onboarding.get_plan), so `state: inactive` in
a rule means what `tending members --state inactive` means. A snapshot built without it (a pure use of the
engine) gets the same definition with the default settings, in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tending.lib.lifecycle import STATES, LifecycleSettings, MemberFacts, state_of
from tending.playbooks.model import MemberSnapshot
from tending.playbooks.registry import CONDITIONS, Field

SEGMENTS = ("staff", "contributors", "lurkers")
DEFAULT_LIFECYCLE = LifecycleSettings()


def member_facts(member: MemberSnapshot) -> MemberFacts:
    """What the lifecycle definitions read, from a snapshot (its contributions are the rollups')."""
    return MemberFacts(
        member_id=member.id,
        joined_at=member.joined_at or member.first_seen_at,
        left_at=member.left_at,
        is_bot=member.is_bot,
        contributions=member.contributions,
        first_contribution_at=member.first_contribution_at,
        last_contribution_at=member.last_contribution_at,
        do_not_contact=member.do_not_contact,
    )


def member_state(member: MemberSnapshot, now: datetime) -> str | None:
    """The member's lifecycle state as of `now`: newcomer, lurker, active, quiet, inactive, left (or bot)."""
    if member.state is not None:
        return member.state or None
    return state_of(member_facts(member), as_of=now, settings=DEFAULT_LIFECYCLE)


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
    """The member's state is one of these (newcomer, lurker, active, quiet, inactive, left)."""
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
        if (tag.startswith("!") and tag[1:] in member.tags) or (
            not tag.startswith("!") and tag not in member.tags
        ):
            return False
    return True


@CONDITIONS.register("has_contributed", Field("value", bool, required=True))
def has_contributed(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """Whether the member has made at least one post, reply or comment."""
    return (member.contributions > 0) == value


@CONDITIONS.register("not_contacted_within", Field("value", int, required=True))
def not_contacted_within(value: Any, member: MemberSnapshot, now: datetime) -> bool:
    """No private message or e-mail was sent to the member in the last N days."""
    return member.last_contacted_at is None or member.last_contacted_at <= now - timedelta(
        days=value
    )
