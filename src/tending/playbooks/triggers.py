"""Triggers: when a rule comes due. Each returns the occurrences due in [start, end] among the members it
is given, and declares (windows) which members the store must load for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from tending.playbooks.model import MemberSnapshot, Occurrence, TriggerContext, Window
from tending.playbooks.registry import TRIGGERS, Field
from tending.timeutil import ensure_utc

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKLY_BATCH = 100  # names per weekly post
SLACK = timedelta(days=1)
MORNING = "10:00"  # the local hour a delay in days or an anniversary comes due (docs/onboarding.md)


def _in(ctx: TriggerContext, due: datetime) -> bool:
    return ctx.start <= due <= ctx.end


def _joined_label(member: MemberSnapshot) -> str:
    assert member.joined_at is not None
    return f"joined-{member.joined_at.date().isoformat()}"


def _each(ctx: TriggerContext, due_of: Any, label_of: Any) -> list[Occurrence]:
    found = []
    for member in ctx.members:
        due = due_of(member)
        if due is not None and _in(ctx, due):
            found.append(Occurrence(label=label_of(member), due_at=due, member_ids=(member.id,)))
    return found


def _joined_window(offset: Callable[[dict[str, Any]], timedelta]) -> Any:
    def windows(params: dict[str, Any], start: datetime, end: datetime) -> list[Window]:
        return [Window("joined_at", start - offset(params) - SLACK, end - offset(params) + SLACK)]

    return windows


@TRIGGERS.register("member_joined", windows=_joined_window(lambda p: timedelta(0)))
def member_joined(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """When a member joins (their platform join date, else their first activity)."""
    return _each(ctx, lambda m: m.joined_at, _joined_label)


def local_day_at(
    moment: datetime, zone: Any, at: time, *, days: int = 0, years: int = 0
) -> datetime:
    """`at` o'clock on the local calendar day `days` (and `years`) after `moment`'s local day in `zone`,
    as UTC: calendar days, so a delay keeps its hour across a daylight-saving change (a member who
    joined on 6 October at 9:00 in Paris is due on 5 December at `at`, not at 23:00 the evening before)."""
    day = add_years(moment.astimezone(zone).date(), years) + timedelta(days=days)
    return ensure_utc(datetime.combine(day, at, tzinfo=zone))


@TRIGGERS.register(
    "days_after_join",
    Field("days", int, required=True, help="days after joining"),
    Field(
        "time",
        str,
        default=MORNING,
        help="local time, HH:MM, on that day in the community's time zone",
    ),
    windows=_joined_window(lambda p: timedelta(days=p["days"])),
)
def days_after_join(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """The Nth local calendar day after a member joined, at the given local time."""
    at = _parse_time(params["time"])
    return _each(
        ctx,
        lambda m: (
            local_day_at(m.joined_at, ctx.zone, at, days=params["days"]) if m.joined_at else None
        ),
        lambda m: f"{_joined_label(m)}+{params['days']}d",
    )


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@TRIGGERS.register(
    "anniversary",
    Field("years", int, default=1, help="which anniversary (1 = one year)"),
    Field("time", str, default=MORNING, help="local time, HH:MM, in the community's time zone"),
    windows=_joined_window(lambda p: timedelta(days=366 * p["years"])),
)
def anniversary(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """The member's N-year anniversary of joining: the same local calendar day, at the given local time."""
    years, at = params["years"], _parse_time(params["time"])
    return _each(
        ctx,
        lambda m: local_day_at(m.joined_at, ctx.zone, at, years=years) if m.joined_at else None,
        lambda m: f"{_joined_label(m)}+{years}y",
    )


def _silent_since(member: MemberSnapshot) -> datetime | None:
    return member.last_activity_at or member.joined_at


@TRIGGERS.register(
    "inactive_for",
    Field("days", int, required=True, help="days without any activity"),
    Field(
        "time",
        str,
        default=MORNING,
        help="local time, HH:MM, on that day in the community's time zone",
    ),
    windows=lambda p, start, end: [
        Window(
            "last_activity_at",
            start - timedelta(days=p["days"]) - SLACK,
            end - timedelta(days=p["days"]) + SLACK,
        ),
        Window(
            "joined_at",
            start - timedelta(days=p["days"]) - SLACK,
            end - timedelta(days=p["days"]) + SLACK,
        ),
    ],
)
def inactive_for(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """The Nth local calendar day after a member's last activity (or their join, if they never did
    anything), at the given local time."""
    at = _parse_time(params["time"])

    def due(member: MemberSnapshot) -> datetime | None:
        since = _silent_since(member)
        return local_day_at(since, ctx.zone, at, days=params["days"]) if since else None

    return _each(ctx, due, lambda m: f"silent-{_silent_since(m).isoformat()}+{params['days']}d")  # type: ignore[union-attr]


@TRIGGERS.register(
    "first_contribution",
    windows=lambda p, start, end: [Window("first_contribution_at", start, end)],
)
def first_contribution(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """A member's first post, reply or comment."""
    return _each(ctx, lambda m: m.first_contribution_at, lambda m: "first-contribution")


@TRIGGERS.register(
    "returned_after",
    Field("days", int, required=True, help="days away before coming back"),
    windows=lambda p, start, end: [Window(f"returns:{p['days']}", start, end)],
)
def returned_after(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """A member is active again after N days or more without any activity."""
    found = []
    for member in ctx.members:
        for back in member.returns.get(params["days"], ()):
            if _in(ctx, back):
                found.append(
                    Occurrence(
                        label=f"back-{back.isoformat()}", due_at=back, member_ids=(member.id,)
                    )
                )
    return found


def week_ends(day: str, at: time, zone: Any, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every local `day` at `at` (in `zone`) within [start, end], as UTC instants, oldest first."""
    local_end = end.astimezone(zone).date()
    offset = (local_end.weekday() - WEEKDAYS.index(day)) % 7
    current: date = local_end - timedelta(days=offset)
    instants = []
    while True:
        instant = ensure_utc(datetime.combine(current, at, tzinfo=zone))
        if instant < start:
            break
        if instant <= end:
            instants.append(instant)
        current -= timedelta(days=7)
    return reversed(instants)


def _parse_time(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))


@TRIGGERS.register(
    "weekly",
    Field("day", str, default="sunday", choices=WEEKDAYS),
    Field("time", str, default="18:00", help="local time, HH:MM, in the community's time zone"),
    Field("batch", int, default=WEEKLY_BATCH, help="at most this many names per post"),
    windows=lambda p, start, end: [Window("joined_at", start - timedelta(days=8), end)],
)
def weekly(params: dict[str, Any], ctx: TriggerContext) -> list[Occurrence]:
    """Once a week (day and time in the community's time zone), for everyone who joined that week,
    in batches of at most `batch` members (oldest joiners first)."""
    at = _parse_time(params["time"])
    found = []
    for due in week_ends(params["day"], at, ctx.zone, ctx.start, ctx.end):
        local = due.astimezone(ctx.zone)
        week_start = ensure_utc(
            datetime.combine(local.date() - timedelta(days=7), at, tzinfo=ctx.zone)
        )
        joiners = sorted(
            (m for m in ctx.members if m.joined_at and week_start <= m.joined_at < due),
            key=lambda m: (m.joined_at, m.id),
        )
        size = max(1, params["batch"])
        for part, first in enumerate(range(0, len(joiners), size), start=1):
            chunk = tuple(m.id for m in joiners[first : first + size])
            found.append(
                Occurrence(
                    label=f"week-{local.date().isoformat()}:part{part}",
                    due_at=due,
                    member_ids=chunk,
                    batch=True,
                    context={
                        "week_start": week_start,
                        "week_end": due,
                        "part": part,
                        "total": len(joiners),
                    },
                )
            )
    return found
