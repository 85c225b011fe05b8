"""Dates written out in words, French or English, as people copy them from a web page (a Facebook
group's "Membre depuis le 3 mars 2021", a forum's "Le 29 octobre 2012 à 18h30", "March 3, 2024 at 6:30 PM").
tending's own format accepts them beside ISO 8601; a date alone means midnight in the zone given."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo

MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
}
TIME = r"(?:\s*,?\s*(?:à|a|at)?\s*(?P<hour>\d{1,2})\s*(?:[:h]\s*(?P<minute>\d{2})?)\s*(?P<ampm>[ap]\.?m\.?)?)?"
DAY_FIRST = re.compile(r"^(?:(?:le|on)\s+)?(?:[a-z]+\.?,?\s+)?(?P<day>\d{1,2})(?:er|st|nd|rd|th)?\s+"
                       r"(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})" + TIME + r"$")
MONTH_FIRST = re.compile(r"^(?:on\s+)?(?:[a-z]+,?\s+)?(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?"
                         r"\s+(?P<year>\d{4})" + TIME + r"$")


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
        moment = datetime(int(found["year"]), MONTHS[found["month"]], int(found["day"]), hour,
                          int(found["minute"] or 0), tzinfo=tz)
    except ValueError:
        return None
    return moment.astimezone(UTC)
