"""Check-ins: the prioritised private list, and acting on an entry (drafting a private message).

The private message goes through the outbox: do_checkin calls

    do_draft_message(conn, community, member_ids=[member_id], rule="checkin", channel="private",
                     body=<text>, due_at=now, key=f"checkin:{member_id}:{local date}")

(plus actor= and language=) inside the caller's transaction and keeps the outbox row's id, as text, in
checkins.message_ref, or the key itself when the outbox already held a message with that key (it then
returns None). The key makes a second check-in on the same member on the same day a no-op in the outbox.
checkins.draft_text holds the text of check-ins drafted before the outbox existed. The check-in row exists
from the moment of drafting, so the 90-day cooldown holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tending.actions.outbox import do_draft_message
from tending.errors import TendingError
from tending.lib import checkins as lib
from tending.lib.lifecycle import LifecycleSettings, days_before, has_left
from tending.models import Community, Member
from tending.store import checkins as store
from tending.store import members as member_store
from tending.store import moderation as moderation_store
from tending.store.audit import record_event
from tending.store.checkins import Checkin as Checkin
from tending.store.checkins import get_checkins as get_checkins  # re-exported for the shells
from tending.store.dashboard import get_do_not_contact_ids, get_member_names
from tending.store.outbox import OutboxMessage, get_message, get_message_by_key
from tending.timeutil import get_zone


@dataclass(slots=True)
class CheckinLine:
    entry: lib.CheckinEntry
    member: Member


def get_checkin_settings(community: Community) -> lib.CheckinSettings:
    return lib.CheckinSettings.from_settings(community.settings)


def get_checkin_list(
    conn: Connection, community: Community, *, as_of: datetime
) -> list[CheckinLine]:
    """Who to check in on privately as of `as_of`, most urgent first, each with the reasons."""
    from tending.actions.members import get_lifecycle_settings

    lifecycle = get_lifecycle_settings(community)
    settings = get_checkin_settings(community)
    zone = lifecycle.zone
    contacted = store.get_recently_contacted(
        conn, community.id, since=days_before(as_of, settings.checkin_cooldown_days, zone)
    )
    unanswered = member_store.get_unanswered_last_posts(
        conn,
        community.id,
        as_of=as_of,
        since=days_before(as_of, settings.checkin_lookback_days, zone),
        lifecycle=lifecycle,
    )
    pairs = list(
        member_store.iter_member_facts(
            conn,
            community.id,
            as_of=as_of,
            lifecycle=lifecycle,
            last_between=lib.candidate_range(as_of, zone, settings, lifecycle),
        )
    )
    members = {facts.member_id: member for member, facts in pairs}
    entries = lib.get_checkin_list(
        [facts for _, facts in pairs],
        as_of=as_of,
        zone=zone,
        lifecycle=lifecycle,
        settings=settings,
        recently_contacted=contacted,
        unanswered=unanswered,
        spam_accounts=_spam_accounts(conn, community),
    )
    return [CheckinLine(entry, members[entry.member_id]) for entry in entries]


def _spam_accounts(conn: Connection, community: Community) -> set[int]:
    """Members with open spam findings in the moderation queue: never proposed for a friendly check-in."""
    return moderation_store.get_members_with_open_findings(conn, community.id, signal="spam")


def do_checkin(
    conn: Connection,
    community: Community,
    member_id: int,
    *,
    actor: str,
    now: datetime,
    message: str | None = None,
) -> store.Checkin:
    """Record a check-in on one member and draft the private message (see the module's contract).

    Refused, with one sentence, for bots, members who left, members marked do-not-contact, and anyone with a
    check-in in the cooldown (default 90 days)."""
    from tending.actions.members import get_lifecycle_settings

    member = member_store.get_member(conn, community.id, member_id)
    if member is None or member.merged_into is not None:
        raise TendingError(
            f"no member #{member_id} to check in on in community '{community.name}'."
        )
    settings = get_checkin_settings(community)
    lifecycle = get_lifecycle_settings(community)
    ((_, facts),) = member_store.iter_member_facts(
        conn, community.id, as_of=now, lifecycle=lifecycle, member_ids=[member_id]
    )
    _check_contactable(
        conn, community, member, facts, now=now, settings=settings, lifecycle=lifecycle
    )
    unanswered = member_store.get_unanswered_last_posts(
        conn,
        community.id,
        as_of=now,
        since=days_before(now, settings.checkin_lookback_days, lifecycle.zone),
        lifecycle=lifecycle,
    )
    reasons = lib.get_reasons(
        facts,
        as_of=now,
        zone=lifecycle.zone,
        lifecycle=lifecycle,
        settings=settings,
        unanswered_post_at=unanswered.get(member_id),
    )
    reasons.sort(key=lambda r: lib.RANK[r.code])
    reason = reasons[0].code if reasons else "manual"
    language = member.language or community.language
    body = (
        message
        if message is not None
        else lib.draft_message(reason, name=member.display_name or member.handle, language=language)
    )
    checkin_id = store.insert_checkin(
        conn,
        community.id,
        member_id,
        reason=reason,
        details={"reasons": [{"code": r.code, **r.details} for r in reasons]},
        drafted_at=now,
        actor=actor,
    )
    local_day = now.astimezone(get_zone(community.timezone)).date().isoformat()
    key = f"checkin:{member_id}:{local_day}"
    ref = do_draft_message(
        conn,
        community,
        member_ids=[member_id],
        rule="checkin",
        channel="private",
        body=body,
        due_at=now,
        key=key,
        actor=actor,
        language=language,
    )
    # the outbox returns its row's id, or None when a message with this key already exists: name it by key
    ref_text = key if ref is None else str(ref)
    store.set_checkin_message(conn, community.id, checkin_id, message_ref=ref_text, draft_text=None)
    record_event(
        conn,
        community.id,
        actor=actor,
        action="checkin.drafted",
        member_id=member_id,
        details={"checkin": checkin_id, "reason": reason, "outbox": True},
        at=now,
    )
    found = store.get_checkin(conn, community.id, checkin_id)
    assert found is not None
    return found


def _check_contactable(
    conn: Connection,
    community: Community,
    member: Member,
    facts: Any,
    *,
    now: datetime,
    settings: lib.CheckinSettings,
    lifecycle: LifecycleSettings,
) -> None:
    who = f"member #{member.id}"
    if member.do_not_contact:
        raise TendingError(f"{who} is marked do-not-contact: no check-in drafted.")
    if member.is_bot:
        raise TendingError(f"{who} is a bot: no check-in drafted.")
    if has_left(facts, now):
        raise TendingError(f"{who} has left the community: no check-in drafted.")
    since = days_before(now, settings.checkin_cooldown_days, lifecycle.zone)
    if member.id in store.get_recently_contacted(conn, community.id, since=since):
        raise TendingError(
            f"{who} already had a check-in in the last {settings.checkin_cooldown_days} days: "
            "no new one drafted."
        )


def do_settle_outcomes(
    conn: Connection, community: Community, *, now: datetime, actor: str = "system"
) -> int:
    """Write the outcome of every check-in that has one (see store.checkins.do_settle_checkin_outcomes)."""
    settled = store.do_settle_checkin_outcomes(
        conn,
        community.id,
        now=now,
        outcome_days=get_checkin_settings(community).checkin_outcome_days,
    )
    if settled:
        record_event(
            conn,
            community.id,
            actor=actor,
            action="checkin.outcomes_settled",
            details={"settled": settled},
            at=now,
        )
    return settled


def drop_contacted_since(
    conn: Connection, community: Community, lines: list[CheckinLine], *, now: datetime
) -> list[CheckinLine]:
    """The cached queue without the members checked in on since, or marked do-not-contact since (the same
    exclusions as tending.lib.checkins, read fresh)."""
    settings = get_checkin_settings(community)
    since = days_before(now, settings.checkin_cooldown_days, get_zone(community.timezone))
    excluded = store.get_recently_contacted(conn, community.id, since=since)
    excluded |= get_do_not_contact_ids(conn, community.id)
    return [line for line in lines if line.entry.member_id not in excluded]


@dataclass(frozen=True, slots=True)
class DraftedCheckin:
    """A drafted check-in with its outbox message (None once gone) and the member's name."""

    checkin: Checkin
    message: OutboxMessage | None
    name: str


def get_drafted_checkins(
    conn: Connection, community: Community, *, limit: int = 50
) -> list[DraftedCheckin]:
    found = []
    checkins = store.get_checkins(conn, community.id, limit=limit)
    names = get_member_names(conn, community.id, sorted({c.member_id for c in checkins}))
    for c in checkins:
        ref = c.message_ref or ""
        message = (
            get_message(conn, community.id, int(ref))
            if ref.isdigit()
            else get_message_by_key(conn, community.id, ref)
            if ref
            else None
        )
        found.append(DraftedCheckin(c, message, names.get(c.member_id, f"#{c.member_id}")))
    return found
