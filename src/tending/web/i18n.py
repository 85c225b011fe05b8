"""French and English: gettext catalogs (Babel), one Jinja2 environment per language, local dates.

Catalogs live in tending/web/locale/<lang>/LC_MESSAGES/messages.po with their compiled .mo committed beside
them (tests/web/test_i18n.py fails when a .mo is stale or a string has no French translation). Regenerate:
    uv run pybabel extract -F babel.cfg -o src/tending/web/locale/messages.pot src/tending/web
    uv run pybabel update -i src/tending/web/locale/messages.pot -d src/tending/web/locale
    uv run pybabel compile -d src/tending/web/locale
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent, get_group_symbol
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", localedir=LOCALE_DIR, languages=[language])


def pick_language(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that we offer, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _zone(context: Context) -> ZoneInfo:
    zone = context.get("zone")
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def _filters(language: str) -> dict[str, Callable[..., Any]]:
    locale = Locale.parse(language)
    group = get_group_symbol(locale=locale)

    @lru_cache(maxsize=4096)
    def format_day(value: date, form: str) -> str:
        return format_date(value, format=form, locale=locale)

    @pass_context
    def localdate(context: Context, value: datetime | date | None, form: str = "medium") -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(_zone(context)).date()
        return format_day(value, form)

    @pass_context
    def localdatetime(context: Context, value: datetime | None, form: str = "medium") -> str:
        if value is None:
            return "—"
        return format_datetime(value, format=form, tzinfo=_zone(context), locale=locale)

    @pass_context
    def isolocal(context: Context, value: datetime | None) -> str:
        return (
            "" if value is None else value.astimezone(_zone(context)).isoformat(timespec="minutes")
        )

    def number(value: float | int | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, int):  # the common case, without Babel's per-call pattern parsing
            return f"{value:,}".replace(",", group)
        return format_decimal(value, locale=locale)

    def percent(value: float | None) -> str:
        return "—" if value is None else format_percent(value, locale=locale)

    return {
        "localdate": localdate,
        "localdatetime": localdatetime,
        "isolocal": isolocal,
        "number": number,
        "percent": percent,
    }


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("tending.web", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(_filters(language))
    env.tests["day"] = lambda value: isinstance(value, date)
    env.globals["zip_rows"] = lambda *columns: list(zip(*columns, strict=True))
    env.globals["language"] = language
    env.globals["languages"] = LANGUAGES
    return env


class Translator:
    """gettext for Python code (flash messages, chart labels), in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._t = translations(language)

    def local_datetime(self, value: datetime | None, zone: ZoneInfo, form: str = "medium") -> str:
        """The localdatetime filter's text, for rows a view prepares."""
        if value is None:
            return "—"
        return format_datetime(value, format=form, tzinfo=zone, locale=self.language)

    def number(self, value: int) -> str:
        """The number filter's text."""
        return format_decimal(value, locale=self.language)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._t.ngettext(singular, plural, n) % {"num": n, **values}
