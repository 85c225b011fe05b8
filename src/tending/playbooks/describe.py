"""Rules in plain words, in English and French: "every Sunday at 18:00, up to 100 people per post" rather
than `weekly day=sunday time=18:00 batch=100`. The sentences are the back end's texts (tending.texts); a
trigger or condition without a sentence here is shown as its name and fields."""

from __future__ import annotations

from typing import Any

from babel import Locale

from tending.playbooks.model import Rule
from tending.texts import T_, TN_, Message, translate

WEEKDAY_INDEX = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
TRIGGERS: dict[str, Message] = {
    "member_joined": T_("when a member joins"),
    "days_after_join": TN_(
        "%(days)s day after joining, at %(time)s", "%(days)s days after joining, at %(time)s"
    ),
    "inactive_for": TN_(
        "after %(days)s day without any activity, at %(time)s",
        "after %(days)s days without any activity, at %(time)s",
    ),
    "first_contribution": T_("at a member's first post, reply or comment"),
    "returned_after": TN_(
        "when a member comes back after %(days)s day away",
        "when a member comes back after %(days)s days away",
    ),
    "weekly": TN_(
        "every %(day)s at %(time)s, up to %(batch)s person per post",
        "every %(day)s at %(time)s, up to %(batch)s people per post",
    ),
}
COUNTED_BY = {  # the parameter whose number picks a trigger's form
    "days_after_join": "days",
    "inactive_for": "days",
    "returned_after": "days",
    "weekly": "batch",
}
CONDITIONS: dict[str, Message] = {
    "not_contacted_within": TN_(
        "nobody wrote to them in the last %(value)s day",
        "nobody wrote to them in the last %(value)s days",
    ),
    "state": T_("their state is %(value)s"),
    "segment": T_("their segment is %(value)s"),
    "language": T_("their language is %(value)s"),
    "platform": T_("they are on %(value)s"),
    "tags": T_("they are tagged %(value)s"),
}

# the values of the `state` and `segment` conditions, as the member pages name them
VALUES = {
    "state": {
        "newcomer": T_("newcomer"),
        "lurker": T_("lurker"),
        "active": T_("active"),
        "quiet": T_("quiet"),
        "inactive": T_("inactive"),
        "left": T_("left"),
        "bot": T_("bot"),
    },
    "segment": {
        "lurkers": T_("lurkers (no contribution)"),
        "occasional": T_("occasional contributors"),
        "heavy_core": T_("heavy core"),
    },
}


def _value_words(name: str, value: Any, language: str) -> str:
    words = VALUES.get(name, {})
    values = list(value) if isinstance(value, list | tuple) else [value]
    shown = [translate(words[v], language) if v in words else str(v) for v in values]
    return ", ".join(shown)


def _day_name(day: str, language: str) -> str:
    index = WEEKDAY_INDEX.get(str(day).lower())
    if index is None:
        return str(day)
    return str(Locale.parse(language).days["format"]["wide"][index])


def describe_trigger(rule: Rule, language: str) -> str:
    params: dict[str, Any] = dict(rule.trigger_params)
    if rule.trigger == "anniversary":
        years = int(params.get("years", 1))
        once = (
            T_("on the anniversary of joining, at %(time)s")
            if years == 1
            else T_("%(years)s years after joining, at %(time)s")
        )
        return translate(once, language, years=years, time=params.get("time", "10:00"))
    message = TRIGGERS.get(rule.trigger)
    if message is None:
        return " ".join([rule.trigger, *(f"{k}={v}" for k, v in params.items())])
    if "day" in params:
        params["day"] = _day_name(params["day"], language)
    if isinstance(message, tuple):
        params["count"] = _count(params.get(COUNTED_BY[rule.trigger]))
    return translate(message, language, **params)


def _count(value: Any) -> int:
    """The number that picks a plural form (a value that is no number takes the plural)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 2


def describe_conditions(rule: Rule, language: str) -> list[str]:
    words = []
    for name, value in rule.conditions:
        if name == "has_contributed":
            said = T_("they have contributed") if value else T_("they have never contributed")
            words.append(translate(said, language))
            continue
        shown = _value_words(name, value, language)
        message = CONDITIONS.get(name)
        if message is None:
            words.append(f"{name}={shown}")
            continue
        count = _count(value) if isinstance(message, tuple) else 0
        words.append(translate(message, language, value=shown, count=count))
    return words
