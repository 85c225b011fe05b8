"""tending's own import format, one row per line (JSON Lines) or per CSV row: docs/import-format.md.

A row is an activity (kind joined, left, post, reply, comment, reaction) or a member listing (kind
member). Required: member_id, kind, occurred_at (except for kind member); member_name is required on
the first row of each member. Everything else is optional.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from tending.errors import shown_text
from tending.importers.base import BadRecord, ParseItem, parse_iso
from tending.importers.dates import (
    AmbiguousDate,
    parse_numeric_date,
    parse_relative_date,
    parse_written_date,
)
from tending.models import (
    JOINED,
    LEFT,
    POST,
    ActivityRecord,
    MemberRecord,
)
from tending.texts import T_, Text

MEMBER = "member"
ROW_KINDS = ("joined", "left", "post", "reply", "comment", "reaction", MEMBER)
DEFAULT_PLATFORM = "custom"
FIELDS = (
    "platform",
    "member_id",
    "member_name",
    "kind",
    "occurred_at",
    "source_id",
    "thread_id",
    "thread_title",
    "parent_id",
    "channel",
    "text",
    "url",
    "language",
    "is_staff",
    "is_bot",
    "member_email",
    "member_handle",
)
TRUE = frozenset({"true", "1", "yes", "y", "oui", "vrai", "t"})
FALSE = frozenset({"false", "0", "no", "n", "non", "faux", "f", ""})


class RowError(ValueError):
    def __init__(self, field: str, message: str | Text) -> None:
        super().__init__(str(message))
        self.field = field
        self.sentence = message


class RowReader:
    """Turns rows (dicts) into records. Remembers which members it already described, so a member's
    attributes are written once per file, not once per line."""

    def __init__(
        self, tz: tzinfo, *, day_first: bool = False, exported_at: datetime | None = None
    ) -> None:
        self.tz = tz
        self.day_first = day_first
        self.exported_at = exported_at or datetime.now(UTC)
        self.described: set[tuple[str, str]] = set()

    def items(self, row: dict[str, Any], path: str, line: int) -> Iterator[ParseItem]:
        try:
            yield from self._items(row)
        except RowError as error:
            yield BadRecord(path, line, error.field, error.sentence)

    def _items(self, row: dict[str, Any]) -> Iterator[ParseItem]:
        platform = _text(row, "platform") or DEFAULT_PLATFORM
        member_id = _required(row, "member_id")
        kind = (_text(row, "kind") or "").lower()
        if kind not in ROW_KINDS:
            raise RowError(
                "kind",
                Text(
                    T_("%(value)s is not a kind (use one of %(kinds)s)."),
                    value=shown_text(row.get("kind")),
                    kinds=", ".join(ROW_KINDS),
                ),
            )
        name = _text(row, "member_name")
        key = (platform, member_id)
        if key not in self.described or kind == MEMBER:
            if name is None and key not in self.described:
                raise RowError("member_name", Text(T_("missing on the first row of this member.")))
            record = self._member(row, platform, member_id, name, kind)
            if record is not None:
                yield record
            self.described.add(key)
        if kind == MEMBER:
            return
        yield self._activity(row, platform, member_id, name, kind)

    def _member(
        self, row: dict[str, Any], platform: str, member_id: str, name: str | None, kind: str
    ) -> MemberRecord | None:
        is_staff, is_bot = _flag(row, "is_staff"), _flag(row, "is_bot")
        email, handle = _text(row, "member_email"), _text(row, "member_handle")
        language = _text(row, "language") if kind == MEMBER else None
        joined = (
            self._instant(row, "occurred_at")
            if kind == MEMBER and _text(row, "occurred_at")
            else None
        )
        if kind != MEMBER and not (is_staff or is_bot or email or handle):
            return None  # the activity's member_name is enough to create the member
        return MemberRecord(
            source=platform,
            external_id=member_id,
            display_name=name,
            joined_at=joined,
            is_staff=is_staff,
            is_bot=is_bot,
            email=email,
            handle=handle,
            language=language,
        )

    def _activity(
        self, row: dict[str, Any], platform: str, member_id: str, name: str | None, kind: str
    ) -> ActivityRecord:
        at = self._instant(row, "occurred_at")
        thread = _text(row, "thread_id")
        text = _text(row, "text")
        source_id = _text(row, "source_id") or _derived_id(
            member_id, kind, at.isoformat(), thread, text
        )
        if kind == POST and thread is None:
            thread = source_id
        return ActivityRecord(
            source=platform,
            source_id=source_id,
            member_external_id=member_id,
            kind=kind,
            occurred_at=at,
            thread_external_id=thread if kind not in (JOINED, LEFT) else None,
            parent_source_id=_text(row, "parent_id"),
            channel_external_id=_text(row, "channel"),
            text=text,
            url=_text(row, "url"),
            language=_text(row, "language"),
            member_name=name,
            extra={"thread_title": row["thread_title"]} if _text(row, "thread_title") else None,
        )

    def _instant(self, row: dict[str, Any], field: str) -> Any:
        raw = _required(row, field)
        try:
            return parse_iso(raw, self.tz)
        except ValueError:
            pass
        try:  # the forms people copy: written out, numeric as a spreadsheet saves it, Facebook's relative ones
            written = (
                parse_written_date(raw, self.tz)
                or parse_numeric_date(raw, self.tz, day_first=self.day_first)
                or parse_relative_date(raw, self.tz, now=self.exported_at)
            )
        except AmbiguousDate as error:
            raise RowError(field, error.text) from None
        if written is not None:
            return written
        raise RowError(
            field,
            Text(
                T_(
                    "%(value)s is not a date: use ISO 8601 (e.g. 2024-05-01T18:30:00+02:00) "
                    "or a written date (e.g. 1 mai 2024 à 18h30)."
                ),
                value=shown_text(raw),
            ),
        )


def _text(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if type(value) is str:  # the common case first: this runs a dozen times per row
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise RowError(field, Text(T_("expected text, got %(type)s."), type=type(value).__name__))
    value = value.strip()
    return value or None


def _required(row: dict[str, Any], field: str) -> str:
    value = _text(row, field)
    if value is None:
        raise RowError(field, Text(T_("missing or empty.")))
    return value


def _flag(row: dict[str, Any], field: str) -> bool:
    value = row.get(field)
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise RowError(field, Text(T_("%(value)s is not true or false."), value=shown_text(value)))


def _derived_id(*parts: str | None) -> str:
    """A stable id for rows that carry none: the same row in a newer file gets the same id."""
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode(), usedforsecurity=False)
    return "h:" + digest.hexdigest()[:20]


def modified_at(path: Path) -> datetime | None:
    """When the export was saved, for relative dates ("il y a 2 semaines"): the file's modification time."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
