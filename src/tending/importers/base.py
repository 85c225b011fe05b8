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
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, cast

from tending.errors import BadInputError
from tending.models import ImportRecord

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
    message: str

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


# -- sources: the files of a file, a folder or an archive ------------------------------------------


@dataclass
class SourceFile:
    """One file of the input. `name` is its path inside the input (for matching and messages)."""

    name: str
    label: str  # what error messages print: the file, or archive:member
    size: int | None
    _open: Callable[[], Any]
    folder: Path | None = None  # the folder holding the file on disk (None inside an archive): media resolve here

    def open(self) -> IO[bytes]:
        return cast(IO[bytes], self._open())

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class _Metered(io.RawIOBase):
    """A read-only binary stream that reports how much was read, and turns archive damage into one
    clear sentence."""

    def __init__(self, raw: IO[bytes], meter: ByteMeter | None, label: str) -> None:
        self.raw = raw
        self.meter = meter
        self.label = label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (EOFError, zlib.error, lzma.LZMAError, OSError, zipfile.BadZipFile, tarfile.TarError) as error:
            raise truncated(self.label, error) from None
        n = len(data)
        buffer[:n] = data
        if self.meter is not None:
            self.meter.done += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def truncated(label: str, error: BaseException | None = None) -> BadInputError:
    return BadInputError("the archive is truncated or damaged; export it again or copy it whole "
                         f"({type(error).__name__ if error else 'unexpected end'}).", path=label)


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_sources(path: Path, options: ParseOptions | None = None) -> Iterator[SourceFile]:
    """The files of `path`, sorted by name: the file itself, a folder's files (recursively), or an
    archive's members. Hidden files and macOS resource forks are left out."""
    meter = options.meter if options else None
    if not path.exists():
        raise BadInputError("no such file or folder.", path=str(path))
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


def _file_source(path: Path, name: str, meter: ByteMeter | None) -> SourceFile:
    label = str(path)
    opener = _decompressing_opener(path)
    return SourceFile(name=name.removesuffix(".gz").removesuffix(".xz").removesuffix(".bz2")
                      if opener is not None else name, label=label, size=path.stat().st_size,
                      _open=lambda: _Metered(opener() if opener else open(path, "rb"), meter, label),
                      folder=path.parent.absolute())


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


def _folder_sources(root: Path, meter: ByteMeter | None) -> Iterator[SourceFile]:
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
            yield from iter_sources(full, ParseOptions(meter=meter))
        else:
            yield _file_source(full, relative, meter)


def _zip_sources(path: Path, meter: ByteMeter | None) -> Iterator[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
        infos = [info for info in archive.infolist() if not info.is_dir() and not _hidden(info.filename)]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise truncated(str(path), error) from None
    for info in sorted(infos, key=lambda i: i.filename):
        label = f"{path}:{info.filename}"
        yield SourceFile(name=info.filename, label=label, size=info.file_size,
                         _open=_zip_opener(archive, info, meter, label))


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo, meter: ByteMeter | None,
                label: str) -> Callable[[], Any]:
    def opener() -> Any:
        try:
            return _Metered(archive.open(info), meter, label)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise truncated(label, error) from None
    return opener


def _tar_sources(path: Path, meter: ByteMeter | None) -> Iterator[SourceFile]:
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
                yield SourceFile(name=member.name.removeprefix("./"), label=label, size=member.size,
                                 _open=_opener(extracted, meter, label))
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as error:
        raise truncated(str(path), error) from None


def _opener(data: IO[bytes], meter: ByteMeter | None, label: str) -> Callable[[], Any]:
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


def text_lines(source: SourceFile) -> Iterator[tuple[int, str]]:
    """(line number, line without its newline) of a UTF-8 text file; one clear error if it is empty or
    not UTF-8."""
    empty = True
    with source.open() as raw:
        stream = io.TextIOWrapper(io.BufferedReader(cast(Any, raw), 1 << 16), encoding="utf-8-sig", newline="")
        number = 0
        try:
            for number, line in enumerate(stream, start=1):
                empty = False
                yield number, line.rstrip("\r\n")
        except UnicodeDecodeError:
            raise not_utf8(source, number + 1) from None
    if empty:
        raise empty_file(source)


def text_stream(source: SourceFile) -> io.TextIOWrapper:
    raw = source.open()
    return io.TextIOWrapper(io.BufferedReader(cast(Any, raw), 1 << 16), encoding="utf-8-sig", newline="")


def not_utf8(source: SourceFile, line: int | None = None) -> BadInputError:
    return BadInputError("the file is not UTF-8 text; save or export it as UTF-8 and try again.",
                         path=source.label, line=line)


def empty_file(source: SourceFile) -> BadInputError:
    return BadInputError("the file is empty; nothing to import.", path=source.label)


def read_json(source: SourceFile) -> Any:
    """A whole JSON file (Slack and Discourse keep each file small). Errors name the file and line."""
    import json

    with source.open() as raw:
        data = raw.read()
    if not data.strip():
        raise empty_file(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise not_utf8(source, data.count(b"\n", 0, error.start) + 1) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInputError(f"not valid JSON ({error.msg}, column {error.colno}).", path=source.label,
                            line=error.lineno) from None


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
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def parse_iso(text: str, tz: tzinfo = UTC) -> datetime:
    """ISO 8601 with or without an offset (local times are read in `tz`), as an aware UTC datetime.
    Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


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


def json_items(source: SourceFile, item_prefixes: tuple[str, ...]) -> Iterator[tuple[dict[str, Any], Any]]:
    """Stream the elements of the arrays at `item_prefixes` (ijson prefixes such as "messages.item") of a
    JSON file of any size. With each element comes `header`: the scalar values met outside the arrays so
    far, by prefix ("guild.name", "chats.list.item.id"), which is how the chat an element belongs to is
    known without holding the file in memory."""
    import ijson

    header: dict[str, Any] = {}
    with source.open() as stream:
        if not stream.read(1 << 12).strip():
            raise empty_file(source)
    with source.open() as stream:
        builder: Any = None
        depth = 0
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if builder is None:
                    if prefix in item_prefixes and event in ("start_map", "start_array"):
                        builder, depth = ijson.ObjectBuilder(), 0
                    elif event in SCALAR_EVENTS:
                        if prefix in item_prefixes:
                            yield header, value
                        else:
                            header[prefix] = value
                        continue
                    else:
                        continue
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        yield header, builder.value
                        builder = None
        except ijson.IncompleteJSONError as error:
            raise _json_error(source, str(error)) from None
        except UnicodeDecodeError:
            raise not_utf8(source) from None


def _json_error(source: SourceFile, text: str) -> BadInputError:
    lower = text.lower()
    if "utf8" in lower or "utf-8" in lower:
        return not_utf8(source)
    if "premature eof" in lower or "incomplete" in lower:
        return BadInputError("the JSON ends too early: the file is truncated; export it again.", path=source.label)
    found = re.search(r"(parse|lexical) error: [a-z ,']+", lower)
    return BadInputError(f"not valid JSON ({found.group(0).strip() if found else 'parse error'}).", path=source.label)
