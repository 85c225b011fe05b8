"""Errors a user can cause. The CLI prints their message as one line and exits with their code."""

import traceback
from typing import Any

from tending.texts import T_, Text, translate


class TendingError(Exception):
    """A failure the user can understand and fix: one clear sentence, exit code 1. The sentence is a plain
    English string, or a `tending.texts.Text`, which can also be shown in French (`in_language`)."""

    exit_code = 1

    def __init__(self, message: "str | Text" = "", *args: object) -> None:
        self.text = message if isinstance(message, Text) else None
        super().__init__(str(message), *args)

    def in_language(self, language: str) -> str:
        """The sentence in `language` when it was written as a Text, else as it was written."""
        return self.text.render(language) if self.text is not None else str(self)

    def as_data(self) -> dict[str, Any] | None:
        """The error as plain JSON, to store and show later in a reader's language (`error_in`), or None
        when it was written as a plain English string (it reads only as that)."""
        return {"text": self.text.as_data()} if self.text is not None else None


class UsageError(TendingError):
    """The command was called wrongly (a bad option value, a missing community): exit code 2."""

    exit_code = 2


class NotFoundError(UsageError):
    """What the command names does not exist (a member, a message, a queue item): the JSON API answers 404.
    `exit_code` keeps the CLI's code where a caller raised a plain TendingError before (1)."""

    def __init__(self, message: "str | Text", *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ConflictError(TendingError):
    """What the command acts on is in another state than it needs (closed, held by someone else): exit
    code 2, and the JSON API answers 409 as for any TendingError that is not a usage error."""

    exit_code = 2


class BadInputError(TendingError):
    """Input data is malformed: the message names the file, the line or record, and the field."""

    def __init__(
        self,
        message: "str | Text",
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.sentence = message
        super().__init__(self._compose("en"))
        self.text = message if isinstance(message, Text) else None

    def _compose(self, language: str) -> str:
        message = (
            self.sentence.render(language) if isinstance(self.sentence, Text) else self.sentence
        )
        where = [str(self.path)] if self.path else []
        if self.line is not None:
            where.append(translate(T_("line %(line)s"), language, line=self.line))
        prefix = ", ".join(where)
        if self.field:
            message = translate(T_("field '%(field)s': "), language, field=self.field) + message
        if not prefix:
            return message
        return translate(T_("%(where)s: %(message)s"), language, where=prefix, message=message)

    def in_language(self, language: str) -> str:
        return self._compose(language)

    def as_data(self) -> dict[str, Any] | None:
        sentence = self.sentence  # a plain one is kept as it is; its place still reads in French
        said = {"text": sentence.as_data()} if isinstance(sentence, Text) else {"plain": sentence}
        where = {"path": self.path and str(self.path), "line": self.line, "field": self.field}
        return {**said, **{k: v for k, v in where.items() if v is not None}}


def error_in(data: dict[str, Any], language: str) -> str:
    """A stored error (`TendingError.as_data`) in `language`."""
    text = Text.from_data(data["text"]) if "text" in data else str(data["plain"])
    if not {"path", "line", "field"} & set(data):
        return text.render(language) if isinstance(text, Text) else text
    where = BadInputError(
        text, path=data.get("path"), line=data.get("line"), field=data.get("field")
    )
    return where.in_language(language)


def shown_value(value: object, *, limit: int = 40) -> str:
    """As `shown_text`, in English."""
    return str(shown_text(value, limit=limit))


def shown_text(value: object, *, limit: int = 40) -> "str | Text":
    """A bad value as an error message may quote it: short, no '@', and a date-like or number-like value (with a
    digit) or a single word ('yesterday', 'peut-être'). Anything else may be a full name, an address or a text
    that landed in the wrong column: it is not repeated."""
    text = str(value)
    plain = len(text) <= limit and "@" not in text and "\n" not in text and "\r" not in text
    if plain and (any(c.isdigit() for c in text) or len(text.split()) <= 1):
        return f"'{text}'"
    return Text(T_("the value (not shown: it may be personal)"))


def describe_unexpected(error: BaseException) -> str:
    """An unexpected failure in one sentence: its type and where it happened, never its message (a database
    error's message quotes the statement; other messages may quote the values being handled)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/tending/" in f.filename.replace("\\", "/")] or frames
    where = ""
    if ours:
        last = ours[-1]
        name = last.filename.replace("\\", "/").rsplit("/tending/", 1)[-1]
        where = f" in tending/{name}, line {last.lineno} ({last.name})"
    return (
        f"an unexpected {type(error).__name__} stopped the command{where}; each command writes in one "
        "transaction, so nothing half-written was kept. Please report this line (it holds no personal data)."
    )
