"""tending's own format as JSON Lines: one JSON object per line (docs/import-format.md).

Lines are read one at a time, so memory stays flat however long the file is. Blank lines are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from tending.importers.base import (
    BadRecord,
    ParseItem,
    ParseOptions,
    iter_sources,
    text_lines,
    too_nested,
)
from tending.importers.rows import RowReader, modified_at
from tending.texts import T_, Text

KIND = "jsonl"
PLATFORM = "custom"
DESCRIPTION = "tending's own format, JSON Lines (one activity or member per line)"
SUFFIXES = (".jsonl", ".ndjson", ".json")


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    reader = RowReader(
        options.tz,
        day_first=options.day_first,
        exported_at=options.exported_at or modified_at(path),
    )
    loads = json.loads
    for source in iter_sources(path, options):
        if not source.name.lower().endswith(SUFFIXES):
            continue
        for number, line in text_lines(source):
            if not line.strip():
                continue
            try:
                if too_nested(line, source.budget):
                    raise RecursionError
                row = loads(line)
            except json.JSONDecodeError as error:
                yield BadRecord(
                    source.label,
                    number,
                    None,
                    Text(
                        T_("not a JSON object (%(reason)s, column %(column)s)."),
                        reason=error.msg,
                        column=error.colno,
                    ),
                )
                continue
            except RecursionError:
                yield BadRecord(
                    source.label,
                    number,
                    None,
                    Text(
                        T_("the JSON is nested deeper than %(depth)s levels."),
                        depth=source.budget.max_depth,
                    ),
                )
                continue
            if not isinstance(row, dict):
                yield BadRecord(
                    source.label, number, None, Text(T_("each line must be a JSON object {...}."))
                )
                continue
            yield from reader.items(row, source.label, number)
