"""Live connectors: one module per platform, the platform's API in, the same records as the matching
importer out (same sources, same source ids), so a sync and an import of one community never duplicate.

Each module has KIND, PLATFORM (the records' source), DESCRIPTION, FIELDS (what `tending connect` asks
for; secret fields are given by reference, never stored), and:
- `normalise_target(target) -> str`: the URL or id as stored, or ConnectorError;
- `check(target, credentials, *, http) -> Seen`: one look at the platform, what it can see;
- `fetch(target, credentials, cursor, *, http) -> Iterator[(records, new_cursor)]`: what is new since the
  cursor, in steps; each step's records and cursor are stored together (actions/connectors.py), so a
  cursor never moves past what was not stored.
No database here: actions/connectors.py writes through the import's ingest (store/ingest.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tending.errors import UsageError

# kind -> module; the one registry of connectors (`tending connect KIND` and docs/connectors.md list these)
KINDS: dict[str, str] = {
    "discourse": "tending.connectors.discourse",
    "rss": "tending.connectors.rss",
    "matrix": "tending.connectors.matrix",
    "telegram": "tending.connectors.telegram",
    "discord": "tending.connectors.discord",
    "slack": "tending.connectors.slack",
}


def get_connector(kind: str) -> ModuleType:
    module = KINDS.get(kind.lower())
    if module is None:
        raise UsageError(
            f"'{kind}' is not a kind of connector tending knows (kinds: {', '.join(KINDS)})."
        )
    return importlib.import_module(module)
