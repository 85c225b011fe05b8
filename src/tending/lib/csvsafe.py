"""CSV cells a spreadsheet would run as a formula are neutralised before tending writes them.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return can be read by Excel, LibreOffice or Google
Sheets as a formula (CSV injection: a member named `=HYPERLINK(...)` in an export a moderator opens). Such a cell
is written with a leading apostrophe, which spreadsheets show as text and hide
(https://owasp.org/www-community/attacks/CSV_Injection). Numbers tending writes itself stay numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose rows are neutralised."""

    def __init__(self, handle: IO[str], fieldnames: list[str], **options: Any) -> None:
        super().__init__(handle, fieldnames=fieldnames, **options)

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})
