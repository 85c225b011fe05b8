"""Texts the back end writes for people (refusals, errors), in English and French.

A text is written once, in English, with named values, where it arises:
    raise UsageError(Text(T_("name: a community named '%(name)s' already exists."), name=name))
Its English form is what logs, JSON and tests read (`str(error)`); `render(language)` gives it in the reader's
language from the back end's own gettext catalogue, src/tending/locale/fr/LC_MESSAGES/tending.po, with its
compiled .mo beside it (`scripts/update-translations` extracts the `T_(...)` texts of src/tending outside the
dashboard, merges and compiles them with the dashboard's catalogue; tests/test_texts.py fails when a text has
no French or the .mo is stale). The dashboard shows an error in the user's language; the CLI in
TENDING_LANGUAGE's, else the locale's (LC_ALL, LC_MESSAGES, LANG), else English.

A value is never translated (names, paths, numbers stay as given); only the sentence around it is.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tending"
LANGUAGES = ("en", "fr")


def T_(message: str) -> str:
    """Marks an English text for the back end's catalogue; it is translated where it is shown."""
    return message


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def translate(message: str, language: str, /, **values: Any) -> str:
    """`message` in `language`, with its values; a value that is itself a Text is rendered in the same
    language (a hidden value's "(not shown)" reads in French inside a French sentence)."""
    text = _catalogue(language if language in LANGUAGES else "en").gettext(message)
    if not values:
        return text
    shown = {k: v.render(language) if isinstance(v, Text) else v for k, v in values.items()}
    return text % shown


class Text:
    """An English sentence with named values, rendered in any of the languages tending speaks."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, /, **values: Any) -> None:
        self.message = message
        self.values = values

    def render(self, language: str = "en") -> str:
        return translate(self.message, language, **self.values)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Text({str(self)!r})"

    # a Text is its English sentence: equal to it (and to a Text that reads the same), hashed like it, so
    # records and errors that carry one compare as they did when they carried the plain string
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text | str):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))


def cli_language() -> str:
    """The language of the CLI's messages: TENDING_LANGUAGE, else the locale's, else English."""
    for name in ("TENDING_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            code = value.split("_")[0].split(".")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"
