"""Importing an export: parse it, write it through the Ingestor in one transaction, log it, audit it.

All or nothing: the whole import is one transaction, so a malformed record, a truncated archive or an
interruption leaves the database exactly as it was. With skip_bad, malformed records are left out and
listed instead. check_only runs the very same import and rolls it back, so its counts are exactly what
a real import would add.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tending.errors import BadInputError, TendingError, UsageError, error_in
from tending.importers import KINDS as KINDS  # re-exported for the shells
from tending.importers import get_importer as get_importer
from tending.importers import packed
from tending.importers.background import can_fork, pack_records, run_in_child, unpack_records
from tending.importers.base import (
    BadRecord,
    Budget,
    ByteMeter,
    CommunityHint,
    ParseItem,
    ParseOptions,
    Skip,
    community_name_from_path,
    guarded,
    is_archive,
    parse_iso,
    sources_total,
)
from tending.models import (
    ActivityRecord,
    ActivityRows,
    Batch,
    ChannelRecord,
    Community,
    ImportLogEntry,
    MemberRecord,
    ThreadRecord,
)
from tending.store.audit import record_event
from tending.store.communities import (
    do_create_community,
    find_community,
    get_communities,
    get_communities_knowing,
)
from tending.store.imports import count_imports as count_imports
from tending.store.imports import get_imports as get_imports
from tending.store.imports import record_import
from tending.store.ingest import (
    IngestCounts,
    Ingestor,
    StoredRows,
    bulk_pays,
    count_stored_activities,
    import_settings,
)
from tending.texts import T_, Text
from tending.timeutil import get_zone, utcnow

BATCH_SIZE = 5000
BACKGROUND_BYTES = 4 << 20  # inputs from this size on are parsed in a child process
GC_EVERY_BATCHES = (
    20  # batches of BATCH_SIZE records between two collections of the youngest objects
)
ROLLUP_EVERY = 100_000  # activities folded into the rollups at once (the import is one transaction)
MAX_LISTED_BAD = 100
INTERRUPTED = Text(T_("interrupted"))  # the log's word for an import stopped by Ctrl-C

METHODS = (
    "auto",
    "bulk",
    "batches",
)  # how an import writes: chosen by cost, or forced (tests, benchmarks)


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is, for a progress bar: the phase ("reading": hashing the input and parsing its
    first records; "writing": rows going in, batch by batch; "rollups": the bulk path's set-based pass;
    "indexes": building the indexes set aside again), the records read, the input's bytes read and in
    all (None when unknown), and the rows the phase works on (rollups, indexes)."""

    phase: str
    records: int
    bytes_done: int
    bytes_total: int | None
    rows: int = 0


Progress = Callable[[ImportProgress], None]


@dataclass
class ImportSummary:
    kind: str
    source_path: str
    community: str
    file_hash: str
    check_only: bool
    records: int = 0
    counts: IngestCounts = field(default_factory=IngestCounts)
    skipped: Counter[str] = field(default_factory=Counter)
    bad: list[BadRecord] = field(default_factory=list)  # the first MAX_LISTED_BAD
    bad_count: int = 0
    duration_s: float = 0.0
    import_id: int | None = None

    def bad_lines(self, language: str) -> list[str]:
        """The malformed records listed, each in one sentence in `language`."""
        return [record.error().in_language(language) for record in self.bad]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source_path,
            "community": self.community,
            "file_hash": self.file_hash,
            "check_only": self.check_only,
            "records": self.records,
            "added": {
                "members": self.counts.members_added,
                "activities": self.counts.activities_added,
                "channels": self.counts.channels_added,
                "threads": self.counts.threads_added,
            },
            "updated": {"members": self.counts.members_updated},
            "unchanged": {
                "members": self.counts.members_unchanged,
                "activities": self.counts.activities_unchanged,
            },
            "skipped": dict(sorted(self.skipped.items())),
            "bad_records": self.bad_count,
            "bad": [record.describe() for record in self.bad],
            "duration_s": round(self.duration_s, 3),
            "import_id": self.import_id,
        }


class _CheckDone(Exception):
    """Raised to roll back a --check run after it has computed its counts."""


def hash_path(path: Path, read: Callable[[int], None] | None = None) -> str:
    """sha256 of the file; for a folder, of its files' relative names and contents, in name order.
    `read` is told the bytes read so far, every 16 MB."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    done = 0
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                done += len(chunk)
                if read is not None and done % (16 << 20) < len(chunk):
                    read(done)
    if read is not None:
        read(done)
    return digest.hexdigest()


def _hash_progress(progress: Progress | None, total: int | None) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(ImportProgress("reading", 0, done, total))


def upload_budget() -> Budget:
    """What an upload may take in the server's process: an hour of parsing, 16 GB once unpacked (an upload
    is at most 2 GB), and the importers' bounds on depth and size, which keep memory under 500 MB."""
    return Budget(max_seconds=3600, max_bytes=16 << 30)


def do_import(
    engine: Engine,
    kind: str,
    path: Path | str,
    *,
    community_name: str | None = None,
    check_only: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
    timezone: str | None = None,
    day_first: bool | None = None,
    exported_at: datetime | None = None,
    actor: str = "cli",
    budget: Budget | None = None,
    method: str = "auto",
) -> ImportSummary:
    """Import the export at `path` (a file, a folder or an archive) of the given kind. Raises
    BadInputError (nothing written) on malformed input unless skip_bad, or when the input exceeds the
    budget (depth, size, time; importers.base.Budget); UsageError on a wrong kind.
    day_first: how numeric dates (12/10/2026) read in tending's own format; None: day first when the
    community writes French. exported_at: what relative dates ("Hier à 18:30") count from; None: the
    file's modification time. method: "auto" (the bulk path when it costs less, see `_choose_path`),
    "bulk" or "batches" to force one (both write the same rows)."""
    if method not in METHODS:
        raise UsageError(f"method: '{method}' is not one of {', '.join(METHODS)}.")
    importer = get_importer(kind)
    path = Path(path)
    if not path.exists():
        raise TendingError(f"{path}: no such file or folder.")
    _check_readable(path)
    started, clock = utcnow(), time.perf_counter()
    meter = ByteMeter()
    meter.total = sources_total(path)
    file_hash = hash_path(path, _hash_progress(progress, meter.total))
    summary = ImportSummary(
        kind=importer.KIND,
        source_path=str(path),
        community=community_name or "",
        file_hash=file_hash,
        check_only=check_only,
    )
    try:
        with engine.connect() as conn, import_settings(conn), conn.begin():
            existing = _reading_community(conn, community_name, path)
            zone = get_zone(timezone or (existing.timezone if existing else "UTC"))
            if day_first is None:
                day_first = existing is not None and existing.language == "fr"
            options = ParseOptions(
                tz=zone,
                meter=meter,
                budget=budget or Budget(),
                day_first=day_first,
                exported_at=exported_at,
            )
            items = guarded(importer.parse(path, options=options), importer.KIND, path)
            community = _run(
                conn,
                items,
                summary,
                importer.PLATFORM,
                path,
                community_name,
                timezone,
                skip_bad,
                progress,
                meter,
                method,
            )
            summary.duration_s = time.perf_counter() - clock
            if check_only:
                raise _CheckDone
            summary.import_id = record_import(
                conn,
                community.id,
                kind=importer.KIND,
                source_path=str(path),
                file_hash=file_hash,
                status="ok",
                started_at=started,
                finished_at=utcnow(),
                duration_ms=int(summary.duration_s * 1000),
                counts=_logged_counts(summary),
            )
            record_event(
                conn,
                community.id,
                actor=actor,
                action="import.completed",
                details={
                    "import_id": summary.import_id,
                    "kind": importer.KIND,
                    "file_hash": file_hash,
                    **_logged_counts(summary),
                },
            )
    except _CheckDone:
        return summary
    except (TendingError, KeyboardInterrupt) as error:
        _log_failure(
            engine, summary.community, importer.KIND, path, file_hash, started, clock, error
        )
        raise
    return summary


def _reading_community(conn: Connection, named: str | None, path: Path) -> Community | None:
    """The community whose language and time zone the dates are read in, before parsing shows where the
    import goes: the one named; else the one the file is named after; else, when every community there is
    writes the same language in the same zone (one community, typically: a re-import without
    --community), any of them, since the import goes into one of them or is refused."""
    if named:
        return find_community(conn, named)
    by_path = find_community(conn, community_name_from_path(path))
    if by_path is not None:
        return by_path
    every = get_communities(conn)
    if every and len({(c.language, c.timezone) for c in every}) == 1:
        return every[0]
    return None


def parse_exported_at(text: str | None, timezone: str | None) -> datetime | None:
    """--exported-at: ISO 8601, a local time read in `timezone` (default UTC). Raises UsageError."""
    if text is None:
        return None
    try:
        return parse_iso(text, get_zone(timezone or "UTC"))
    except ValueError:
        raise UsageError(
            f"--exported-at: '{text}' is not a date and time: use ISO 8601, e.g. 2026-12-03T09:00."
        ) from None


def _check_readable(path: Path) -> None:
    if path.is_file() and not is_archive(path) and path.stat().st_size == 0:
        raise BadInputError("the file is empty; nothing to import.", path=str(path))
    if path.is_dir() and not any(p.is_file() for p in path.rglob("*")):
        raise BadInputError("the folder holds no file; nothing to import.", path=str(path))
    if not os.access(path, os.R_OK):
        raise TendingError(f"{path}: cannot be read (permission denied).")


def _run(
    conn: Connection,
    items: Iterator[ParseItem],
    summary: ImportSummary,
    platform: str,
    path: Path,
    community_name: str | None,
    timezone: str | None,
    skip_bad: bool,
    progress: Progress | None,
    meter: ByteMeter,
    method: str,
) -> Community:
    """Feed the parser's records to an Ingestor in batches; the community is found or created once the
    first batch has shown what the export calls it. Before each batch, `_choose_path` says whether the
    rest goes the bulk path."""
    if progress is not None:
        progress(ImportProgress("reading", 0, meter.done, meter.total))
    batches = _batches(items, summary, skip_bad)
    if _parse_in_background(meter):
        batches = _batches_from_child(batches, summary, meter)
    first = next(batches, None)
    community = _destination(conn, summary.community or None, first, platform, path, timezone)
    summary.community = community.name
    ingestor = Ingestor(conn, community, rollup_every=ROLLUP_EVERY)
    if progress is not None:
        ingestor.on_phase = lambda phase, rows: progress(
            ImportProgress(phase, summary.records, meter.done, meter.total, rows)
        )
    stored = count_stored_activities(conn, community.id)
    with _collecting_every(GC_EVERY_BATCHES) as collect:
        for batch in itertools.chain([first] if first else [], batches):
            if not ingestor.in_bulk and _choose_path(method, ingestor, batch[1], meter, stored):
                ingestor.load_in_bulk()
            _ingest(ingestor, batch[1], summary, progress, meter)
            collect()
        ingestor.finish()
    summary.counts = ingestor.counts
    if summary.records == 0 and not summary.skipped and not summary.bad_count:
        raise BadInputError(
            f"found nothing to import as {summary.kind}; is this the right KIND and file?",
            path=str(path),
        )
    return community


@contextmanager
def _collecting_every(batches: int) -> Iterator[Callable[[], None]]:
    """Python's automatic garbage collector ran about 850 times per 100,000 activities, re-examining each
    batch's records and the ingest's id caches: 0.5 to 0.7 s of the writing process's CPU (measured with
    gc.callbacks), for about 10,000 unreachable objects. During the ingest loop it is off, and the
    youngest generation is collected every `batches` batches instead (memory stays flat: the 1 GB export
    of benchmarks/import_speed.py); it is switched back on afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    count = 0

    def collect() -> None:
        nonlocal count
        count += 1
        if count % batches == 0:
            gc.collect(0)

    try:
        yield collect
    finally:
        if was_enabled:
            gc.enable()


def _ingest(
    ingestor: Ingestor,
    records: Batch,
    summary: ImportSummary,
    progress: Progress | None,
    meter: ByteMeter,
) -> None:
    ingestor.add(records)
    summary.records += record_count(records)
    if progress is not None:
        progress(ImportProgress("writing", summary.records, meter.done, meter.total))


def _choose_path(
    method: str,
    ingestor: Ingestor,
    batch: Batch,
    meter: ByteMeter,
    stored: StoredRows,
) -> bool:
    """Whether the import takes the bulk path from this batch on (store/ingest.py `bulk_pays` weighs the
    measured costs). The activities the whole export will add are estimated from what was read so far:
    the records seen, scaled by the input's bytes in all over the bytes read (when the size is known),
    times the share of them that turned out new (a community that holds nothing yet: all of them;
    otherwise known once the first batch is written, which goes batch by batch)."""
    if method != "auto":
        return method == "bulk"
    counts = ingestor.counts
    written = counts.activities_added + counts.activities_unchanged
    if not written and stored.community:
        return False
    seen = written + record_count(
        batch
    )  # members, threads and channels too: a rough upper bound suffices
    scale = meter.total / meter.done if meter.total and meter.done else 1.0
    new_share = counts.activities_added / written if written else 1.0
    return bulk_pays(
        expected=int(seen * scale * new_share), stored=stored, dialect=ingestor.conn.dialect.name
    )


def _batches(
    items: Iterator[ParseItem], summary: ImportSummary, skip_bad: bool
) -> Iterator[tuple[list[CommunityHint], Batch]]:
    """Batches of records; hints are kept aside, skips counted, bad records raised or listed."""
    hints: list[CommunityHint] = []
    records: Batch = []
    for item in items:
        if isinstance(item, ActivityRecord | MemberRecord | ChannelRecord | ThreadRecord):
            records.append(item)
            if len(records) >= BATCH_SIZE:
                yield hints, records
                hints, records = [], []
        elif isinstance(item, Skip):
            summary.skipped[item.reason] += 1
        elif isinstance(item, BadRecord):
            if not skip_bad:
                raise item.error()
            summary.bad_count += 1
            if len(summary.bad) < MAX_LISTED_BAD:
                summary.bad.append(item)
        elif isinstance(item, CommunityHint):
            hints.append(item)
    if hints or records:
        yield hints, records


def _parse_in_background(meter: ByteMeter) -> bool:
    """Parse in a child process when the input is large enough for it to pay (and fork exists)."""
    return can_fork() and (meter.total is None or meter.total >= BACKGROUND_BYTES)


def _batches_from_child(
    batches: Iterator[tuple[list[CommunityHint], Batch]],
    summary: ImportSummary,
    meter: ByteMeter,
) -> Iterator[tuple[list[CommunityHint], Batch]]:
    """`batches` computed by a child process (importers/background.py). The child counts skips and bad
    records in its copy of the summary and the bytes read in its copy of the meter: both come back."""

    def produce() -> Iterator[tuple[Any, ...]]:
        for hints, records in batches:
            yield "batch", hints, pack_records(records), meter.done
        yield "end", summary.skipped, summary.bad, summary.bad_count

    for message in run_in_child(produce):
        if message[0] == "batch":
            meter.done = message[3]
            yield message[1], unpack_records(message[2])
        else:
            summary.skipped, summary.bad, summary.bad_count = message[1], message[2], message[3]


def _destination(
    conn: Connection,
    named: str | None,
    first: tuple[list[CommunityHint], Batch] | None,
    default_platform: str,
    path: Path,
    timezone: str | None,
) -> Community:
    """The community an import goes into. Named by --community: that one (created on the first import).
    Otherwise the one the export names or its file is named after, if it exists; else the community that
    the same source already fed (it knows the export's first members); else, for an export that names no
    community (CSV, JSON Lines, mbox), the only community of that platform; and a first import creates
    one. Several candidates and no clue: refused with the list, so a forgotten --community never
    duplicates every member into a second community."""
    records = first[1] if first else []
    platform = _platform(records, default_platform)
    hint = named or _first_hint(first)
    for name in (hint, None if named else community_name_from_path(path)):
        found = find_community(conn, name) if name else None
        if found is not None:
            return found
    if named is None:
        fed = get_communities_knowing(conn, platform, _first_member_ids(records, platform))
        candidates = fed or (
            [] if hint else [c for c in get_communities(conn) if c.platform == platform]
        )
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            names = ", ".join(f"'{c.name}'" for c in candidates)
            raise UsageError(
                f"{path}: which community is this export of? Name it with --community NAME "
                f"(the {platform} communities: {names}), or a new name to create one."
            )
    return do_create_community(
        conn,
        hint or community_name_from_path(path),
        platform=platform,
        timezone=timezone or "UTC",
        actor="import",
    )


def _first_member_ids(records: Batch, platform: str) -> list[str]:
    ids: dict[str, None] = {}
    for record in records:
        if isinstance(record, MemberRecord) and record.source == platform:
            ids[record.external_id] = None
        elif isinstance(record, ActivityRecord) and record.source == platform:
            ids[record.member_external_id] = None
        elif isinstance(record, ActivityRows):
            for row in record.rows[:200]:
                if row[packed.SOURCE] == platform:
                    ids[row[packed.MEMBER]] = None
        if len(ids) >= 200:
            break
    return list(ids)


def _first_hint(first: tuple[list[CommunityHint], Batch] | None) -> str | None:
    if first and first[0]:
        return first[0][0].name
    return None


def _platform(records: Batch, default: str) -> str:
    for record in records:
        if isinstance(record, MemberRecord | ActivityRecord):
            return record.source
        if isinstance(record, ActivityRows) and record.rows:
            return str(record.rows[0][packed.SOURCE])
    return default


def record_count(records: Batch) -> int:
    return sum(len(r) if isinstance(r, ActivityRows) else 1 for r in records)


def _logged_counts(summary: ImportSummary) -> dict[str, Any]:
    return {
        **summary.counts.as_dict(),
        "records": summary.records,
        "skipped": dict(summary.skipped),
        "bad_records": summary.bad_count,
    }


def import_error_in(row: ImportLogEntry, language: str) -> str | None:
    """A failed import's error in `language`; a row logged before errors were stored as texts has only
    its English sentence."""
    if row.error_text:
        try:
            return error_in(row.error_text, language)
        except (KeyError, TypeError, ValueError):  # a text an older version stored differently
            pass
    return row.error


def _log_failure(
    engine: Engine,
    community_name: str,
    kind: str,
    path: Path,
    file_hash: str,
    started: Any,
    clock: float,
    error: BaseException,
) -> None:
    """A failed import leaves no data behind, only a line in the log (when its community exists)."""
    message = str(error) if isinstance(error, TendingError) else "interrupted"
    text = error.as_data() if isinstance(error, TendingError) else {"text": INTERRUPTED.as_data()}
    try:
        with engine.begin() as conn:
            community = find_community(conn, community_name) if community_name else None
            if community is not None:
                record_import(
                    conn,
                    community.id,
                    kind=kind,
                    source_path=str(path),
                    file_hash=file_hash,
                    status="failed",
                    started_at=started,
                    finished_at=utcnow(),
                    duration_ms=int((time.perf_counter() - clock) * 1000),
                    counts={},
                    error=message,
                    error_text=text,
                )
    except (
        SQLAlchemyError
    ):  # the database itself failed (full, locked, gone): the first error is the one to show
        pass
