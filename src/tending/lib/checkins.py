"""Who to check in on, privately, and why. Pure: member facts and an instant in, a prioritised list out.

Reasons, most urgent first:
1. newcomer_silent: joined within the critical first months (`checkin_newcomer_months`, default 6,
   counted in calendar months in the community's time zone), contributed at least once, then nothing for
   `checkin_silence_days` (default 14) days or more.
2. unanswered: their last contribution started a thread, at least `checkin_unanswered_days` (default 7)
   days ago, and nobody else (no bot) has contributed to that thread since.
3. rhythm_dropped: a regular whose rhythm dropped (the `quiet` test of tending.lib.lifecycle).
Reasons 2 and 3 only look back `checkin_lookback_days` (default 365): after a year, a check-in is no longer
a check-in. Never listed: bots, members who left, members marked do-not-contact, anyone with a
check-in in the last `checkin_cooldown_days` (default 90) days, and accounts with open spam findings in
the moderation queue (a spam burst that stopped is not a regular gone quiet).

Within a reason, the member with the most reasons comes first, then the shortest silence (the most
recent silence is the easiest to mend), then the member id, so the order is stable.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tending.lib.lifecycle import (
    LifecycleSettings,
    MemberFacts,
    days_before,
    has_left,
    is_member_at,
    is_quiet,
    read_settings,
)

NEWCOMER_SILENT = "newcomer_silent"
UNANSWERED = "unanswered"
RHYTHM_DROPPED = "rhythm_dropped"
REASONS = (NEWCOMER_SILENT, UNANSWERED, RHYTHM_DROPPED)
RANK = {code: rank for rank, code in enumerate(REASONS)}


@dataclass(frozen=True, slots=True)
class CheckinSettings:
    checkin_newcomer_months: int = 6
    checkin_silence_days: int = 14
    checkin_unanswered_days: int = 7
    checkin_lookback_days: int = 365
    checkin_cooldown_days: int = 90
    checkin_outcome_days: int = 30

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CheckinSettings:
        return cls(**read_settings(cls, settings))


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckinEntry:
    member_id: int
    reasons: tuple[Reason, ...]
    silent_days: float | None

    @property
    def reason(self) -> str:
        return self.reasons[0].code


def months_before(moment: datetime, months: int, zone: tzinfo) -> datetime:
    """The same local wall-clock time `months` calendar months earlier (the day clamped to the month's end)."""
    local = moment.astimezone(zone)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).astimezone(UTC)


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86_400, 2)


def get_reasons(
    facts: MemberFacts,
    *,
    as_of: datetime,
    zone: tzinfo,
    lifecycle: LifecycleSettings,
    settings: CheckinSettings,
    unanswered_post_at: datetime | None = None,
) -> list[Reason]:
    """Every reason to check in on this member as of `as_of` (exclusions are not applied here)."""
    if facts.last_contribution_at is None or facts.joined_at is None:
        return []
    last = facts.last_contribution_at
    silent = as_of - last
    recent_enough = last >= days_before(as_of, settings.checkin_lookback_days, zone)
    reasons = []
    critical_since = months_before(as_of, settings.checkin_newcomer_months, zone)
    if facts.joined_at > critical_since and last <= days_before(
        as_of, settings.checkin_silence_days, zone
    ):
        reasons.append(
            Reason(
                NEWCOMER_SILENT,
                {"joined_days_ago": _days(as_of - facts.joined_at), "silent_days": _days(silent)},
            )
        )
    if (
        unanswered_post_at is not None
        and unanswered_post_at == last
        and recent_enough
        and (last <= days_before(as_of, settings.checkin_unanswered_days, zone))
    ):
        reasons.append(Reason(UNANSWERED, {"posted_days_ago": _days(silent)}))
    if recent_enough and is_quiet(facts, as_of=as_of, settings=lifecycle):
        gap = facts.last_contribution_at - facts.first_contribution_at  # type: ignore[operator]
        reasons.append(
            Reason(
                RHYTHM_DROPPED,
                {
                    "silent_days": _days(silent),
                    "usual_gap_days": _days(gap / (facts.contributions - 1)),
                    "contributions": facts.contributions,
                },
            )
        )
    return reasons


def candidate_range(
    as_of: datetime, zone: tzinfo, settings: CheckinSettings, lifecycle: LifecycleSettings
) -> tuple[datetime, datetime]:
    """Every reason needs a latest contribution in this range (a hint that lets the store read fewer members)."""
    oldest = min(
        days_before(as_of, settings.checkin_lookback_days, zone),
        months_before(as_of, settings.checkin_newcomer_months, zone),
    )
    newest = days_before(
        as_of,
        min(
            settings.checkin_silence_days,
            settings.checkin_unanswered_days,
            lifecycle.quiet_min_days,
        ),
        zone,
    )
    return oldest, newest


def is_excluded(
    facts: MemberFacts, *, as_of: datetime, recently_contacted: Collection[int]
) -> bool:
    return (
        facts.is_bot
        or facts.do_not_contact
        or not is_member_at(facts, as_of)
        or has_left(facts, as_of)
        or facts.member_id in recently_contacted
    )


def prioritise(entries: list[CheckinEntry]) -> list[CheckinEntry]:
    def key(entry: CheckinEntry) -> tuple[int, int, float, int]:
        best = min(RANK[r.code] for r in entry.reasons)
        silent = entry.silent_days if entry.silent_days is not None else float("inf")
        return best, -len(entry.reasons), silent, entry.member_id

    return sorted(entries, key=key)


def get_checkin_list(
    facts: list[MemberFacts],
    *,
    as_of: datetime,
    zone: tzinfo,
    lifecycle: LifecycleSettings,
    settings: CheckinSettings,
    recently_contacted: Collection[int],
    unanswered: Mapping[int, datetime] | None = None,
    spam_accounts: Collection[int] = (),
) -> list[CheckinEntry]:
    """The prioritised check-in list. `unanswered`: member id -> instant of their unanswered thread start;
    `spam_accounts`: members with open spam findings, never proposed."""
    entries = []
    for member in facts:
        if (
            is_excluded(member, as_of=as_of, recently_contacted=recently_contacted)
            or member.member_id in spam_accounts
        ):
            continue
        reasons = get_reasons(
            member,
            as_of=as_of,
            zone=zone,
            lifecycle=lifecycle,
            settings=settings,
            unanswered_post_at=(unanswered or {}).get(member.member_id),
        )
        if reasons:
            reasons.sort(key=lambda r: RANK[r.code])
            assert member.last_contribution_at is not None
            entries.append(
                CheckinEntry(
                    member.member_id, tuple(reasons), _days(as_of - member.last_contribution_at)
                )
            )
    return prioritise(entries)


# -- words -------------------------------------------------------------------------------------------------

REASON_TEXT = {
    "en": {
        NEWCOMER_SILENT: "joined {joined_days_ago:.0f} days ago, silent for {silent_days:.0f} days",
        UNANSWERED: "their thread from {posted_days_ago:.0f} days ago got no answer",
        RHYTHM_DROPPED: "usually every {usual_gap_days:.0f} days, silent for {silent_days:.0f} days",
        RHYTHM_DROPPED + ":daily": "usually several times a day, silent for {silent_days:.0f} days",
        RHYTHM_DROPPED + ":day": "usually every day, silent for {silent_days:.0f} days",
        # after a reason that already said how long the member has been silent
        RHYTHM_DROPPED + ":again": "usually every {usual_gap_days:.0f} days",
        RHYTHM_DROPPED + ":daily:again": "usually several times a day",
        RHYTHM_DROPPED + ":day:again": "usually every day",
    },
    "fr": {
        NEWCOMER_SILENT: "arrivé·e il y a {joined_days_ago:.0f} jours, silencieux·se depuis {silent_days:.0f} jours",
        UNANSWERED: "son sujet d'il y a {posted_days_ago:.0f} jours n'a pas eu de réponse",
        RHYTHM_DROPPED: "d'habitude tous les {usual_gap_days:.0f} jours, silencieux·se depuis {silent_days:.0f} jours",
        RHYTHM_DROPPED
        + ":daily": "d'habitude plusieurs fois par jour, silencieux·se depuis {silent_days:.0f} jours",
        RHYTHM_DROPPED
        + ":day": "d'habitude tous les jours, silencieux·se depuis {silent_days:.0f} jours",
        RHYTHM_DROPPED + ":again": "d'habitude tous les {usual_gap_days:.0f} jours",
        RHYTHM_DROPPED + ":daily:again": "d'habitude plusieurs fois par jour",
        RHYTHM_DROPPED + ":day:again": "d'habitude tous les jours",
    },
}

MESSAGES = {
    "en": {
        NEWCOMER_SILENT: "Hi {name}, it was good to see you join us. We haven't heard from you in a little "
        "while and wanted to check in: how are things going? No need to reply if you'd "
        "rather not.",
        UNANSWERED: "Hi {name}, I noticed nobody has answered your thread yet, sorry about that. "
        "Is it still useful? I'll make sure it gets seen.",
        RHYTHM_DROPPED: "Hi {name}, we've missed you around here lately. Just checking in: how are you "
        "doing? No need to reply if you'd rather not.",
    },
    "fr": {
        NEWCOMER_SILENT: "Bonjour {name}, ça nous a fait plaisir de vous voir arriver. Nous n'avons pas eu "
        "de nouvelles depuis quelque temps et voulions prendre des nouvelles : comment "
        "ça va ? Aucune obligation de répondre.",
        UNANSWERED: "Bonjour {name}, je vois que personne n'a encore répondu à votre sujet, désolé. "
        "Est-ce toujours d'actualité ? Je vais veiller à ce qu'il soit vu.",
        RHYTHM_DROPPED: "Bonjour {name}, vous nous avez manqué ces derniers temps. Juste un petit mot "
        "pour prendre des nouvelles : comment allez-vous ? Aucune obligation de répondre.",
    },
}


def describe(reason: Reason, language: str = "en", *, silence_said: bool = False) -> str:
    """One reason in words. silence_said: an earlier reason of the same member already said how long they
    have been silent, so this one does not repeat it."""
    texts = REASON_TEXT.get(language, REASON_TEXT["en"])
    code = reason.code
    if code == RHYTHM_DROPPED:
        gap = float(reason.details.get("usual_gap_days", 1))
        if gap < 0.5:
            code += ":daily"  # "every 0 days" reads as a bug to a person
        elif gap < 1.5:
            code += ":day"  # and "every 1 days" as a typo
        if silence_said:
            code += ":again"
    try:
        return texts[code].format(**reason.details)
    except (KeyError, ValueError):
        return reason.code


def describe_reasons(reasons: Iterable[Reason], language: str = "en") -> list[str]:
    """A member's reasons in words, in their order, the silence said once."""
    words: list[str] = []
    said = False
    for reason in reasons:
        words.append(describe(reason, language, silence_said=said))
        said = said or "silent_days" in reason.details
    return words


def draft_message(reason: str, *, name: str | None, language: str = "en") -> str:
    """The private message a check-in drafts; a moderator reads and edits it before it goes out."""
    messages = MESSAGES.get(language, MESSAGES["en"])
    fallback = "there" if language != "fr" else ""
    return (
        messages.get(reason, messages[RHYTHM_DROPPED])
        .format(name=name or fallback)
        .replace(" ,", ",")
    )
