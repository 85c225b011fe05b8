"""Dates written out in words, French or English, as people copy them from a web page (a Facebook
group's "Membre depuis le 3 mars 2021", a forum's "Le 29 octobre 2012 à 18h30", "March 3, 2024 at 6:30 PM").
tending's own format accepts them beside ISO 8601; a date alone means midnight in the zone given."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, tzinfo

from tending.texts import T_, Text

MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    "janv": 1,
    "fevr": 2,
    "fev": 2,
    "avr": 4,
    "juil": 7,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
}
TIME = r"(?:\s*,?\s*(?:à|a|at)?\s*(?P<hour>\d{1,2})\s*(?:[:h]\s*(?P<minute>\d{2})?)\s*(?P<ampm>[ap]\.?m\.?)?)?"
DAY_FIRST = re.compile(
    r"^(?:(?:le|on)\s+)?(?:[a-z]+\.?,?\s+)?(?P<day>\d{1,2})(?:er|st|nd|rd|th)?\s+"
    r"(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})" + TIME + r"$"
)
MONTH_FIRST = re.compile(
    r"^(?:on\s+)?(?:[a-z]+,?\s+)?(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?"
    r"\s+(?P<year>\d{4})" + TIME + r"$"
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("\u202f", " ")


def parse_written_date(text: str, tz: tzinfo = UTC) -> datetime | None:
    """The instant a written-out date names (in `tz`, as UTC), or None when it is not one."""
    folded = re.sub(r"\s+", " ", _fold(text))
    found = DAY_FIRST.match(folded) or MONTH_FIRST.match(folded)
    if found is None or found["month"] not in MONTHS:
        return None
    hour = int(found["hour"] or 0)
    if found["ampm"]:
        hour = hour % 12 + (12 if found["ampm"].startswith("p") else 0)
    try:
        moment = datetime(
            int(found["year"]),
            MONTHS[found["month"]],
            int(found["day"]),
            hour,
            int(found["minute"] or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


# -- dates as spreadsheets and Facebook show them ------------------------------------------------------

NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<year>\d{4}|\d{2})" + TIME + r"(?::\d{2})?$"
)
NO_YEAR = re.compile(
    r"^(?:(?:le|on)\s+)?(?:[a-z]+\.?,?\s+)?(?P<day>\d{1,2})(?:er|st|nd|rd|th)?\s+"
    r"(?P<month>[a-z]+)\.?" + TIME + r"$"
)
NO_YEAR_MONTH_FIRST = re.compile(
    r"^(?:on\s+)?(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?" + TIME + r"$"
)
DAY_WORDS = {
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "today": 0,
    "hier": 1,
    "yesterday": 1,
    "avant-hier": 2,
}
RELATIVE_DAY = re.compile(
    r"^(?P<word>aujourd'?hui|today|hier|yesterday|avant-hier)\s*,?\s*(?:à|a|at)\s*"
    r"(?P<hour>\d{1,2})\s*[:h]\s*(?P<minute>\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?$"
)
WEEKDAYS = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
WEEKDAY = re.compile(
    r"^(?P<word>[a-z]+)\s*,?\s*(?:à|a|at)\s*(?P<hour>\d{1,2})\s*[:h]\s*(?P<minute>\d{2})?\s*"
    r"(?P<ampm>[ap]\.?m\.?)?$"
)
# "il y a 2 semaines", "2 weeks ago", and Facebook's short forms "2 sem", "3 j", "5 h", "2w", "3d"
UNITS = {
    "min": 60,
    "mn": 60,
    "minute": 60,
    "minutes": 60,
    "m": 60,
    "mins": 60,
    "h": 3600,
    "heure": 3600,
    "heures": 3600,
    "hour": 3600,
    "hours": 3600,
    "hr": 3600,
    "hrs": 3600,
    "j": 86400,
    "jour": 86400,
    "jours": 86400,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "sem": 7 * 86400,
    "semaine": 7 * 86400,
    "semaines": 7 * 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
    "weeks": 7 * 86400,
    "wk": 7 * 86400,
    "wks": 7 * 86400,
    "mois": 30 * 86400,
    "month": 30 * 86400,
    "months": 30 * 86400,
    "mo": 30 * 86400,
    "an": 365 * 86400,
    "ans": 365 * 86400,
    "a": 365 * 86400,
    "y": 365 * 86400,
    "yr": 365 * 86400,
    "yrs": 365 * 86400,
    "year": 365 * 86400,
    "years": 365 * 86400,
}
AGO = re.compile(r"^(?:il y a\s+)?(?P<count>\d+|un|une|a|an)\s*(?P<unit>[a-z]+)\.?(?:\s+ago)?$")


class AmbiguousDate(ValueError):
    """A numeric date whose reading depends on the order of day and month (raised only when the order
    asked for cannot read it). Its sentence, a Text, is `text`."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def _hour(found: re.Match[str]) -> tuple[int, int]:
    hour = int(found["hour"] or 0)
    if found["ampm"]:
        hour = hour % 12 + (12 if found["ampm"].startswith("p") else 0)
    return hour, int(found["minute"] or 0)


def parse_numeric_date(text: str, tz: tzinfo = UTC, *, day_first: bool = False) -> datetime | None:
    """ "12/10/2026 18:30" as a spreadsheet re-saves it: day first when `day_first` (French, most of the
    world), month first otherwise (United States). Raises AmbiguousDate when the other order is the only
    one that reads it (25/10/2026 with month first), so a file is never read half one way."""
    found = NUMERIC.match(re.sub(r"\s+", " ", _fold(text)))
    if found is None:
        return None
    a, b = int(found["a"]), int(found["b"])
    day, month = (a, b) if day_first else (b, a)
    year = int(found["year"]) + (2000 if len(found["year"]) == 2 else 0)
    hour, minute = _hour(found)
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        if 1 <= month <= 12:
            return None
        message = (
            T_("'%(date)s' reads only day first; say how the file writes dates (--day-first).")
            if not day_first
            else T_(
                "'%(date)s' reads only month first; say how the file writes dates (--month-first)."
            )
        )
        raise AmbiguousDate(Text(message, date=text.strip())) from None
    return moment.astimezone(UTC)


def parse_relative_date(text: str, tz: tzinfo, *, now: datetime) -> datetime | None:
    """The forms Facebook shows, resolved against `now` (the moment the page was saved): "5 octobre à
    18:30" (this year, or last year when that is still to come), "Hier à 18:30", "Mardi à 9:05" (the last
    such day), "il y a 2 semaines", "3 j", "2 weeks ago". A month counts 30 days and a year 365, as
    Facebook rounds them."""
    folded = re.sub(r"\s+", " ", _fold(text))
    local_now = now.astimezone(tz)
    return (
        _no_year(folded, tz, local_now)
        or _relative_day(folded, tz, local_now)
        or _weekday(folded, tz, local_now)
        or _ago(folded, now)
    )


def _no_year(folded: str, tz: tzinfo, local_now: datetime) -> datetime | None:
    found = next(
        (
            m
            for m in (NO_YEAR.match(folded), NO_YEAR_MONTH_FIRST.match(folded))
            if m is not None and m["month"] in MONTHS
        ),
        None,
    )
    if found is None:
        return None
    hour, minute = _hour(found)
    for year in (local_now.year, local_now.year - 1):
        try:
            moment = datetime(
                year, MONTHS[found["month"]], int(found["day"]), hour, minute, tzinfo=tz
            )
        except ValueError:
            continue  # 29 February of a year that has none: try the year before
        if moment <= local_now:
            return moment.astimezone(UTC)
    return None


def _at_local(day: datetime, hour: int, minute: int, tz: tzinfo) -> datetime | None:
    try:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


def _relative_day(folded: str, tz: tzinfo, local_now: datetime) -> datetime | None:
    found = RELATIVE_DAY.match(folded)
    if found is None:
        return None
    hour, minute = _hour(found)
    return _at_local(local_now - timedelta(days=DAY_WORDS[found["word"]]), hour, minute, tz)


def _weekday(folded: str, tz: tzinfo, local_now: datetime) -> datetime | None:
    found = WEEKDAY.match(folded)
    if found is None or found["word"] not in WEEKDAYS:
        return None
    back = (local_now.weekday() - WEEKDAYS[found["word"]]) % 7 or 7
    hour, minute = _hour(found)
    return _at_local(local_now - timedelta(days=back), hour, minute, tz)


def _ago(folded: str, now: datetime) -> datetime | None:
    found = AGO.match(folded)
    if found is None or found["unit"] not in UNITS:
        return None
    if found["unit"] in ("a", "m") and not found["count"].isdigit():
        return None  # "a m" is no date
    count = int(found["count"]) if found["count"].isdigit() else 1
    if count > 100_000:
        return None
    return (now - timedelta(seconds=count * UNITS[found["unit"]])).astimezone(UTC)
