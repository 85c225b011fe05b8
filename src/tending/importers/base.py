"""What every importer shares: reading a file, a folder or an archive as a stream of member files,
clear errors for unreadable input, and the items a parser yields besides records.

A parser is a generator `parse(path, *, options) -> Iterator[ParseItem]`. It does parsing only (no
database). Besides the records of tending.models it may yield:
- CommunityHint: the community's name as the export says it (Slack has none, Discord has the guild);
- Skip: something deliberately not imported (a service message, a deleted post), counted by reason;
- BadRecord: a malformed record; the import stops on it, or skips and lists it with --skip-bad.
Errors that make the whole input unreadable (empty file, not UTF-8, truncated archive) are raised as
BadInputError, once, with one sentence.
"""

from __future__ import annotations

import bz2
import gzip
import html
import io
import lzma
import os
import re
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, cast

from tending.errors import BadInputError
from tending.models import ImportRecord
from tending.texts import T_, Text

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar")


@dataclass(frozen=True, slots=True)
class CommunityHint:
    name: str


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


@dataclass(frozen=True, slots=True)
class BadRecord:
    path: str
    line: int | None
    field: str | None
    message: str | Text

    def error(self) -> BadInputError:
        return BadInputError(self.message, path=self.path, line=self.line, field=self.field)

    def describe(self) -> str:
        return str(self.error())


ParseItem = ImportRecord | CommunityHint | Skip | BadRecord


class ByteMeter:
    """Counts the bytes parsers have read, for the progress bar (total is None when unknown)."""

    def __init__(self) -> None:
        self.done = 0
        self.total: int | None = None


MiB = 1 << 20


@dataclass(frozen=True)
class Budget:
    """What one import may take, whatever the input's shape, so that memory stays flat (under 500 MB) and
    a hostile or broken file ends with one clear sentence instead of exhausting the machine:
    - max_depth: nesting of JSON arrays and objects (exports nest less than ten levels);
    - max_field_bytes: one value (a JSON string or number, a text line, an e-mail);
    - max_item_values: values in one JSON element (a message and its reactions);
    - max_json_bytes: a JSON file read whole (Slack's day files, Discourse topics);
    - max_bytes: bytes read in all, archives decompressed (None: no limit);
    - max_seconds: time spent parsing (None: no limit)."""

    max_depth: int = 64
    max_field_bytes: int = 64 * MiB
    max_item_values: int = 1_000_000
    max_json_bytes: int = 64 * MiB
    max_bytes: int | None = None
    max_seconds: float | None = 6 * 3600


@dataclass
class ParseOptions:
    """tz: the zone of local times in exports that carry no offset (WhatsApp, old Telegram).
    day_first: numeric dates such as 12/10/2026 are day first (tending's own CSV and JSON Lines).
    exported_at: the moment the export was made, against which "Hier à 18:30" or "il y a 2 semaines"
    resolve (None: the file's modification time)."""

    tz: tzinfo = UTC
    day_first: bool = False
    exported_at: datetime | None = None
    meter: ByteMeter | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    _deadline: float | None = field(default=None, init=False, repr=False)
    _read: int = field(default=0, init=False, repr=False)

    def charge(self, label: str, n: int) -> None:
        """Count `n` bytes read from `label` against the budget (time and size); raise once it is spent."""
        budget = self.budget
        if budget.max_seconds is not None:
            now = time.monotonic()
            if self._deadline is None:
                self._deadline = now + budget.max_seconds
            elif now > self._deadline:
                raise BadInputError(
                    Text(
                        T_(
                            "reading the export took longer than its time budget of %(seconds)s s; "
                            "split it into smaller files."
                        ),
                        seconds=f"{budget.max_seconds:g}",
                    ),
                    path=label,
                )
        self._read += n
        if budget.max_bytes is not None and self._read > budget.max_bytes:
            raise BadInputError(
                Text(
                    T_(
                        "the export holds more than %(size)s once unpacked, the most one import may "
                        "read; split it into smaller files."
                    ),
                    size=_size(budget.max_bytes),
                ),
                path=label,
            )


def too_deep(label: str, budget: Budget) -> BadInputError:
    return BadInputError(
        Text(
            T_(
                "the JSON is nested deeper than %(depth)s levels; no export does that: is the file "
                "damaged?"
            ),
            depth=budget.max_depth,
        ),
        path=label,
    )


# what too_large names: the whole file, one of its values, one line or message (with `line`)
THIS_JSON_FILE = T_("this JSON file")
ONE_JSON_VALUE = T_("one value of this JSON file")
ONE_LINE = T_("line %(line)s")
ONE_MESSAGE = T_("the message at line %(line)s")


def too_large(label: str, what: str, limit: int, line: int | None = None) -> BadInputError:
    """`what` is one of THIS_JSON_FILE, ONE_JSON_VALUE, ONE_LINE, ONE_MESSAGE (with `line`)."""
    return BadInputError(
        Text(
            T_(
                "%(what)s is larger than %(size)s, the most tending reads at once; is the file damaged?"
            ),
            what=Text(what, line=line),
            size=_size(limit),
        ),
        path=label,
        line=line,
    )


def _size(n: int) -> str:
    return f"{n // MiB} MB" if n % MiB == 0 else f"{n:,} bytes"


UNEXPECTED = (
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ValueError,
    OverflowError,
    RecursionError,
    UnicodeError,
)


def guarded(items: Iterator[ParseItem], kind: str, path: Path) -> Iterator[ParseItem]:
    """A parser's items, with any error a malformed export could still provoke (a value of a type the
    parser did not expect) turned into one sentence naming the input, never a traceback."""
    try:
        yield from items
    except BadInputError:
        raise
    except UNEXPECTED as error:
        raise BadInputError(
            Text(
                T_(
                    "a value of an unexpected type or shape stopped the %(kind)s importer "
                    "(%(error)s); is this a %(kind)s export?"
                ),
                kind=kind,
                error=type(error).__name__,
            ),
            path=str(path),
        ) from None


# -- sources: the files of a file, a folder or an archive ------------------------------------------


@dataclass
class SourceFile:
    """One file of the input. `name` is its path inside the input (for matching and messages)."""

    name: str
    label: str  # what error messages print: the file, or archive:member
    size: int | None
    _open: Callable[[], Any]
    folder: Path | None = (
        None  # the folder holding the file on disk (None inside an archive): media resolve here
    )
    budget: Budget = field(
        default_factory=Budget
    )  # what reading it may take (the import's ParseOptions)

    def open(self) -> IO[bytes]:
        return cast(IO[bytes], self._open())

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class _Metered(io.RawIOBase):
    """A read-only binary stream that reports how much was read, and turns archive damage into one
    clear sentence."""

    def __init__(self, raw: IO[bytes], options: ParseOptions, label: str) -> None:
        self.raw = raw
        self.meter = options.meter
        self.options = options
        self.label = label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (
            EOFError,
            zlib.error,
            lzma.LZMAError,
            OSError,
            zipfile.BadZipFile,
            tarfile.TarError,
        ) as error:
            raise truncated(self.label, error) from None
        n = len(data)
        buffer[:n] = data
        if self.meter is not None:
            self.meter.done += n
        self.options.charge(self.label, n)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def truncated(label: str, error: BaseException | None = None) -> BadInputError:
    return BadInputError(
        Text(
            T_(
                "the archive is truncated or damaged; export it again or copy it whole (%(error)s)."
            ),
            error=type(error).__name__ if error else "unexpected end",
        ),
        path=label,
    )


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_sources(path: Path, options: ParseOptions | None = None) -> Iterator[SourceFile]:
    """The files of `path`, sorted by name: the file itself, a folder's files (recursively), or an
    archive's members. Hidden files and macOS resource forks are left out."""
    meter = options or ParseOptions()
    if not path.exists():
        raise BadInputError(Text(T_("no such file or folder.")), path=str(path))
    if path.is_dir():
        yield from _folder_sources(path, meter)
    elif path.name.lower().endswith(".zip"):
        yield from _zip_sources(path, meter)
    elif is_archive(path):
        yield from _tar_sources(path, meter)
    else:
        yield _file_source(path, path.name, meter)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


def _file_source(path: Path, name: str, meter: ParseOptions) -> SourceFile:
    label = str(path)
    opener = _decompressing_opener(path)
    return SourceFile(
        name=name.removesuffix(".gz").removesuffix(".xz").removesuffix(".bz2")
        if opener is not None
        else name,
        label=label,
        size=path.stat().st_size,
        _open=lambda: _Metered(opener() if opener else open(path, "rb"), meter, label),
        folder=path.parent.absolute(),
        budget=meter.budget,
    )


def _decompressing_opener(path: Path) -> Callable[[], Any] | None:
    """A single compressed file (pipermail's 2016-March.txt.gz) reads as its content."""
    lower = path.name.lower()
    if lower.endswith(".gz"):
        return lambda: gzip.open(path, "rb")
    if lower.endswith(".xz"):
        return lambda: lzma.open(path, "rb")
    if lower.endswith(".bz2"):
        return lambda: bz2.open(path, "rb")
    return None


def _folder_sources(root: Path, meter: ParseOptions) -> Iterator[SourceFile]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for filename in filenames:
            full = Path(dirpath) / filename
            relative = full.relative_to(root).as_posix()
            if not _hidden(relative):
                files.append((relative, full))
    for relative, full in sorted(files):
        if is_archive(full):
            yield from iter_sources(full, meter)
        else:
            yield _file_source(full, relative, meter)


def _zip_sources(path: Path, meter: ParseOptions) -> Iterator[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
        infos = [
            info for info in archive.infolist() if not info.is_dir() and not _hidden(info.filename)
        ]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise truncated(str(path), error) from None
    for info in sorted(infos, key=lambda i: i.filename):
        label = f"{path}:{info.filename}"
        yield SourceFile(
            name=info.filename,
            label=label,
            size=info.file_size,
            _open=_zip_opener(archive, info, meter, label),
            budget=meter.budget,
        )


def _zip_opener(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, meter: ParseOptions, label: str
) -> Callable[[], Any]:
    def opener() -> Any:
        try:
            return _Metered(archive.open(info), meter, label)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise truncated(label, error) from None

    return opener


def _tar_sources(path: Path, meter: ParseOptions) -> Iterator[SourceFile]:
    """Members of a tar archive, in archive order (a compressed tar can only be read front to back)."""
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile() or _hidden(member.name):
                    continue
                label = f"{path}:{member.name}"
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                yield SourceFile(
                    name=member.name.removeprefix("./"),
                    label=label,
                    size=member.size,
                    _open=_opener(extracted, meter, label),
                    budget=meter.budget,
                )
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as error:
        raise truncated(str(path), error) from None


def _opener(data: IO[bytes], meter: ParseOptions, label: str) -> Callable[[], Any]:
    return lambda: _Metered(data, meter, label)


def sources_total(path: Path) -> int | None:
    """Bytes the parsers will read, when cheap to know (files, folders, zips); None for tar archives."""
    if path.is_dir():
        total = 0
        for dirpath, _dirs, filenames in os.walk(path):
            for filename in filenames:
                full = Path(dirpath) / filename
                if is_archive(full) or _decompressing_opener(full) is not None:
                    return None
                total += full.stat().st_size
        return total
    if path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError):
            return None
    if is_archive(path) or _decompressing_opener(path) is not None:
        return None
    return path.stat().st_size if path.exists() else None


def community_name_from_path(path: Path) -> str:
    """A community name for an export that carries none: the file or folder name, without suffixes."""
    name = path.resolve().name
    for suffix in (*ARCHIVE_SUFFIXES, ".gz", ".json", ".jsonl", ".csv", ".txt", ".mbox", ".xml"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name or "imported community"


# -- text and JSON -----------------------------------------------------------------------------------


def text_lines(source: SourceFile, budget: Budget | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line without its newline) of a UTF-8 text file; one clear error if it is empty, not
    UTF-8, or has a line longer than the budget's max_field_bytes (characters)."""
    limit = (budget or source.budget).max_field_bytes
    empty = True
    with source.open() as raw:
        stream = io.TextIOWrapper(
            io.BufferedReader(cast(Any, raw), 1 << 16), encoding="utf-8-sig", newline=""
        )
        number = 0
        try:
            while line := stream.readline(limit + 1):
                number += 1
                if len(line) > limit:
                    raise too_large(source.label, ONE_LINE, limit, number)
                empty = False
                yield number, line.rstrip("\r\n")
        except UnicodeDecodeError:
            raise not_utf8(source, number + 1) from None
    if empty:
        raise empty_file(source)


def text_stream(source: SourceFile) -> io.TextIOWrapper:
    raw = source.open()
    return io.TextIOWrapper(
        io.BufferedReader(cast(Any, raw), 1 << 16), encoding="utf-8-sig", newline=""
    )


def not_utf8(source: SourceFile, line: int | None = None) -> BadInputError:
    return BadInputError(
        Text(T_("the file is not UTF-8 text; save or export it as UTF-8 and try again.")),
        path=source.label,
        line=line,
    )


def empty_file(source: SourceFile) -> BadInputError:
    return BadInputError(Text(T_("the file is empty; nothing to import.")), path=source.label)


def read_json(source: SourceFile, budget: Budget | None = None) -> Any:
    """A whole JSON file (Slack and Discourse keep each file small: at most the budget's max_json_bytes).
    Errors name the file and line."""
    import json

    budget = budget or source.budget
    with source.open() as raw:
        data = raw.read(budget.max_json_bytes + 1)
    if len(data) > budget.max_json_bytes:
        raise too_large(source.label, THIS_JSON_FILE, budget.max_json_bytes)
    if not data.strip():
        raise empty_file(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise not_utf8(source, data.count(b"\n", 0, error.start) + 1) from None
    if too_nested(text, budget):
        raise too_deep(source.label, budget)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInputError(
            Text(
                T_("not valid JSON (%(reason)s, column %(column)s)."),
                reason=error.msg,
                column=error.colno,
            ),
            path=source.label,
            line=error.lineno,
        ) from None
    except RecursionError:
        raise too_deep(source.label, budget) from None


_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def too_nested(text: str, budget: Budget) -> bool:
    """Whether JSON text nests deeper than the budget, found before json.loads recurses into it: with the
    strings and everything but brackets taken out, each pass removes the innermost pairs (C-speed string
    work, a few passes for real exports). Unbalanced brackets are left for json.loads to report."""
    if text.count("[") + text.count("{") <= budget.max_depth:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _level in range(budget.max_depth):
        inner = brackets.replace("[]", "").replace("{}", "")
        if inner == brackets or not inner:
            return False
        brackets = inner
    return bool(brackets) and brackets.replace("[]", "").replace("{}", "") != brackets


# -- text ---------------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")


def media_path(folder: Path | None, raw: Any) -> str | None:
    """An image file an export names (Telegram's `photo`, a DiscordChatExporter attachment downloaded with
    --media, WhatsApp's "(file attached)"), as a path the moderation scan can open: absolute when the export
    was read from a folder on disk, else as written (relative to where the archive is unpacked: give that
    folder to `moderate scan --media-root`). None for anything else: a URL, a non-image file, Telegram's
    "(File not included. ...)" placeholder."""
    if not isinstance(raw, str) or not raw or raw.startswith("(") or "://" in raw:
        return None
    if not raw.lower().endswith(IMAGE_SUFFIXES):
        return None
    path = Path(raw)
    if path.is_absolute() or folder is None:
        return raw
    return str(folder / path)


def plain_text(rendered: str | None) -> str | None:
    """Rendered HTML (Stack Exchange bodies, Discourse cooked posts) as the plain text tending keeps."""
    if not rendered:
        return None
    return html.unescape(_TAG.sub("", rendered)).strip() or None


# -- time ------------------------------------------------------------------------------------------------


def from_epoch(seconds: float | str) -> datetime:
    """Raises ValueError for what is not a number of seconds in datetime's range ("1e999", "nan")."""
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError) as error:
        raise ValueError(f"{seconds!r} is out of range") from error


def parse_iso(text: str, tz: tzinfo = UTC) -> datetime:
    """ISO 8601 with or without an offset (local times are read in `tz`), as an aware UTC datetime.
    Raises ValueError (a number or anything else that is not text included)."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date in text")
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # year 1 in a zone east of UTC, year 9999 west of it
        raise ValueError(f"{text!r} is out of range") from error


# -- conversations in chats --------------------------------------------------------------------------

CONVERSATION_GAP_SECONDS = 6 * 3600


class Conversations:
    """Chats have no threads: a message after more than six hours of silence in its channel starts a
    new conversation (kind "post"); the messages that follow are replies in it. The rule looks only at
    earlier messages, so a newer export of the same chat cuts the same conversations (stable ids)."""

    def __init__(self, gap_seconds: int = CONVERSATION_GAP_SECONDS) -> None:
        self.gap = gap_seconds
        self.last: dict[str, tuple[datetime, str]] = {}

    def place(self, channel: str, message_id: str, at: datetime) -> tuple[str, bool]:
        """(thread external id, starts it) for a message of `channel` at `at`."""
        previous = self.last.get(channel)
        if previous is not None and (at - previous[0]).total_seconds() <= self.gap:
            thread = previous[1]
            self.last[channel] = (max(at, previous[0]), thread)
            return thread, False
        thread = f"{channel}:{message_id}"
        self.last[channel] = (at, thread)
        return thread, True


# -- large single JSON files ----------------------------------------------------------------------------

SCALAR_EVENTS = frozenset({"string", "number", "boolean", "null"})


def json_items(
    source: SourceFile, item_prefixes: tuple[str, ...], budget: Budget | None = None
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Stream the elements of the arrays at `item_prefixes` (ijson prefixes such as "messages.item") of a
    JSON file of any size. With each element comes `header`: the scalar values met outside the arrays so
    far, by prefix ("guild.name", "chats.list.item.id"), which is how the chat an element belongs to is
    known without holding the file in memory.

    The prefixes are followed here on ijson's basic events rather than by ijson.parse: its C backend
    builds every event's prefix (one word per level) for a whole buffer before yielding any, which made
    a 400 KB file of nested brackets take 21 GB. Depth, one element's values and each value's size are
    held to the budget."""
    import ijson

    budget = budget or source.budget
    header: dict[str, Any] = {}
    with source.open() as stream:
        if not stream.read(1 << 12).strip():
            raise empty_file(source)
    with source.open() as stream:
        try:
            yield from _items(
                _BoundedValues(stream, source.label, budget),
                item_prefixes,
                header,
                source.label,
                budget,
            )
        except ijson.IncompleteJSONError as error:
            raise _json_error(source, str(error)) from None
        except UnicodeDecodeError:
            raise not_utf8(source) from None


def _items(
    stream: Any, item_prefixes: tuple[str, ...], header: dict[str, Any], label: str, budget: Budget
) -> Iterator[tuple[dict[str, Any], Any]]:
    import ijson

    containers: list[tuple[str, bool]] = []  # (prefix, is a map) of the containers outside elements
    key = ""
    builder: Any = None
    depth = values = 0
    for event, value in ijson.basic_parse(stream, use_float=True):
        if builder is not None:
            builder.event(event, value)
            values += 1
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth + len(containers) > budget.max_depth:
                    raise too_deep(label, budget)
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if depth == 0:
                    yield header, builder.value
                    builder = None
            if values > budget.max_item_values:
                raise BadInputError(
                    Text(
                        T_(
                            "one element holds more than %(values)s values; no export does that: is "
                            "the file damaged?"
                        ),
                        values=f"{budget.max_item_values:,}",
                    ),
                    path=label,
                )
            continue
        if event == "map_key":
            key = value
            continue
        if event == "end_map" or event == "end_array":
            containers.pop()
            continue
        prefix = _prefix(containers, key)
        if event == "start_map" or event == "start_array":
            if prefix in item_prefixes:
                builder, depth, values = ijson.ObjectBuilder(), 1, 0
                builder.event(event, value)
            else:
                containers.append((prefix, event == "start_map"))
                if len(containers) > budget.max_depth:
                    raise too_deep(label, budget)
        elif prefix in item_prefixes:
            yield header, value
        elif prefix in header or len(header) < MAX_HEADER_VALUES:
            header[prefix] = value


MAX_HEADER_VALUES = (
    10_000  # scalars kept from outside the elements (a chat's id and name, a guild's)
)


def _prefix(containers: list[tuple[str, bool]], key: str) -> str:
    if not containers:
        return ""
    parent, is_map = containers[-1]
    child = key if is_map else "item"
    return f"{parent}.{child}" if parent else child


class _BoundedValues(io.RawIOBase):
    """A stream that refuses a value (string or number) longer than the budget: between two quotes of
    the JSON there are at most max_field_bytes, so the parser never holds a larger token."""

    def __init__(self, raw: IO[bytes], label: str, budget: Budget) -> None:
        self.raw = raw
        self.label = label
        self.limit = budget.max_field_bytes
        self.run = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        first = data.find(b'"')
        # reads are far smaller than the limit, so only a stretch across reads can exceed it
        if first < 0:
            self.run += n
        elif self.run + first > self.limit:
            self.run += first
        else:
            self.run = n - data.rfind(b'"') - 1
        if self.run > self.limit:
            raise too_large(self.label, ONE_JSON_VALUE, self.limit)
        return n


def _json_error(source: SourceFile, text: str) -> BadInputError:
    lower = text.lower()
    if "utf8" in lower or "utf-8" in lower:
        return not_utf8(source)
    if "premature eof" in lower or "incomplete" in lower:
        return BadInputError(
            Text(T_("the JSON ends too early: the file is truncated; export it again.")),
            path=source.label,
        )
    found = re.search(r"(parse|lexical) error: [a-z ,']+", lower)
    return BadInputError(
        Text(
            T_("not valid JSON (%(reason)s)."),
            reason=found.group(0).strip() if found else "parse error",
        ),
        path=source.label,
    )
