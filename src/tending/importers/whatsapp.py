"""WhatsApp: "Export chat" .txt (or the .zip WhatsApp shares, holding _chat.txt). Semantics and
references: docs/importers.md#whatsapp.

- A line starting with a date and a time starts a message; other lines continue the previous one.
  Android ("12/9/20, 23:55 - Alice: hi"), iOS ("[12/09/2020, 23:55:01] Alice: hi"), French
  ("09/12/2020 à 23:55 - Alice : salut"), German (09.12.20) and 12-hour (11:55 PM) forms are read.
- Day and month order is decided per file: a first number above 12 means day first, a second above
  12 means month first; when every date is ambiguous, 12-hour times mean month first (US), else day first.
- Times are the phone's local time, read in --timezone (the community's zone by default).
- Members are known only by the name (or phone number) the exporting phone shows.
- "X joined using this group's invite link" / "X a rejoint", "A added X" / "A a ajouté X" are joins;
  "X left" / "X est parti", "A removed X" / "A a retiré X" are leaves; "You"/"Vous" (the exporter,
  unnamed) is skipped. Group creation, subject and icon changes, the encryption notice: skipped.
- Deleted messages ("This message was deleted", "Ce message a été supprimé") are skipped; media
  ("<Media omitted>", "<Médias omis>") are contributions.
- Messages have no ids: a message's id is a hash of its time, author and first line (and its rank
  among identical ones), the same in every export of the chat. Conversations: base.Conversations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from tending.importers.base import (
    BadRecord,
    CommunityHint,
    Conversations,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    iter_sources,
    media_path,
    text_lines,
)
from tending.models import JOINED, LEFT, POST, REPLY, ActivityRecord, MemberRecord
from tending.texts import T_, Text

KIND = "whatsapp"
PLATFORM = "whatsapp"
DESCRIPTION = "WhatsApp chat export (.txt, or the .zip holding _chat.txt), English or French"
MARKS = "\u200e\u200f\u202a\u202c\ufeff"
LINE = re.compile(
    r"^\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})(?:,\s*|\s+à\s+|\s+)"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:[\s\u202f\u00a0]*(?P<ampm>[aApP]\.?\s?[mM]\.?))?"
    r"(?:\]\s*|\s+-\s+)(?P<rest>.*)$"
)
AUTHOR = re.compile(r"^(?P<author>[^:]{1,80}?)\s?:\s(?P<text>.*)$", re.DOTALL)
YOU = frozenset({"you", "vous", "tú", "du"})
JOIN_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?P<who>.+?) joined using this group's invite link$",
        r"^(?P<who>.+?) joined( from the community)?$",
        r"^(?P<who>.+?) a rejoint( ce groupe| le groupe)?.*$",
    )
]
ADD_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (r"^(?P<actor>.+?) added (?P<who>.+)$", r"^(?P<actor>.+?) a ajouté (?P<who>.+)$")
]
LEAVE_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (r"^(?P<who>.+?) left$", r"^(?P<who>.+?) (est parti\(?e?\)?|a quitté.*)$")
]
REMOVE_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (r"^(?P<actor>.+?) removed (?P<who>.+)$", r"^(?P<actor>.+?) a retiré (?P<who>.+)$")
]
CREATED = re.compile(
    r"^.+? (created group|a créé le groupe) [\"“«]\s?(?P<name>.+?)\s?[\"”»]$", re.IGNORECASE
)
DELETED = re.compile(
    r"^(this message was deleted|you deleted this message|ce message a été supprimé|"
    r"vous avez supprimé ce message)\.?$",
    re.IGNORECASE,
)
MEDIA = re.compile(r"^<(media omitted|médias omis|média omis)>$|omitted$|omis$", re.IGNORECASE)
# an attached file: Android's "IMG-20240315-WA0002.jpg (file attached)" ("(fichier joint)" in French), iOS's
# "<attached: 00000012-PHOTO-2024-03-15-10-14-33.jpg>"; the file sits next to the chat's .txt in the export
ATTACHED = re.compile(
    r"^(?:<(?:attached|pièce jointe)\s?:\s*(?P<ios>[^>]+)>|(?P<android>\S.*?\.\w{2,5}) "
    r"\((?:file attached|fichier joint)\))$",
    re.IGNORECASE,
)
LIST_SPLIT = re.compile(r",\s*|\s+(?:and|et)\s+")


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    hinted = False
    for source in iter_sources(path, options):
        if not source.name.lower().endswith(".txt"):
            continue
        order = _date_order(source)
        chat = source.basename.removesuffix(".txt")
        for item in _chat(source, chat, order, options.tz, source.folder):
            if isinstance(item, CommunityHint):
                if hinted:
                    continue
                hinted = True
            yield item


def _date_order(source: SourceFile) -> str:
    """ "dmy", "mdy" or "ymd" for the whole file (see the module's docstring)."""
    day_first = month_first = twelve_hour = False
    for _number, line in text_lines(source):
        found = LINE.match(line.lstrip(MARKS))
        if not found:
            continue
        a, b, _c = (int(x) for x in re.split(r"[./-]", found["date"]))
        if a > 31:
            return "ymd"
        day_first |= a > 12
        month_first |= b > 12
        twelve_hour |= found["ampm"] is not None
    if day_first:
        return "dmy"
    if month_first or twelve_hour:
        return "mdy"
    return "dmy"


def _instant(date: str, time: str, ampm: str | None, order: str, tz: tzinfo) -> datetime:
    parts = [int(x) for x in re.split(r"[./-]", date)]
    if order == "ymd":
        year, month, day = parts
    elif order == "mdy":
        month, day, year = parts
    else:
        day, month, year = parts
    if year < 100:
        year += 2000
    clock = [int(x) for x in re.split(r"[:.]", time)]
    hour, minute, second = clock[0], clock[1], clock[2] if len(clock) > 2 else 0
    if ampm:
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)


class _Pending:
    def __init__(self, line: int, at: datetime, author: str | None, text: str) -> None:
        self.line, self.at, self.author, self.lines = line, at, author, [text]


def _chat(
    source: SourceFile, chat: str, order: str, tz: tzinfo, folder: Path | None = None
) -> Iterator[ParseItem]:
    state = _ChatState(chat, folder)
    pending: _Pending | None = None
    for number, raw in text_lines(source):
        line = raw.lstrip(MARKS)
        found = LINE.match(line)
        if found is None:
            if pending is not None:
                pending.lines.append(raw)
            continue
        if pending is not None:
            yield from state.emit(pending)
        try:
            at = _instant(found["date"], found["time"], found["ampm"], order, tz)
        except ValueError:
            yield BadRecord(
                source.label,
                number,
                "date",
                Text(
                    T_("'%(date)s %(time)s' is not a valid date."),
                    date=found["date"],
                    time=found["time"],
                ),
            )
            pending = None
            continue
        rest = found["rest"].strip(MARKS)
        author = AUTHOR.match(rest)
        pending = _Pending(
            number,
            at,
            author["author"].strip(MARKS + " ") if author else None,
            author["text"] if author else rest,
        )
    if pending is not None:
        yield from state.emit(pending)


class _ChatState:
    def __init__(self, chat: str, folder: Path | None = None) -> None:
        self.chat, self.folder = chat, folder
        self.members: set[str] = set()
        self.conversations = Conversations()
        self.seen: dict[str, int] = {}
        self.minute: datetime | None = None

    def source_id(self, at: datetime, author: str, first_line: str) -> str:
        if at != self.minute:
            self.minute, self.seen = at, {}
        digest = hashlib.sha1(
            f"{at.isoformat()}\x1f{author}\x1f{first_line}".encode(), usedforsecurity=False
        ).hexdigest()[:20]
        rank = self.seen.get(digest, 0)
        self.seen[digest] = rank + 1
        return f"{digest}#{rank}" if rank else digest

    def member(self, name: str) -> Iterator[ParseItem]:
        if name not in self.members:
            self.members.add(name)
            yield MemberRecord(source=PLATFORM, external_id=name, display_name=name)

    def emit(self, pending: _Pending) -> Iterator[ParseItem]:
        text = "\n".join(pending.lines).strip()
        if pending.author is None:
            yield from self.system(pending.at, text)
            return
        if DELETED.match(text.strip(MARKS)):
            yield Skip(T_("deleted message"))
            return
        source_id = self.source_id(pending.at, pending.author, pending.lines[0])
        yield from self.member(pending.author)
        thread, first = self.conversations.place(self.chat, source_id, pending.at)
        media = bool(MEDIA.search(text.strip(MARKS)))
        extra: dict[str, Any] | None = {"media": True} if media else None
        lines, images = [], []
        for line in text.split("\n"):
            attached = ATTACHED.match(line.strip(MARKS + " "))
            if attached is None:
                lines.append(line)
                continue
            found = media_path(self.folder, attached["ios"] or attached["android"])
            if found is not None:
                images.append(found)
            media = True
        if media and not extra:
            extra = {"media": True}
        if images and extra is not None:
            extra["images"] = images
        text = "\n".join(lines).strip()
        yield ActivityRecord(
            source=PLATFORM,
            source_id=source_id,
            member_external_id=pending.author,
            kind=POST if first else REPLY,
            occurred_at=pending.at,
            thread_external_id=thread,
            channel_external_id=self.chat,
            text=None if MEDIA.search(text.strip(MARKS)) else text or None,
            extra=extra,
        )

    def system(self, at: datetime, text: str) -> Iterator[ParseItem]:
        created = CREATED.match(text)
        if created:
            yield CommunityHint(created["name"])
            yield Skip(T_("group created"))
            return
        for patterns, kind, field in (
            (JOIN_PATTERNS, JOINED, "who"),
            (ADD_PATTERNS, JOINED, "who"),
            (LEAVE_PATTERNS, LEFT, "who"),
            (REMOVE_PATTERNS, LEFT, "who"),
        ):
            for pattern in patterns:
                found = pattern.match(text)
                if found:
                    yield from self.movement(at, found[field], kind)
                    return
        yield Skip(T_("service message"))

    def movement(self, at: datetime, names: str, kind: str) -> Iterator[ParseItem]:
        for name in (n.strip(MARKS + " .") for n in LIST_SPLIT.split(names)):
            if not name or name.lower() in YOU:
                yield Skip(T_("join or leave of the exporting phone's owner (unnamed)"))
                continue
            yield from self.member(name)
            source_id = self.source_id(at, name, kind)
            yield ActivityRecord(
                source=PLATFORM,
                source_id=f"{kind}:{source_id}",
                member_external_id=name,
                kind=kind,
                occurred_at=at,
                channel_external_id=self.chat,
            )
