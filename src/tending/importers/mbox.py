"""Mailing lists: mbox files (a file, a folder, an archive; pipermail's monthly 2016-March.txt(.gz)
archives are mbox too). Semantics and references: docs/importers.md#mailing-lists.

- A member is an e-mail address (lowercased; pipermail's "jane at example.org" is unmasked).
- Threads follow RFC 5322 (References, In-Reply-To): the thread is the first message of References,
  else In-Reply-To. Archives that lost those headers (pipermail) fall back on the subject: a "Re:"
  whose subject matches an earlier thread joins it. A message starting a thread is a post, the others
  replies.
- Message-ID is the stable id; a message without one gets a hash of its headers.
- Dates with offsets become UTC; a missing or unreadable Date header falls back on the mbox "From "
  line (UTC by convention).
- Headers in RFC 2047 encodings and bodies in any charset are decoded; an unknown charset is read as
  Latin-1 rather than failing.
- Robot senders (mailer-daemon, postmaster, no-reply, list -bounces/-owner/-request addresses) are bots.
Files are read line by line, one message at a time.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

from tending.errors import BadInputError
from tending.importers.base import (
    ONE_MESSAGE,
    BadRecord,
    ParseItem,
    ParseOptions,
    Skip,
    SourceFile,
    empty_file,
    iter_sources,
    too_large,
)
from tending.models import POST, REPLY, ActivityRecord, MemberRecord
from tending.texts import T_, Text

KIND = "mbox"
PLATFORM = "email"
DESCRIPTION = (
    "mailing-list archives: mbox files or a folder of them (pipermail .txt/.txt.gz included)"
)
ROBOTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)$|-(bounces|owner|request)$"
)
MASKED = re.compile(r"^\s*([^\s@]+) at ([^\s@]+\.[^\s@]+)")
REPLY_PREFIX = re.compile(
    r"^\s*((re|aw|sv|fwd?|tr|réf|ref)\s*(\[\d+\])?\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE
)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
IS_REPLY = re.compile(r"^\s*(\[[^\]]*\]\s*)*(re|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)
SUBJECTS_KEPT = 100_000


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    state = _State()
    single = path.is_file() and not path.name.lower().endswith(
        (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz")
    )
    for source in iter_sources(path, options):
        messages = _split(source)
        first = next(messages, None)
        if first is None:
            if single:
                raise BadInputError(
                    Text(T_("this is not an mbox file (it should start with a 'From ' line).")),
                    path=source.label,
                )
            yield Skip(T_("file that is not a mailbox"))
            continue
        yield from _message(first[0], first[1], source.label, state)
        for line, raw in messages:
            yield from _message(line, raw, source.label, state)


class _State:
    def __init__(self) -> None:
        self.members: set[str] = set()
        self.subjects: OrderedDict[str, str] = OrderedDict()

    def thread_by_subject(self, subject: str) -> str | None:
        return self.subjects.get(subject)

    def remember(self, subject: str, thread: str) -> None:
        if subject and subject not in self.subjects:
            self.subjects[subject] = thread
            if len(self.subjects) > SUBJECTS_KEPT:
                self.subjects.popitem(last=False)


def _split(source: SourceFile) -> Iterator[tuple[int, bytes]]:
    """(line number of its "From " line, raw bytes) of each message. Lines are read through a buffer (a
    raw stream reads a line byte by byte: one line of 5 MB took 30 s), and a message larger than the
    budget's max_field_bytes is refused rather than held."""
    empty = True
    limit = source.budget.max_field_bytes
    with source.open() as raw, io.BufferedReader(cast(Any, raw), 1 << 16) as stream:
        lines: list[bytes] = []
        start = size = number = 0
        previous_blank = True
        while line := stream.readline(limit + 1):
            number += 1
            if empty and line.strip():
                empty = False
                if not line.startswith(b"From "):
                    return
            if line.startswith(b"From ") and previous_blank:
                if lines:
                    yield start, b"".join(lines)
                lines, start, size = [line], number, len(line)
            elif lines:
                lines.append(line[1:] if line.startswith(b">From ") else line)
                size += len(line)
                if size > limit:
                    raise too_large(source.label, ONE_MESSAGE, limit, start)
            previous_blank = not line.strip()
        if lines:
            yield start, b"".join(lines)
    if empty:
        raise empty_file(source)


def _message(line: int, raw: bytes, label: str, state: _State) -> Iterator[ParseItem]:
    unixfrom, _, rest = raw.partition(b"\n")
    message = email.message_from_bytes(rest, policy=email.policy.compat32)
    name, address = _sender(message)
    if not address:
        yield BadRecord(label, line, "From", Text(T_("the message has no sender address.")))
        return
    at = _date(message.get("Date"), unixfrom)
    if at is None:
        yield BadRecord(label, line, "Date", Text(T_("the message has no readable date.")))
        return
    message_id = (
        _first_id(message.get("Message-ID"))
        or "h:" + hashlib.sha1(rest.split(b"\n\n", 1)[0], usedforsecurity=False).hexdigest()[:24]
    )
    references = MESSAGE_ID.findall(_header(message.get("References")))
    in_reply_to = _first_id(message.get("In-Reply-To"))
    subject = _header(message.get("Subject"))
    topic = REPLY_PREFIX.sub("", subject).strip().lower()
    root = references[0].strip("<>") if references else in_reply_to
    if root is None and IS_REPLY.match(subject):
        root = state.thread_by_subject(topic)
    thread = root or message_id
    state.remember(topic, thread)
    if address not in state.members:
        state.members.add(address)
        yield MemberRecord(
            source=PLATFORM,
            external_id=address,
            display_name=name or address.split("@")[0],
            email=address,
            is_bot=bool(ROBOTS.search(address.split("@")[0])),
        )
    parent = in_reply_to or (references[-1].strip("<>") if references else None)
    yield ActivityRecord(
        source=PLATFORM,
        source_id=message_id,
        member_external_id=address,
        kind=REPLY if thread != message_id else POST,
        occurred_at=at,
        thread_external_id=thread,
        parent_source_id=parent if thread != message_id else None,
        channel_external_id=_first_id(message.get("List-Id")),
        text=_body(message),
        extra={"subject": subject} if subject else None,
    )


def _header(value: object) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except (LookupError, UnicodeDecodeError, ValueError, email.errors.HeaderParseError):
        return str(value).strip()


def _sender(message: Message) -> tuple[str | None, str | None]:
    raw = _header(message.get("From"))
    unmasked = MASKED.sub(lambda m: f"{m.group(1)}@{m.group(2)}", raw)
    name, address = parseaddr(unmasked)
    if not address or "@" not in address:
        found = getaddresses([unmasked])
        address = next((a for _n, a in found if "@" in a), "")
    return (name.strip() or None), (address.strip().lower() or None)


def _first_id(value: object) -> str | None:
    if value is None:
        return None
    found = MESSAGE_ID.search(str(value))
    return found.group(0).strip("<>") if found else None


def _date(value: object, unixfrom: bytes) -> datetime | None:
    if value is not None and str(value).strip():
        try:
            parsed = parsedate_to_datetime(str(value).strip())
            if parsed is not None:
                return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            pass
    fields = unixfrom.decode("latin-1").split()
    for count in (5, 6):  # "From addr  Thu Mar  3 18:20:35 2016" (sometimes a zone before the year)
        try:
            when = " ".join(fields[-count:][:4] + fields[-1:])
            return datetime.strptime(when, "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _body(message: Message) -> str | None:
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
    if part is None:
        part = message if not message.is_multipart() else None
    if part is None:
        return None
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("latin-1")
    return text.strip() or None
