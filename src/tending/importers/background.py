"""Parsing in a child process, so that on a machine with two cores the parser and the database work at
the same time (the import's own process is then busy with the database only).

Threads would not do: the database drivers release the GIL once per row, and a parsing thread then
slows the writer down more than it helps. A forked child inherits the parser (a generator) as it is,
runs it, and sends its items through a pipe; records travel as plain tuples (a third of the cost of
pickling the dataclasses). At most READ_AHEAD batches wait to be read, so memory stays flat.

Errors keep their meaning: a TendingError raised by the parser (a malformed record names its file,
line and field) is raised again, with the same message, by the process that reads the items. Where
fork is not available or not safe, `run_in_child` is not used (see `can_fork`).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import fields
from multiprocessing.connection import Connection
from operator import attrgetter
from typing import Any

from tending.errors import BadInputError, TendingError, UsageError
from tending.importers.packed import activity_rows
from tending.models import (
    ActivityRecord,
    ActivityRows,
    Batch,
    ChannelRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.texts import Text

RECORD_TYPES: tuple[type[Any], ...] = (MemberRecord, ThreadRecord, ChannelRecord)
_GETTERS = {
    cls: (index, attrgetter(*(f.name for f in fields(cls))))
    for index, cls in enumerate(RECORD_TYPES)
}
READ_AHEAD = 8  # messages (batches) the child may have ready before the parent reads them
_ERRORS: dict[str, type[TendingError]] = {
    cls.__name__: cls for cls in (TendingError, UsageError, BadInputError)
}


def pack_records(records: Batch) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Records as (type, field values) tuples, cheap to pickle, and the activities as ActivityRows
    (importers/packed.py): instants as integers and `extra` encoded to JSON here, in the parsing
    process, so the writing process stores them as they come. (Pickling the records' aware datetimes
    cost the child 0.8 s per 250,000 activities, and the parent 0.2 s to load them.)"""
    getters = _GETTERS
    packed = []
    activities = []
    rows: list[tuple[Any, ...]] = []
    for record in records:
        if type(record) is ActivityRecord:
            activities.append(record)
        elif type(record) is ActivityRows:
            rows.extend(record.rows)
        else:
            index, getter = getters[type(record)]
            packed.append((index, getter(record)))
    return packed, rows + activity_rows(activities).rows


def unpack_records(packed: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]) -> Batch:
    types = RECORD_TYPES
    others, rows = packed
    records: Batch = [types[index](*values) for index, values in others]
    if rows:
        records.append(ActivityRows(rows))
    return records


def can_fork() -> bool:
    """Whether a child can be forked safely: the platform has fork, and this process runs no other thread
    (a lock another thread held at the fork would stay locked forever in the child; the web server's
    worker threads, for instance). Otherwise the import parses in its own process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def run_in_child(produce: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """The items of `produce()`, computed in a forked child process. Closing this generator (or an error
    while reading) ends the child."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(produce, writer, os.getpid()), name="tending-parse", daemon=True
    )
    child.start()
    writer.close()
    try:
        while True:
            try:
                tag, payload = reader.recv()
            except EOFError:
                raise TendingError("the parser process stopped unexpectedly.") from None
            if tag == "item":
                yield payload
            elif tag == "end":
                return
            else:
                raise _rebuilt(tag, payload)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        reader.close()


def _child(produce: Callable[[], Iterator[Any]], writer: Connection, parent: int) -> None:
    """Run `produce` and send its items. A sender thread writes to the pipe, so the parser goes on while
    the parent is busy (the pipe itself holds less than one batch): up to READ_AHEAD messages wait."""
    signal.signal(
        signal.SIGINT, signal.SIG_IGN
    )  # Ctrl-C is the parent's to handle: it ends the child
    die_with(parent)
    _without_collector()
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=READ_AHEAD)
    sender = threading.Thread(target=_send_all, args=(outbox, writer), daemon=True)
    sender.start()
    try:
        for count, item in enumerate(produce(), 1):
            outbox.put(pickle.dumps(("item", item), protocol=pickle.HIGHEST_PROTOCOL))
            if count % GC_EVERY_ITEMS == 0:
                gc.collect(0)
        outbox.put(pickle.dumps(("end", None)))
    except TendingError as error:
        outbox.put(
            pickle.dumps(
                (
                    "error",
                    (
                        type(error).__name__,
                        str(error),
                        getattr(error, "path", None),
                        getattr(error, "line", None),
                        getattr(error, "field", None),
                        error.as_data(),  # to show it in French too, or store it
                    ),
                )
            )
        )
    except BaseException:
        outbox.put(pickle.dumps(("crash", traceback.format_exc())))
    finally:
        outbox.put(None)
        sender.join()
        writer.close()


GC_EVERY_ITEMS = 40  # items (batches) sent between two collections of the youngest objects


def _without_collector() -> None:
    """No automatic garbage collection in the parsing child. Every record the parser makes is a new
    container, so the collector ran every 700 allocations and walked the batches waiting to be sent,
    and everything the fork inherited from the parent: a 200,000-activity jsonl cost the child 6.8 s of CPU
    against 1.5 s of bare parsing. Records die by reference counting once pickled; `gc.freeze` moves
    what the fork inherited out of the collector's sight, and `_child` collects the youngest objects
    every GC_EVERY_ITEMS items so that reference cycles (rare) cannot pile up."""
    gc.disable()
    gc.freeze()


def die_with(parent: int) -> None:
    """End this child when its parent dies, however it dies (kill -9 included): a child left behind parsed
    on, then waited forever on a full pipe, holding the parent's PostgreSQL connection (inherited by the
    fork) idle in its transaction, locks and all. On Linux the kernel sends SIGKILL (PR_SET_PDEATHSIG);
    elsewhere a thread checks the parent every second."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="tending-parse-watch").start()


PR_SET_PDEATHSIG = 1


def _send_all(outbox: queue.Queue[bytes | None], writer: Connection) -> None:
    while (message := outbox.get()) is not None:
        try:
            writer.send_bytes(message)
        except (
            OSError
        ):  # the parent has gone or stopped reading: the parser must not wait on a full queue
            os._exit(0)


def _rebuilt(tag: str, payload: Any) -> BaseException:
    if tag == "crash":
        return RuntimeError(f"the parser failed:\n{payload}")
    name, message, path, line, field, data = payload
    cls = _ERRORS.get(name, TendingError)
    error = cls.__new__(cls)
    Exception.__init__(error, message)  # the message already names the file, line and field
    said = data or {}
    error.text = Text.from_data(said["text"]) if "text" in said else None
    if isinstance(error, BadInputError):
        error.path, error.line, error.field = path, line, field
        error.sentence = error.text if error.text is not None else str(said.get("plain", message))
    return error
