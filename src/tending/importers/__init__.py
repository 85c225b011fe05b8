"""Importers: one module per platform, export file in, records out; parsing only, no database.

Each module has KIND, PLATFORM (the members' platform, also the activities' source), DESCRIPTION and
`parse(path, *, options) -> Iterator[ParseItem]` (see base.py). KINDS lists them; get_importer loads one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tending.errors import UsageError

# kind -> module; the one registry of importers (the CLI's KIND argument and the docs list these)
KINDS: dict[str, str] = {
    "discourse": "tending.importers.discourse",
    "slack": "tending.importers.slack",
    "discord": "tending.importers.discord",
    "telegram": "tending.importers.telegram",
    "stackexchange": "tending.importers.stackexchange",
    "mbox": "tending.importers.mbox",
    "whatsapp": "tending.importers.whatsapp",
    "jsonl": "tending.importers.jsonl",
    "csv": "tending.importers.csvfile",
}


def get_importer(kind: str) -> ModuleType:
    module = KINDS.get(kind.lower())
    if module is None:
        raise UsageError(
            f"'{kind}' is not a kind of export tending can import (kinds: {', '.join(KINDS)})."
        )
    return importlib.import_module(module)
