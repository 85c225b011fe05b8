"""tending's own format as CSV: a header row naming the fields, then one row per activity or member
(docs/import-format.md). Comma, semicolon or tab separated (spreadsheets in French locales save with
semicolons); UTF-8, with or without a byte order mark."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from tending.errors import BadInputError
from tending.importers.base import (
    BadRecord,
    ParseItem,
    ParseOptions,
    empty_file,
    iter_sources,
    not_utf8,
    text_stream,
)
from tending.importers.rows import RowReader, modified_at
from tending.texts import T_, TN_, Text

KIND = "csv"
PLATFORM = "custom"
DESCRIPTION = (
    "tending's own format, CSV with a header row (e.g. built from a Facebook group's member list)"
)
SUFFIXES = (".csv", ".tsv", ".txt")


def parse(path: Path, *, options: ParseOptions | None = None) -> Iterator[ParseItem]:
    options = options or ParseOptions()
    reader = RowReader(
        options.tz,
        day_first=options.day_first,
        exported_at=options.exported_at or modified_at(path),
    )
    for source in iter_sources(path, options):
        if not source.name.lower().endswith(SUFFIXES):
            continue
        with text_stream(source) as stream:
            try:
                head = stream.readline()
                if not head.strip():
                    raise empty_file(source)
                dialect = _dialect(head)
                columns = next(csv.reader([head], dialect))
                _check_header(columns, source.label)
                rows = csv.reader(stream, dialect)
                for row in rows:
                    number = rows.line_num + 1  # the header was read separately
                    if not any(cell.strip() for cell in row):
                        continue
                    if len(row) > len(columns):
                        yield BadRecord(
                            source.label,
                            number,
                            None,
                            Text(
                                T_("%(cells)s but the header names %(fields)s."),
                                cells=Text(TN_("%(n)s cell", "%(n)s cells"), n=len(row)),
                                fields=Text(TN_("%(n)s field", "%(n)s fields"), n=len(columns)),
                            ),
                        )
                        continue
                    yield from reader.items(
                        dict(zip(columns, row, strict=False)), source.label, number
                    )
            except UnicodeDecodeError:
                raise not_utf8(source) from None
            except csv.Error as error:
                raise BadInputError(
                    Text(T_("not readable as CSV (%(reason)s)."), reason=error), path=source.label
                ) from None


def _dialect(head: str) -> type[csv.Dialect]:
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])

    class Dialect(csv.excel):
        delimiter = best

    return Dialect


def _check_header(columns: list[str], label: str) -> None:
    for i, name in enumerate(columns):
        columns[i] = name.strip().lower()
    missing = [name for name in ("member_id", "kind") if name not in columns]
    if missing:
        raise BadInputError(
            Text(
                T_(
                    "the header row has no %(columns)s column (see docs/import-format.md for the fields)."
                )
                if len(missing) == 1
                else T_(
                    "the header row has no %(columns)s and no %(other)s column (see "
                    "docs/import-format.md for the fields)."
                ),
                columns=missing[0],
                other=missing[-1],
            ),
            path=label,
            line=1,
        )
