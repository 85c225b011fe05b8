"""Texts the back end writes for people (refusals, errors), in English and French.

A text is written once, in English, with named values, where it arises:
    raise UsageError(Text(T_("name: a community named '%(name)s' already exists."), name=name))
Its English form is what logs, JSON and tests read (`str(error)`); `render(language)` gives it in the reader's
language from the back end's own gettext catalogue, src/tending/locale/fr/LC_MESSAGES/tending.po, with its
compiled .mo beside it (`scripts/update-translations` extracts the `T_(...)` texts of src/tending outside the
dashboard, merges and compiles them with the dashboard's catalogue; tests/test_texts.py fails when a text has
no French or the .mo is stale). The dashboard shows an error in the user's language; the CLI in
TENDING_LANGUAGE's, else the locale's (LC_ALL, LC_MESSAGES, LANG), else English.

A text that counts something has a singular and a plural, marked with `TN_` and picked by its value `n`:
    Text(TN_("%(n)s member", "%(n)s members"), n=count)
(French takes the singular for 0 and 1.) A sentence with two counts holds each as a Text of its own:
    Text(T_("%(cells)s but the header names %(fields)s."), cells=Text(TN_(...), n=3), fields=...)

A value is never translated (names, paths, numbers stay as given); only the sentence around it is.
A Text can be stored (`as_data`, `from_data`: plain JSON) and rendered later in the reader's language.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

Message: TypeAlias = "str | tuple[str, str]"  # a sentence, or its singular and plural

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "tending"
LANGUAGES = ("en", "fr")


def T_(message: str) -> str:
    """Marks an English text for the back end's catalogue; it is translated where it is shown."""
    return message


def TN_(singular: str, plural: str) -> tuple[str, str]:
    """Marks an English text with its plural for the back end's catalogue; the value `n` picks the form."""
    return (singular, plural)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def translate(message: Message, language: str, /, **values: Any) -> str:
    """`message` in `language`, with its values; a value that is itself a Text is rendered in the same
    language (a hidden value's "(not shown)" reads in French inside a French sentence). A plural message
    takes the form for its value `n`, or for `count` when `n` is shown formatted ("1 234")."""
    catalogue = _catalogue(language if language in LANGUAGES else "en")
    if isinstance(message, tuple):
        count = values.pop("count", values.get("n"))
        text = catalogue.ngettext(message[0], message[1], int(count))
    else:
        text = catalogue.gettext(message)
    if not values:
        return text
    shown = {k: v.render(language) if isinstance(v, Text) else v for k, v in values.items()}
    return text % shown


class Text:
    """An English sentence with named values, rendered in any of the languages tending speaks."""

    __slots__ = ("message", "values")

    def __init__(self, message: Message, /, **values: Any) -> None:
        self.message = message
        self.values = values

    def render(self, language: str = "en") -> str:
        return translate(self.message, language, **self.values)

    def as_data(self) -> dict[str, Any]:
        """The text as plain JSON, to store and render later: its English message (a list for a plural)
        and its values (a Text value as its own data, anything else but a number as its string)."""
        return {
            "message": list(self.message) if isinstance(self.message, tuple) else self.message,
            "values": {k: _value_data(v) for k, v in self.values.items()},
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Text:
        message = data["message"]
        values = {
            k: cls.from_data(v) if isinstance(v, dict) else v for k, v in data["values"].items()
        }
        return cls((message[0], message[1]) if isinstance(message, list) else message, **values)

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


def _value_data(value: Any) -> Any:
    if isinstance(value, Text):
        return value.as_data()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return value


def cli_language() -> str:
    """The language of the CLI's messages: TENDING_LANGUAGE, else the locale's, else English."""
    for name in ("TENDING_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            code = value.split("_")[0].split(".")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"
